// Snapshots of deleted volumes
//
// EBS snapshots the account owns whose source volume no longer exists, with their size
// and age.  Snapshots are billed every month for the data they hold; those of volumes
// deleted long ago pile up for years because nothing shows them beside a volume any
// more.  Only accounts and regions whose volumes have been collected are checked, so a
// snapshot is never reported for want of its volume's collection.  A snapshot behind an
// image the inventory holds is not listed: it lives as long as the image (see
// unused-images).  A copied snapshot names no real volume (vol-ffffffff), so it shows.
//
// columns: uid, account_id, region, name, volume_id, volume_size_gib: int,
//   started: datetime, age_days: int, description
// key: uid
// param min_age_days: int >= 0 <= 36500 = 0 -- only snapshots started at least this many days ago
MATCH (s:AWSSnapshot)
WHERE s.uid > $after
  AND coalesce(s.start_time, datetime()) <= datetime() - duration({days: $min_age_days})
  AND NOT EXISTS { MATCH (v:AWSVolume {uid: s.volume_id}) }
  AND NOT EXISTS { MATCH (img:AWSImage) WHERE s.uid IN img.snapshot_ids }
  AND EXISTS {
    MATCH (c:InventoryCollection {label: 'AWSVolume'})
    WHERE c.account_id = s.account_id AND c.region = s.region AND c.last_success IS NOT NULL
  }
RETURN s.uid AS uid, s.account_id AS account_id, s.region AS region, s.name AS name,
       s.volume_id AS volume_id, s.volume_size_gib AS volume_size_gib,
       s.start_time AS started, duration.inDays(s.start_time, datetime()).days AS age_days,
       s.description AS description
ORDER BY uid
LIMIT $limit
