// VM snapshots older than an age
//
// VM snapshots taken longer ago than the given age, with their VM and the bytes their own
// files hold.  A snapshot is meant to last hours or days: kept for months, its delta disk
// grows with every write the VM makes until it fills the datastore, and the longer the
// chain the slower the VM and the longer the consolidation that finally removes it.
//
// columns: uid, vcenter, name, vm_uid, vm_name, created: datetime, age_days: int,
//   size_bytes: int, current: bool
// key: uid
// param min_age_days: int >= 0 <= 36500 = 30 -- only snapshots taken at least this many days ago
MATCH (s:VSphereSnapshot)
WHERE s.uid > $after AND s.create_time <= datetime() - duration({days: $min_age_days})
OPTIONAL MATCH (vm:VSphereVM)-[:HAS_SNAPSHOT]->(s)
RETURN s.uid AS uid, s.vcenter AS vcenter, s.name AS name, s.vm_uid AS vm_uid,
       vm.name AS vm_name, s.create_time AS created,
       duration.inDays(s.create_time, datetime()).days AS age_days,
       s.size_bytes AS size_bytes, s.current AS current
ORDER BY uid
LIMIT $limit
