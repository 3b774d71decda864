// Nodes of one kind not seen since $before, except where a collection of that kind and
// scope has failed since the node was last seen with no successful one begun since: what
// failures (broken credentials, a permission missing for one call) kept from being seen
// stays, and is reported.  A scope no longer collected at all ages out.  Each node goes
// with its change records.
MATCH (n:{{label}})
WHERE n.last_seen < $before
OPTIONAL MATCH (c:InventoryCollection {label: $label})
WHERE {{scope}}
WITH n, [x IN collect(c) WHERE x.last_failure > n.last_seen
         AND coalesce(x.last_success_seen_at, n.last_seen) <= n.last_seen] AS failing
WHERE size(failing) = 0
WITH n LIMIT $batch
{{deleted}}
DETACH DELETE n
RETURN count(*) AS removed, reduce(acc = [], types IN collect(unlinked) | acc + types) AS unlinked
