// Publicly accessible DB instances
//
// RDS DB instances that AWS marks publicly accessible: their endpoint resolves to a
// public address, so only their security groups stand between the data and the
// internet.  Few databases need that; one that has it by mistake is how databases leak.
// Stopped ones are listed too unless asked not to: they are public again once started
// (and AWS starts a stopped instance again by itself after seven days).
//
// columns: uid, account_id, region, db_instance_id, engine, status, endpoint, vpc_id,
//   security_groups: int
// key: uid
// param include_stopped: bool = true -- list stopped instances too
MATCH (d:AWSDBInstance)
WHERE d.uid > $after AND d.publicly_accessible = true
  AND ($include_stopped OR NOT d.status IN ['stopped', 'stopping'])
RETURN d.uid AS uid, d.account_id AS account_id, d.region AS region,
       d.db_instance_id AS db_instance_id, d.engine AS engine, d.status AS status,
       d.endpoint AS endpoint, d.vpc_id AS vpc_id,
       size(coalesce(d.security_group_ids, [])) AS security_groups
ORDER BY uid
LIMIT $limit
