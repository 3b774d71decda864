// NAT gateways in a VPC with no running instance
//
// NAT gateways, available or being made, in a VPC where no instance runs.  A NAT
// gateway is billed by the hour (and for its Elastic IP) whether or not anything sends
// through it, and an idle one often costs more than the instances it once served.  Only
// accounts and regions whose instances have been collected are checked.  Other senders
// (Lambda functions in the VPC, containers) are not instances: a gateway that only they
// use shows here too.
//
// columns: uid, account_id, region, name, vpc_id, subnet_id, state, public_ips: list,
//   created: datetime, age_days: int
// key: uid
// param min_age_days: int >= 0 <= 36500 = 0 -- only gateways created at least this many days ago
// index: AWSInstance(vpc_id)
MATCH (n:AWSNatGateway)
WHERE n.uid > $after AND n.state IN ['available', 'pending']
  AND coalesce(n.create_time, datetime()) <= datetime() - duration({days: $min_age_days})
  AND NOT EXISTS { MATCH (i:AWSInstance {vpc_id: n.vpc_id}) WHERE i.state = 'running' }
  AND EXISTS {
    MATCH (c:InventoryCollection {label: 'AWSInstance'})
    WHERE c.account_id = n.account_id AND c.region = n.region AND c.last_success IS NOT NULL
  }
RETURN n.uid AS uid, n.account_id AS account_id, n.region AS region, n.name AS name,
       n.vpc_id AS vpc_id, n.subnet_id AS subnet_id, n.state AS state,
       n.public_ips AS public_ips, n.create_time AS created,
       duration.inDays(n.create_time, datetime()).days AS age_days
ORDER BY uid
LIMIT $limit
