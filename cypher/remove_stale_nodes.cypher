// Nodes of one kind in one scope that the last successful collection did not see, each
// with its change records (graph.changes); but not those it could not list ($kept).
MATCH (n:{{label}})
WHERE {{scope}} AND n.last_seen < $seen_at AND {{kept}}
WITH n LIMIT $batch
{{deleted}}
DETACH DELETE n
RETURN count(*) AS removed, reduce(acc = [], types IN collect(unlinked) | acc + types) AS unlinked
