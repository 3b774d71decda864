// Unattached EBS volumes
//
// EBS volumes attached to no instance, with their size, type and age.  An unattached
// volume is billed every month for its whole size whether anything reads it or not: the
// commonest leak in an AWS account, often left behind when an instance is terminated.
//
// columns: uid, account_id, region, name, size_gib: int, volume_type, state, created: datetime,
//   age_days: int
// key: uid
// param min_age_days: int >= 0 <= 36500 = 0 -- only volumes created at least this many days ago
MATCH (v:AWSVolume)
WHERE v.uid > $after AND size(coalesce(v.instance_ids, [])) = 0
  AND coalesce(v.create_time, datetime()) <= datetime() - duration({days: $min_age_days})
RETURN v.uid AS uid, v.account_id AS account_id, v.region AS region, v.name AS name,
       v.size_gib AS size_gib, v.volume_type AS volume_type, v.state AS state,
       v.create_time AS created, duration.inDays(v.create_time, datetime()).days AS age_days
ORDER BY uid
LIMIT $limit
