// One page of a kind in uid order, after the cursor, with optional exact-match filters;
// the declared properties only, times as RFC 3339 text.  One row holding the page (the
// driver builds a record per row in Python, which cost more than the query itself), and
// the last uid on it when more follow (one more than asked for is read to know).
// {{encode}} is apoc.convert.toJson where the server has APOC: the page then comes as
// JSON text, one string for the driver to build instead of a dict per node.
MATCH (n:{{label}})
WHERE n.uid > $after {{filters}}
WITH n ORDER BY n.uid LIMIT $limit + 1
WITH collect({{projection}}) AS page
RETURN {{encode}}(page[..$limit]) AS items,
       CASE WHEN size(page) > $limit THEN page[$limit - 1].uid END AS last
