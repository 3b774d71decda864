// Resources deleted in the last hours
//
// Resources the graph lost in the last given number of hours (24 by default), of every
// kind or of one label, from the change history: what a collection no longer found (or
// the housekeeper aged out).  One row per resource, at its latest deletion, with the task
// that recorded it and whether it has come back since (created again: a resource that
// flaps, or a uid reused).  Only collections that succeeded in
// full delete anything, so a failing scope's resources are not listed here.
//
// columns: uid, label, provider, scope, name, deleted: datetime, task_id,
//   created_since: bool
// key: uid
// param hours: int >= 1 <= 87600 = 24 -- only resources deleted at most this many hours ago
// param label: label = '' -- only resources of this label (every label if empty)
MATCH (c:InventoryChange)
WHERE c.at >= datetime() - duration({hours: $hours}) AND c.change = 'deleted'
  AND c.uid > $after AND ($label = '' OR c.label = $label)
WITH c ORDER BY c.at DESC
WITH c.uid AS uid, head(collect(c)) AS c
RETURN uid, c.label AS label, c.provider AS provider, c.scope AS scope, c.before_name AS name,
       c.at AS deleted, c.task_id AS task_id,
       EXISTS {
         MATCH (d:InventoryChange {uid: uid})
         WHERE d.change = 'created' AND d.label = c.label AND d.at > c.at
       } AS created_since
ORDER BY uid
LIMIT $limit
