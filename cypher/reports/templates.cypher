// VM templates
//
// Virtual machines marked as templates.  Templates are images that new VMs are cloned
// from: an old one spreads old software, and each holds its disks.
//
// columns: uid, vcenter, name, guest_os, num_cpu: int, memory_mb: int
// key: uid
MATCH (v:VSphereVM)
WHERE v.uid > $after AND v.template = true
RETURN v.uid AS uid, v.vcenter AS vcenter, v.name AS name, v.guest_os AS guest_os,
       v.num_cpu AS num_cpu, v.memory_mb AS memory_mb
ORDER BY uid
LIMIT $limit
