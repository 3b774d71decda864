// A collection of one kind in one scope went through: when it ended, and from when on it
// saw what it saw.  One node per kind and scope, named by the payload that names the scope.
// Times in UTC (offset Z) whatever the server's db.temporal.timezone: the stored form.
MERGE (c:InventoryCollection {uid: $uid})
ON CREATE SET c.first_seen = datetime({timezone: 'Z'})
SET c += $props,
    c.last_success = datetime({timezone: 'Z'}),
    c.last_success_seen_at = $seen_at,
    c.last_task_id = $task_id,
    c.last_warnings = $warnings,
    c.failures_since_success = 0
