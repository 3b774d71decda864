// Nodes of one label not seen since $before, whatever their scope.
MATCH (n:{{label}})
WHERE n.last_seen < $before
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS removed
