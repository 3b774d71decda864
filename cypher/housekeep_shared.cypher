// Nodes of a kind shared between scopes, not seen since $before and that no scope has any
// more.  One that a scope still has (its collection keeps failing) is kept.
MATCH (n:{{label}})
WHERE n.last_seen < $before AND NOT ()-[:{{type}}]->(n)
WITH n LIMIT $batch
{{deleted}}
DETACH DELETE n
RETURN count(*) AS removed, reduce(acc = [], types IN collect(unlinked) | acc + types) AS unlinked
