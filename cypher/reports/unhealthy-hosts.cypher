// Disconnected or not-responding hosts
//
// ESXi hosts that their vCenter reports as disconnected or not responding.  Their VMs may
// still run but cannot be managed, moved or protected, and what the inventory shows of
// them may be out of date.
//
// columns: uid, vcenter, name, connection_state, power_state, vms: int
// key: uid
MATCH (h:VSphereHost)
WHERE h.uid > $after AND h.connection_state IN ['disconnected', 'notResponding']
RETURN h.uid AS uid, h.vcenter AS vcenter, h.name AS name,
       h.connection_state AS connection_state, h.power_state AS power_state,
       COUNT { (h)-[:RUNS]->(:VSphereVM) } AS vms
ORDER BY uid
LIMIT $limit
