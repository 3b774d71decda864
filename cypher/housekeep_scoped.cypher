// Nodes of one kind not seen since $before in scopes whose collection of that kind has
// succeeded since they were last seen: gone for sure.  A scope that only failed since
// (broken credentials, a permission missing for one call) keeps its nodes.
MATCH (c:InventoryCollection {label: $label})
WHERE c.last_success IS NOT NULL
MATCH (n:{{label}})
WHERE {{scope}} AND n.last_seen < $before AND n.last_seen < c.last_success
WITH DISTINCT n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS removed
