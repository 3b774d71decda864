// For a batch of nodes of one label ($uids), the first $first change records about each,
// newest first, within [$since, $before_at] and before the position ($before_at,
// $before_id), with the filters: a row per node, as list_changes gives them.
UNWIND $uids AS uid
CALL (uid) {
  MATCH (c:InventoryChange {uid: uid}) WHERE c.label = $label
  RETURN c
  UNION
  MATCH (c:InventoryChange {target_uid: uid}) WHERE c.target_label = $label
  RETURN c
}
WITH uid, c
WHERE c.at >= $since AND c.at <= $before_at AND (c.at < $before_at OR c.id < $before_id)
  {{filters}}
WITH uid, c ORDER BY c.at DESC, c.id DESC
WITH uid, collect(c)[..$first] AS page
RETURN uid, [c IN page | {{projection}}] AS changes
