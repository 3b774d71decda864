// One batch of one kind: rows carry uid and properties; scope and times come as parameters.
// last_seen never moves back, so a slower concurrent run cannot make fresh nodes look stale.
UNWIND $rows AS row
MERGE (n:{{label}} {uid: row.uid})
ON CREATE SET n.first_seen = $seen_at
SET n += row, n += $scope,
    n.last_seen = CASE WHEN n.last_seen > $seen_at THEN n.last_seen ELSE $seen_at END
