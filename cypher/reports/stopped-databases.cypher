// Stopped DB instances
//
// RDS DB instances in the stopped state, with the storage they hold.  A stopped instance
// is not billed for its compute, but its storage and backups are, in full; and AWS
// starts it again by itself after seven days, compute and all, unless someone stops it
// again.  A database stopped "for now" is often one nobody needs any more.
//
// columns: uid, account_id, region, db_instance_id, engine, instance_class,
//   storage_gib: int, created: datetime
// key: uid
// param min_storage_gib: int >= 0 <= 65536 = 0 -- only instances holding at least this much storage (GiB)
MATCH (d:AWSDBInstance)
WHERE d.uid > $after AND d.status = 'stopped'
  AND coalesce(d.storage_gib, 0) >= $min_storage_gib
RETURN d.uid AS uid, d.account_id AS account_id, d.region AS region,
       d.db_instance_id AS db_instance_id, d.engine AS engine,
       d.instance_class AS instance_class, d.storage_gib AS storage_gib,
       d.create_time AS created
ORDER BY uid
LIMIT $limit
