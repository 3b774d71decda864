// A collection of one kind in one scope failed (an attempt that will be retried, or for
// good): when, and why.  Its scope's nodes are kept by the housekeeper until it succeeds.
MERGE (c:InventoryCollection {uid: $uid})
ON CREATE SET c.first_seen = datetime()
SET c += $props,
    c.last_failure = datetime(),
    c.last_error = $error,
    c.last_task_id = $task_id,
    c.failures_since_success = coalesce(c.failures_since_success, 0) + 1
