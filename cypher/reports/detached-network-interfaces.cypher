// Network interfaces attached to nothing
//
// Elastic network interfaces whose status is "available": attached to no instance and
// used by no service.  They hold a private address of their subnet (and a public one, if
// they have one, which is billed), and are often left behind by deleted instances or
// stacks.  An interface a NAT gateway uses is not listed, whatever status it reports.
//
// columns: uid, account_id, region, name, subnet_id, vpc_id, private_ip, public_ip, description
// key: uid
MATCH (e:AWSNetworkInterface)
WHERE e.uid > $after AND e.status = 'available' AND e.instance_id IS NULL
  AND NOT EXISTS { MATCH (n:AWSNatGateway) WHERE e.uid IN n.eni_ids }
RETURN e.uid AS uid, e.account_id AS account_id, e.region AS region, e.name AS name,
       e.subnet_id AS subnet_id, e.vpc_id AS vpc_id, e.private_ip AS private_ip,
       e.public_ip AS public_ip, e.description AS description
ORDER BY uid
LIMIT $limit
