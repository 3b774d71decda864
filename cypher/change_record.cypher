// A part of the statements that write nodes, for a row whose `change` is not null: the
// change record of `n`, with each changed field's value before (`old`) and after, and no
// property for the fields that did not change.
CREATE (rec:InventoryChange {id: randomUUID(), at: $at, task_id: $task_id, change: change,
                             uid: n.uid, label: $label, provider: $provider,
                             scope: $scope_text, fields: changed})
SET rec += $scope
FOREACH (f IN changed | SET rec['before_' + f] = old[f], rec['after_' + f] = row[f])
