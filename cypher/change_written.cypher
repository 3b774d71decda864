// A part of the statements that write nodes (merge_nodes, merge_members), after `n` is
// merged and before it is written from `row` (`is_new`: the MERGE made it): the tracked
// fields ($tracked) whose value differs ("changed": lists are equal item by item; null
// differs from a value, not from null), the change kind, and for a change `before`, the
// tracked properties as they were (read only then).  A field the row leaves out (its value
// unknown this time) is unchanged.
WITH *, [f IN $tracked WHERE n[f] <> row[f]
         OR ((n[f] IS NULL) <> (row[f] IS NULL) AND f IN keys(row))] AS changed
WITH *, CASE WHEN is_new THEN 'created' WHEN size(changed) > 0 THEN 'updated' END AS change
WITH *, CASE WHEN change IS NOT NULL THEN {{before}} END AS before
