// Nodes of a shared kind that no scope sees any more, each with its change records.
MATCH (n:{{label}})
WHERE NOT ()-[:{{type}}]->(n)
WITH n LIMIT $batch
{{deleted}}
DETACH DELETE n
RETURN count(*) AS removed, reduce(acc = [], types IN collect(unlinked) | acc + types) AS unlinked
