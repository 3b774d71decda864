// Snapshots older than a given age
//
// EBS snapshots the account owns that were started more than the given number of days
// ago (90 by default), with whether the volume they were taken of still exists.  Old
// snapshots are most of a snapshot bill; past a retention period they are rarely
// restored, and a lifecycle policy (Data Lifecycle Manager) could have let them go.
//
// columns: uid, account_id, region, name, volume_id, volume_exists: bool,
//   volume_size_gib: int, started: datetime, age_days: int, description
// key: uid
// param min_age_days: int >= 0 <= 36500 = 90 -- only snapshots started at least this many days ago
MATCH (s:AWSSnapshot)
WHERE s.uid > $after AND s.start_time <= datetime() - duration({days: $min_age_days})
RETURN s.uid AS uid, s.account_id AS account_id, s.region AS region, s.name AS name,
       s.volume_id AS volume_id, EXISTS { MATCH (v:AWSVolume {uid: s.volume_id}) } AS volume_exists,
       s.volume_size_gib AS volume_size_gib, s.start_time AS started,
       duration.inDays(s.start_time, datetime()).days AS age_days, s.description AS description
ORDER BY uid
LIMIT $limit
