// Nodes of one kind in one scope that the last successful collection did not see.
MATCH (n:{{label}})
WHERE {{scope}} AND n.last_seen < $seen_at
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS removed
