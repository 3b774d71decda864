// One batch of a kind shared between scopes: each row is merged once, and the scope's own
// node (made here if its own collection has not run yet) gets a membership link to it.
MERGE (o:{{owner_label}} {uid: $owner.uid})
ON CREATE SET o += $owner.props, o.first_seen = $seen_at, o.last_seen = $seen_at
WITH o
UNWIND $rows AS row
MERGE (n:{{label}} {uid: row.uid})
ON CREATE SET n.first_seen = $seen_at
SET n += row, n += $scope,
    n.last_seen = CASE WHEN n.last_seen > $seen_at THEN n.last_seen ELSE $seen_at END
MERGE (o)-[r:{{type}}]->(n)
ON CREATE SET r.first_seen = $seen_at
SET r.last_seen = CASE WHEN r.last_seen > $seen_at THEN r.last_seen ELSE $seen_at END
