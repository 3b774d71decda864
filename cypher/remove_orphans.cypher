// Nodes of a shared kind that no scope sees any more.
MATCH (n:{{label}})
WHERE NOT ()-[:{{type}}]->(n)
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS removed
