// Powered-off VMs
//
// Virtual machines that are powered off (templates aside), with their host and size.  A
// powered-off VM still holds its disks on a datastore; many are forgotten rather than
// kept on purpose.
//
// columns: uid, vcenter, name, host_uid, num_cpu: int, memory_mb: int, guest_os
// key: uid
MATCH (v:VSphereVM)
WHERE v.uid > $after AND v.power_state = 'poweredOff' AND NOT coalesce(v.template, false)
RETURN v.uid AS uid, v.vcenter AS vcenter, v.name AS name, v.host_uid AS host_uid,
       v.num_cpu AS num_cpu, v.memory_mb AS memory_mb, v.guest_os AS guest_os
ORDER BY uid
LIMIT $limit
