// DNS records pointing at what is gone
//
// Route53 records whose target is gone: an A or AAAA record with a public address that no
// collected account holds (no Elastic IP has it, no instance has it as its public IP), or
// a CNAME or alias to a load balancer's DNS name (…elb.amazonaws.com) that no collected
// load balancer has.  A released address may be allocated by anyone, and a record still
// pointing at it hands them a name of yours (a subdomain takeover); a record to a deleted
// load balancer answers nothing.  Checked only against the accounts and regions the
// inventory collects: an address held, or a balancer running, in an account it does not
// collect shows here too, as does an address outside AWS.  A record's addresses are
// checked once its own account's Elastic IPs and instances have been collected, a
// balancer's name once load balancers have been collected in the region that name says.
// Private addresses (RFC 1918, IPv6 unique local) and other names (a CNAME to another
// site, an alias to CloudFront or S3) are left out.  The inventory keeps no IPv6 address
// of an instance, so an AAAA record's own addresses are checked only with include_ipv6
// (its alias to a load balancer always is).
//
// columns: uid, account_id, zone_name, private_zone: bool, name, type, values: list,
//   alias_target, dangling: list, missing
// key: uid
// param public_zones_only: bool = false -- only records in public hosted zones, those the internet resolves
// param include_ipv6: bool = false -- also AAAA records' IPv6 addresses, none of which the inventory knows to be held
// index: AWSElasticIP(public_ip)
// index: AWSInstance(public_ip)
MATCH (r:AWSDNSRecord)
WHERE r.uid > $after AND NOT ($public_zones_only AND r.private_zone)
WITH r, all(kind IN ['AWSElasticIP', 'AWSInstance'] WHERE EXISTS {
       MATCH (c:InventoryCollection {label: kind})
       WHERE c.account_id = r.account_id AND c.last_success IS NOT NULL
     }) AS addresses_known
WITH r,
     [ip IN coalesce(r.public_ips, [])
      WHERE addresses_known AND ($include_ipv6 OR NOT ip CONTAINS ':')
        AND NOT EXISTS { MATCH (a:AWSElasticIP {public_ip: ip}) }
        AND NOT EXISTS { MATCH (i:AWSInstance {public_ip: ip}) }] AS addresses,
     [t IN coalesce(r.targets, [])
      WHERE t =~ '.+\\.elb\\.([a-z0-9-]+\\.)?amazonaws\\.com(\\.cn)?'
        AND NOT EXISTS { MATCH (lb:AWSLoadBalancer) WHERE toLower(lb.dns_name) = t }
        AND EXISTS {
          MATCH (c:InventoryCollection {label: 'AWSLoadBalancer'})
          WHERE c.last_success IS NOT NULL
            AND c.region = [part IN split(t, '.') WHERE part =~ '[a-z]{2}(-[a-z]+)+-[0-9]+'][-1]
        }] AS balancers
WHERE size(addresses) > 0 OR size(balancers) > 0
RETURN r.uid AS uid, r.account_id AS account_id, r.zone_name AS zone_name,
       r.private_zone AS private_zone, r.name AS name, r.type AS type, r.values AS values,
       r.alias_target AS alias_target, addresses + balancers AS dangling,
       CASE WHEN size(addresses) > 0 THEN 'address' ELSE 'load balancer' END AS missing
ORDER BY uid
LIMIT $limit
