// Security groups nothing uses
//
// Security groups that no instance, DB instance, Lambda function, network interface or
// load balancer is in, default groups aside.  Unused groups pile up, widen what an audit
// has to read, and are one attachment away from exposing something.
//
// columns: uid, account_id, region, group_name, vpc_id, description
// key: uid
// index: AWSNetworkInterface(vpc_id)
// index: AWSLoadBalancer(vpc_id)
MATCH (g:AWSSecurityGroup)
WHERE g.uid > $after AND g.group_name <> 'default'
  AND NOT (:AWSInstance|AWSDBInstance|AWSLambdaFunction)-[:IN_SECURITY_GROUP]->(g)
  AND NOT EXISTS {
    MATCH (e:AWSNetworkInterface) WHERE e.vpc_id = g.vpc_id AND g.uid IN e.security_group_ids
  }
  AND NOT EXISTS {
    MATCH (lb:AWSLoadBalancer) WHERE lb.vpc_id = g.vpc_id AND g.uid IN lb.security_group_ids
  }
RETURN g.uid AS uid, g.account_id AS account_id, g.region AS region,
       g.group_name AS group_name, g.vpc_id AS vpc_id, g.description AS description
ORDER BY uid
LIMIT $limit
