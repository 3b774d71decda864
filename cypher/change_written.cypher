// A part of the statements that write nodes (merge_nodes, merge_members), after `n` is
// written from `row`, with `before` its properties beforehand and `is_new` whether the MERGE
// made it: the tracked fields ($tracked) whose value differs ("changed": null equals null
// only; lists are equal item by item), and a change record for a new node or a changed one.
// A field the row leaves out (its value unknown this time) is unchanged.
WITH *, [f IN $tracked WHERE f IN keys(row)
         AND NOT coalesce(before[f] = row[f], before[f] IS NULL AND row[f] IS NULL)] AS changed
WITH *, CASE WHEN is_new THEN 'created' WHEN size(changed) > 0 THEN 'updated' END AS change
CALL (n, row, before, changed, change) {
  WITH * WHERE change IS NOT NULL
  CREATE (rec:InventoryChange {id: randomUUID(), at: $at, task_id: $task_id, change: change,
                             uid: n.uid, label: $label, provider: $provider,
                             scope: $scope_text, fields: changed})
  SET rec += $scope{{values}}
}
