// Security groups changed in the last hours
//
// Security groups that changed in the last given number of hours (24 by default), from the
// change history: made or deleted, their rules or other fields changed, or something put
// in them or taken out (an instance, DB instance or Lambda function, as its
// IN_SECURITY_GROUP relationship; a network interface or load balancer, as its list of
// groups).  A group is what stands between a resource and the network: who opened which
// group, and what was put behind it, are the first questions of an incident review.  One
// row per group: the kinds of change it had (created, updated, deleted; linked and
// unlinked for what was put in or taken out), its own fields that changed (ingress_rules,
// egress_rules: rule counts), the uids put in it and taken out, and its latest change.
// The change history of the group's uid has each value before and after.
//
// columns: uid, account_id, region, group_name, vpc_id, last_change: datetime,
//   changes: list, fields: list, attached: list, detached: list
// key: uid
// param hours: int >= 1 <= 87600 = 24 -- only changes made at most this many hours ago
CALL () {
  MATCH (c:InventoryChange)
  WHERE c.at >= datetime() - duration({hours: $hours}) AND c.label = 'AWSSecurityGroup'
  RETURN c.uid AS uid, c, c.change AS change,
         CASE c.change WHEN 'updated' THEN c.fields ELSE [] END AS fields, null AS moved
  UNION ALL
  MATCH (c:InventoryChange)
  WHERE c.at >= datetime() - duration({hours: $hours}) AND c.type = 'IN_SECURITY_GROUP'
  RETURN c.target_uid AS uid, c, c.change AS change, [] AS fields, c.uid AS moved
  UNION ALL
  MATCH (c:InventoryChange)
  WHERE c.at >= datetime() - duration({hours: $hours})
    AND c.label IN ['AWSNetworkInterface', 'AWSLoadBalancer'] AND 'security_group_ids' IN c.fields
  WITH c, coalesce(c.before_security_group_ids, []) AS before,
       coalesce(c.after_security_group_ids, []) AS after
  UNWIND [g IN after WHERE NOT g IN before | [g, 'linked']]
         + [g IN before WHERE NOT g IN after | [g, 'unlinked']] AS move
  RETURN move[0] AS uid, c, move[1] AS change, [] AS fields, c.uid AS moved
}
WITH uid, c, change, fields, moved
WHERE uid > $after
WITH uid, max(c.at) AS last_change, collect(DISTINCT change) AS changes,
     reduce(acc = [], f IN collect(fields) | acc + [x IN f WHERE NOT x IN acc]) AS fields,
     collect(DISTINCT CASE change WHEN 'linked' THEN moved END) AS attached,
     collect(DISTINCT CASE change WHEN 'unlinked' THEN moved END) AS detached,
     head(collect(c.account_id)) AS account_id, head(collect(c.region)) AS region,
     head(collect(coalesce(c.after_group_name, c.before_group_name))) AS group_name,
     head(collect(coalesce(c.after_vpc_id, c.before_vpc_id))) AS vpc_id
OPTIONAL MATCH (g:AWSSecurityGroup {uid: uid})
RETURN uid, coalesce(g.account_id, account_id) AS account_id,
       coalesce(g.region, region) AS region, coalesce(g.group_name, group_name) AS group_name,
       coalesce(g.vpc_id, vpc_id) AS vpc_id, last_change, changes, fields, attached, detached
ORDER BY uid
LIMIT $limit
