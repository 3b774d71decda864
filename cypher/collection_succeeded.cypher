// A collection of one kind in one scope went through: when it ended, and from when on it
// saw what it saw.  One node per kind and scope, named by the payload that names the scope.
MERGE (c:InventoryCollection {uid: $uid})
ON CREATE SET c.first_seen = datetime()
SET c += $props,
    c.last_success = datetime(),
    c.last_success_seen_at = $seen_at,
    c.last_task_id = $task_id,
    c.last_warnings = $warnings,
    c.failures_since_success = 0
