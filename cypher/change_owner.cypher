// A part of merge_members, for the owner node `o` it has just made (a region its images'
// collection needs before the regions' own ran): its change record, as created, with the
// properties it was made with ($owner_values: its scope's, and after_<field> for the rest).
CREATE (oc:InventoryChange {id: randomUUID(), at: $at, task_id: $task_id, change: 'created',
                            uid: o.uid, label: $owner_label, provider: $provider,
                            scope: $owner_scope_text, fields: $owner_fields})
SET oc += $owner_values
