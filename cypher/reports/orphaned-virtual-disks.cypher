// Virtual disks no VM uses
//
// Virtual disk files (.vmdk) on a datastore that no VM or template of the vCenter uses,
// neither as one of its disks (or their parents) nor in a snapshot's chain: what is left
// when a VM is removed from the inventory rather than deleted from disk, or a disk is
// detached and forgotten.  Each holds its whole size on the datastore, unseen by anything
// that looks at VMs.  Only the VMs of the vCenter that searched the datastore are known:
// a disk that a VM of another vCenter sharing the datastore uses is listed too, and so is
// a first-class disk (fcd/) attached to nothing.  What vcsim's datastore browser showed
// (the demo, the tests): each .vmdk descriptor with its modification time, but no
// fileSize nor capacityKb (nor thin), so on vcsim size_bytes is empty and only the age
// tells; a vCenter's browser is asked for all three the same way.
//
// columns: uid, vcenter, path, datastore_uid, size_bytes: int, modified: datetime,
//   age_days: int
// key: uid
// param min_age_days: int >= 0 <= 36500 = 0 -- only files last written at least this many days ago
MATCH (d:VSphereDiskFile)
WHERE d.uid > $after AND size(coalesce(d.vm_uids, [])) = 0
  AND coalesce(d.modified, datetime()) <= datetime() - duration({days: $min_age_days})
RETURN d.uid AS uid, d.vcenter AS vcenter, d.path AS path, d.datastore_uid AS datastore_uid,
       d.size_bytes AS size_bytes, d.modified AS modified,
       duration.inDays(d.modified, datetime()).days AS age_days
ORDER BY uid
LIMIT $limit
