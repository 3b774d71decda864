// Relationships of one type in one scope that no longer hold (the join merge_links makes
// them by is false, or null: a property gone), each with its change record.
MATCH (s:{{source}})-[r:{{type}}]->(t:{{target}})
WHERE {{scope}} AND NOT coalesce({{join}}, false)
WITH r LIMIT $batch
{{unlinked}}
DELETE r
RETURN count(*) AS removed
