// A part of the statements that delete nodes, before `n` goes: its change record (the
// tracked fields it had, as before_<field>) and one 'unlinked' record per relationship it
// takes with it; `unlinked` lists their types.
CREATE (gone:InventoryChange {id: randomUUID(), at: $at, task_id: $task_id, change: 'deleted',
                              uid: n.uid, label: $label, provider: $provider,
                              scope: {{scope_text}},
                              fields: [f IN $tracked WHERE n[f] IS NOT NULL]})
SET gone += {{scope}}{{values}}
WITH n
CALL (n) {
  MATCH (n)-[r]-()
  {{unlinked}}
  RETURN collect(type(r)) AS unlinked
}
