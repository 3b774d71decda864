// Instances with a public IP address
//
// Instances reachable from the internet by a public address, with their state and how
// many security groups guard them.  Each is attack surface to review; a stopped one with
// a public address was probably given it without need.
//
// columns: uid, account_id, region, name, public_ip, private_ip, state, security_groups: int
// key: uid
MATCH (i:AWSInstance)
WHERE i.uid > $after AND i.public_ip IS NOT NULL
RETURN i.uid AS uid, i.account_id AS account_id, i.region AS region, i.name AS name,
       i.public_ip AS public_ip, i.private_ip AS private_ip, i.state AS state,
       size(coalesce(i.security_group_ids, [])) AS security_groups
ORDER BY uid
LIMIT $limit
