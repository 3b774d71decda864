// A part of the statements that write nodes (merge_nodes, merge_members), after `n` is
// merged and before it is written from `row` (`seen`: its last_seen before, null for a
// node the MERGE made).  A row whose change_digest (graph.changes.digest: of its tracked
// values) is the node's changes nothing, and nothing more is read or compared.  Otherwise
// `old` holds the node's tracked properties and "changed" those of $tracked whose value
// differs (lists are equal item by item; null differs from a value, not from null; a
// field the row leaves out, its value unknown this time, is unchanged); then the kind of
// change.
WITH *, CASE WHEN n.change_digest = row.change_digest THEN null ELSE {{before}} END AS old
WITH *, CASE WHEN old IS NULL THEN [] ELSE [f IN $tracked WHERE old[f] <> row[f]
         OR ((old[f] IS NULL) <> (row[f] IS NULL) AND f IN keys(row))] END AS changed
WITH *, CASE WHEN seen IS NULL THEN 'created' WHEN size(changed) > 0 THEN 'updated' END AS change
