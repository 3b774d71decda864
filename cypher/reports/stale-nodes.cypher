// Nodes not seen for half the retention
//
// Per label and scope, the nodes no collection has seen for more than half the retention
// period: what the housekeeper will delete at the end of it, unless a failing collection
// keeps it.  Many stale nodes in one scope mean its collection stopped seeing them:
// removed resources, or a collection that is not running.
//
// columns: key, label, account_id, region, vcenter, nodes: int, last_seen: datetime
// key: key
// param retention_days: float >= 1 <= 3650 = 7 -- the retention period (the config's by default)
MATCH (n)
WHERE n.last_seen < datetime() - duration({seconds: toInteger($retention_days * 43200)})
WITH labels(n)[0] AS label, n.account_id AS account_id, n.region AS region,
     n.vcenter AS vcenter, count(*) AS nodes, max(n.last_seen) AS last_seen
WITH label + '|' + coalesce(account_id, vcenter, '') + '|' + coalesce(region, '') AS key,
     label, account_id, region, vcenter, nodes, last_seen
WHERE key > $after
RETURN key, label, account_id, region, vcenter, nodes, last_seen
ORDER BY key
LIMIT $limit
