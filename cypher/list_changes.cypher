// A page of change records, newest first: `match` binds `c` (every record, or those about
// one uid: changes_about), within [$since, $before_at] and before the position ($before_at,
// $before_id: where the previous page ended, or the upper bound), with the filters.  The
// range on `at` lets the index give the records in order, so a page reads about as many
// records as it holds.  One row holding the page (a record per row costs the driver more
// than the query), with one more record than asked for if more follow.
{{match}}
WHERE c.at >= $since AND c.at <= $before_at AND (c.at < $before_at OR c.id < $before_id)
  {{filters}}
WITH c ORDER BY c.at DESC, c.id DESC LIMIT $limit + 1
RETURN collect({{projection}}) AS changes
