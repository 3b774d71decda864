// A collection of one kind in one scope failed (an attempt that will be retried, or for
// good): when, and why.  Its scope's nodes are kept by the housekeeper until it succeeds.
// Times in UTC (offset Z) whatever the server's db.temporal.timezone: the stored form.
MERGE (c:InventoryCollection {uid: $uid})
ON CREATE SET c.first_seen = datetime({timezone: 'Z'})
SET c += $props,
    c.last_failure = datetime({timezone: 'Z'}),
    c.last_error = $error,
    c.last_task_id = $task_id,
    c.failures_since_success = coalesce(c.failures_since_success, 0) + 1
