// Load balancers routing to no running instance
//
// Load balancers none of whose targets is a running instance: no target registered, or
// every one stopped or gone.  An idle balancer is billed by the hour and keeps a public
// name pointing at nothing.  Balancers whose targets are IP addresses or Lambda functions
// route to no instance either and show here too.
//
// columns: uid, account_id, region, name, type, scheme, registered_targets: int,
//   running_targets: int
// key: uid
MATCH (lb:AWSLoadBalancer)
WHERE lb.uid > $after
OPTIONAL MATCH (lb)-[:ROUTES_TO]->(i:AWSInstance)
WITH lb, count(i) AS registered, count(CASE WHEN i.state = 'running' THEN 1 END) AS running
WHERE running = 0
RETURN lb.uid AS uid, lb.account_id AS account_id, lb.region AS region, lb.name AS name,
       lb.type AS type, lb.scheme AS scheme, registered AS registered_targets,
       running AS running_targets
ORDER BY uid
LIMIT $limit
