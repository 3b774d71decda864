// VMs with no network
//
// Virtual machines (templates aside) connected to no network.  A VM no one can reach
// serves no one: often a leftover, or one whose network was deleted under it.
//
// columns: uid, vcenter, name, power_state, host_uid
// key: uid
MATCH (v:VSphereVM)
WHERE v.uid > $after AND NOT coalesce(v.template, false)
  AND NOT (v)-[:CONNECTED_TO]->(:VSphereNetwork)
RETURN v.uid AS uid, v.vcenter AS vcenter, v.name AS name, v.power_state AS power_state,
       v.host_uid AS host_uid
ORDER BY uid
LIMIT $limit
