// A part of the statements that write nodes, for a row whose `change` is not null: the
// change record of `n`, with each changed field's value before and after.
CREATE (rec:InventoryChange {id: randomUUID(), at: $at, task_id: $task_id, change: change,
                             uid: n.uid, label: $label, provider: $provider,
                             scope: $scope_text, fields: changed})
SET rec += $scope{{values}}
