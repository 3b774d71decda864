// Datastores nearly full
//
// Datastores with more than the given share of their capacity in use.  A full datastore
// stops its VMs' disks from growing and their snapshots from being taken: VMs pause.
//
// columns: uid, vcenter, name, type, capacity_bytes: int, free_bytes: int, used_percent: float
// key: uid
// param min_used_percent: float >= 0 <= 100 = 90 -- only datastores used more than this (%)
MATCH (d:VSphereDatastore)
WHERE d.uid > $after AND d.capacity_bytes > 0
WITH d, 100.0 * (d.capacity_bytes - d.free_bytes) / d.capacity_bytes AS used
WHERE used > $min_used_percent
RETURN d.uid AS uid, d.vcenter AS vcenter, d.name AS name, d.type AS type,
       d.capacity_bytes AS capacity_bytes, d.free_bytes AS free_bytes,
       round(used, 1) AS used_percent
ORDER BY uid
LIMIT $limit
