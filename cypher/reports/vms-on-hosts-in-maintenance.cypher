// VMs on hosts in maintenance mode
//
// Virtual machines registered on a host that is in maintenance mode.  A host enters
// maintenance to be worked on; VMs still on it were not moved away and will stop with it.
//
// columns: uid, vcenter, name, power_state, host_uid, host
// key: uid
MATCH (h:VSphereHost)-[:RUNS]->(v:VSphereVM)
WHERE v.uid > $after AND h.maintenance_mode = true
RETURN v.uid AS uid, v.vcenter AS vcenter, v.name AS name, v.power_state AS power_state,
       h.uid AS host_uid, h.name AS host
ORDER BY uid
LIMIT $limit
