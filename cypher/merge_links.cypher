// Every relationship of one type whose scoped end is in the scope, made where it is new
// (first_seen: this run's $seen_at), with its change record in this statement.  One that
// holds still is left as it is, unwritten: an unchanged estate's link run only reads
// (remove_stale_links removes by the same join those that no longer hold).  Made here if
// its first_seen is this run's: another run would have to have read the very same clock.
MATCH ({{scoped}}:{{scoped_label}})
WHERE {{scope}}
MATCH ({{other}}:{{other_label}})
WHERE {{join}}
MERGE (s)-[r:{{type}}]->(t)
ON CREATE SET r.first_seen = $seen_at
WITH r, r.first_seen = $seen_at AS is_new
CALL (r, is_new) {
  WITH * WHERE is_new
  {{linked}}
}
RETURN count(r) AS linked, sum(CASE WHEN is_new THEN 1 ELSE 0 END) AS added
