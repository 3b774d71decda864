// Collections that have not succeeded lately
//
// Per kind and scope, the collections that have not succeeded for more than the given
// number of hours, with their last error.  Their nodes are kept as they were last seen
// (the housekeeper does not age them out), so the graph is out of date there: broken
// credentials, a missing permission, or an unreachable vCenter.
//
// columns: uid, label, task, account, region, vcenter, last_success: datetime,
//   last_failure: datetime, last_error
// key: uid
// param min_hours: float >= 0 <= 87600 = 6 -- no success for at least this many hours
MATCH (c:InventoryCollection)
WHERE c.uid > $after
  AND (c.last_success IS NULL
       OR c.last_success < datetime() - duration({seconds: toInteger($min_hours * 3600)}))
RETURN c.uid AS uid, c.label AS label, c.task AS task, c.account AS account,
       c.region AS region, c.vcenter AS vcenter, c.last_success AS last_success,
       c.last_failure AS last_failure, c.last_error AS last_error
ORDER BY uid
LIMIT $limit
