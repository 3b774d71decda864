// Every relationship of one type whose scoped end is in the scope; $seen_at marks it fresh
// (never backwards, so a slower concurrent run cannot make fresh links look stale).  A new
// one gets its change record in this statement.
MATCH ({{scoped}}:{{scoped_label}})
WHERE {{scope}}
MATCH ({{other}}:{{other_label}})
WHERE {{join}}
MERGE (s)-[r:{{type}}]->(t)
ON CREATE SET r.first_seen = $seen_at
WITH r, r.last_seen IS NULL AS is_new
SET r.last_seen = CASE WHEN r.last_seen > $seen_at THEN r.last_seen ELSE $seen_at END
WITH *
CALL (r, is_new) {
  WITH * WHERE is_new
  {{linked}}
}
RETURN count(r) AS linked, sum(CASE WHEN is_new THEN 1 ELSE 0 END) AS added
