// Auto Scaling groups with no instance
//
// Auto Scaling groups that want no instance (desired capacity 0) or hold none.  An empty
// group costs nothing by itself, but it keeps its launch template, scaling policies and
// alarms, and is often what is left of a retired service, or a group that cannot launch
// (an image deleted, a subnet out of addresses) and so serves nothing without a word.
//
// columns: uid, account_id, region, name, desired: int, min_size: int, max_size: int,
//   instances: int, created: datetime, age_days: int
// key: uid
// param min_age_days: int >= 0 <= 36500 = 0 -- only groups created at least this many days ago
MATCH (g:AWSAutoScalingGroup)
WHERE g.uid > $after
  AND (g.desired = 0 OR size(coalesce(g.instance_ids, [])) = 0)
  AND coalesce(g.create_time, datetime()) <= datetime() - duration({days: $min_age_days})
RETURN g.uid AS uid, g.account_id AS account_id, g.region AS region, g.name AS name,
       g.desired AS desired, g.min_size AS min_size, g.max_size AS max_size,
       size(coalesce(g.instance_ids, [])) AS instances, g.create_time AS created,
       duration.inDays(g.create_time, datetime()).days AS age_days
ORDER BY uid
LIMIT $limit
