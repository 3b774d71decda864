// Every relationship of one type whose scoped end is in the scope; $seen_at marks it fresh
// (never backwards, so a slower concurrent run cannot make fresh links look stale).
MATCH ({{scoped}}:{{scoped_label}})
WHERE {{scope}}
MATCH ({{other}}:{{other_label}})
WHERE {{join}}
MERGE (s)-[r:{{type}}]->(t)
ON CREATE SET r.first_seen = $seen_at
SET r.last_seen = CASE WHEN r.last_seen > $seen_at THEN r.last_seen ELSE $seen_at END
RETURN count(r) AS linked
