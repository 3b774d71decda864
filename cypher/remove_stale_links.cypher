// Relationships of one type in one scope that the last link run no longer found, each with
// its change record.
MATCH (s:{{source}})-[r:{{type}}]->(t:{{target}})
WHERE {{scope}} AND r.last_seen < $seen_at
WITH r LIMIT $batch
{{unlinked}}
DELETE r
RETURN count(*) AS removed
