// A part of the statements that add or remove relationships: the change record of `r`
// ({{change}}: 'linked' or 'unlinked'), its ends named by uid and label.
CREATE (rc:InventoryChange {id: randomUUID(), at: $at, task_id: $task_id, change: {{change}},
                            type: type(r), uid: startNode(r).uid,
                            label: head(labels(startNode(r))), target_uid: endNode(r).uid,
                            target_label: head(labels(endNode(r))), provider: $provider,
                            scope: {{scope_text}}})
SET rc += {{scope}}
