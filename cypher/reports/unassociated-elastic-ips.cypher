// Elastic IPs assigned to nothing
//
// Elastic IP addresses associated with no instance and no network interface (so used by
// no NAT gateway or load balancer either).  AWS bills every public IPv4 address by the
// hour, and one held by nothing serves nothing.  Before releasing one, check that no DNS
// record still points at it: a released address may be given to someone else.  With
// include_stopped, also the addresses on an instance that is stopped: billed the same,
// serving nothing until it starts again.
//
// columns: uid, account_id, region, name, public_ip, domain, instance_id, instance_state
// key: uid
// param include_stopped: bool = false -- also the addresses on a stopped or stopping instance
MATCH (a:AWSElasticIP)
WHERE a.uid > $after
OPTIONAL MATCH (a)-[:ASSIGNED_TO]->(i:AWSInstance)
WITH a, i
WHERE (a.association_id IS NULL AND a.instance_id IS NULL AND a.eni_id IS NULL)
   OR ($include_stopped AND i.state IN ['stopped', 'stopping'])
RETURN a.uid AS uid, a.account_id AS account_id, a.region AS region, a.name AS name,
       a.public_ip AS public_ip, a.domain AS domain, a.instance_id AS instance_id,
       i.state AS instance_state
ORDER BY uid
LIMIT $limit
