// One batch of one kind: rows carry uid and properties; scope and times come as parameters.
// last_seen never moves back, so a slower concurrent run cannot make fresh nodes look stale.
// What is new or changed gets its change record in this statement, so in its transaction
// (graph.changes); the rows that did not change end before the CREATE.
UNWIND $rows AS row
MERGE (n:{{label}} {uid: row.uid})
ON CREATE SET n.first_seen = $seen_at
WITH n, row, n.last_seen AS seen
{{changed}}
{{write}}
WITH * WHERE change IS NOT NULL
{{record}}
RETURN sum(CASE change WHEN 'created' THEN 1 ELSE 0 END) AS created,
       sum(CASE change WHEN 'updated' THEN 1 ELSE 0 END) AS updated
