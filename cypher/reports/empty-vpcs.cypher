// Non-default VPCs with nothing in them
//
// VPCs other than the default one that hold no instance, no network interface and no
// load balancer.  Empty VPCs carry address space, gateways and peerings that may be
// billed, and clutter every network review.
//
// columns: uid, account_id, region, name, cidr_block, subnets: int
// key: uid
MATCH (vpc:AWSVPC)
WHERE vpc.uid > $after AND NOT coalesce(vpc.is_default, false)
  AND NOT EXISTS { (vpc)-[:HAS_SUBNET]->(:AWSSubnet)-[:HAS_INSTANCE]->(:AWSInstance) }
  AND NOT EXISTS { (vpc)-[:HAS_SUBNET]->(:AWSSubnet)<-[:IN_SUBNET]-(:AWSNetworkInterface) }
  AND NOT EXISTS { (vpc)-[:HAS_LOAD_BALANCER]->(:AWSLoadBalancer) }
RETURN vpc.uid AS uid, vpc.account_id AS account_id, vpc.region AS region,
       vpc.name AS name, vpc.cidr_block AS cidr_block,
       COUNT { (vpc)-[:HAS_SUBNET]->(:AWSSubnet) } AS subnets
ORDER BY uid
LIMIT $limit
