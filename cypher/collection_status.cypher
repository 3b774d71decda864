// Per kind and scope: when its collection last succeeded and last failed (seconds since
// the epoch, null if never) and the attempts failed since the last success.  The API
// serves them as gauges, so that a scope that keeps failing can alert.
MATCH (c:InventoryCollection)
RETURN c.uid AS uid, c.provider AS provider, c.label AS label,
       c.last_success.epochMillis / 1000.0 AS last_success,
       c.last_failure.epochMillis / 1000.0 AS last_failure,
       coalesce(c.failures_since_success, 0) AS failures
ORDER BY uid
