// Images of the account that no instance runs
//
// Machine images an account owns that no instance it has runs, older than the given
// age.  Each keeps its snapshots, billed every month; old unused images are also old
// software that someone may launch by mistake.
//
// columns: uid, account_id, region, name, state, created: datetime, age_days: int
// key: uid
// param min_age_days: int >= 0 <= 36500 = 30 -- only images created at least this many days ago
MATCH (r:AWSRegion)-[:HAS_IMAGE]->(img:AWSImage)
WHERE img.uid > $after AND img.owner_id = r.account_id
  AND NOT (:AWSInstance)-[:USES_IMAGE]->(img)
  AND coalesce(img.creation_date, datetime()) <= datetime() - duration({days: $min_age_days})
RETURN img.uid AS uid, r.account_id AS account_id, r.region AS region, img.name AS name,
       img.state AS state, img.creation_date AS created,
       duration.inDays(img.creation_date, datetime()).days AS age_days
ORDER BY uid
LIMIT $limit
