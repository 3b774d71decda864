// One page of a kind in uid order, after the cursor, with optional exact-match filters;
// the declared properties only, times as ISO 8601 text.  One row holding the page: the
// driver builds a record per row in Python, which cost more than the query itself.
MATCH (n:{{label}})
WHERE n.uid > $after {{filters}}
WITH n ORDER BY n.uid LIMIT $limit
RETURN collect({{projection}}) AS items
