// Stopped instances and what their volumes hold
//
// Instances in the stopped state, with how many volumes they have and their total size.
// A stopped instance costs nothing by the hour, but its volumes are billed in full: a
// long-stopped instance is often a forgotten one.
//
// columns: uid, account_id, region, name, instance_type, launched: datetime, volumes: int,
//   volume_gib: int
// key: uid
MATCH (i:AWSInstance)
WHERE i.uid > $after AND i.state = 'stopped'
OPTIONAL MATCH (i)-[:HAS_VOLUME]->(v:AWSVolume)
WITH i, count(v) AS volumes, coalesce(sum(v.size_gib), 0) AS volume_gib
RETURN i.uid AS uid, i.account_id AS account_id, i.region AS region, i.name AS name,
       i.instance_type AS instance_type, i.launch_time AS launched, volumes,
       volume_gib
ORDER BY uid
LIMIT $limit
