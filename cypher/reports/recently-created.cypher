// Resources created in the last hours
//
// Resources the graph got in the last given number of hours (24 by default), of every kind
// or of one label, from the change history: what appeared overnight.  One row per
// resource, at its latest creation, with the task that recorded it and whether it has been
// deleted since.  A node another kind's collection made before its own collection ran (a
// region its images' collection needed) counts as created then, by that task.  Changes
// are kept graph.change_retention_days (30 by default): a window longer than that finds
// no more.
//
// columns: uid, label, provider, scope, name, created: datetime, task_id,
//   deleted_since: bool
// key: uid
// param hours: int >= 1 <= 87600 = 24 -- only resources created at most this many hours ago
// param label: label = '' -- only resources of this label (every label if empty)
MATCH (c:InventoryChange)
WHERE c.at >= datetime() - duration({hours: $hours}) AND c.change = 'created'
  AND c.uid > $after AND ($label = '' OR c.label = $label)
WITH c ORDER BY c.at DESC
WITH c.uid AS uid, head(collect(c)) AS c
RETURN uid, c.label AS label, c.provider AS provider, c.scope AS scope, c.after_name AS name,
       c.at AS created, c.task_id AS task_id,
       EXISTS {
         MATCH (d:InventoryChange {uid: uid})
         WHERE d.change = 'deleted' AND d.label = c.label AND d.at > c.at
       } AS deleted_since
ORDER BY uid
LIMIT $limit
