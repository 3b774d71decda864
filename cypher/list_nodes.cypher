// One page of a kind in uid order, after the cursor, with optional exact-match filters.
MATCH (n:{{label}})
WHERE n.uid > $after {{filters}}
RETURN n
ORDER BY n.uid
LIMIT $limit
