// list_nodes as JSON text written by Neo4j (APOC core's apoc.convert.toJson): the driver
// then builds one string, not a dict per node.  The page, and the last uid on it when
// more follow (one more than asked for is read to know).
MATCH (n:{{label}})
WHERE n.uid > $after {{filters}}
WITH n ORDER BY n.uid LIMIT $limit + 1
WITH collect({{projection}}) AS page
RETURN apoc.convert.toJson(page[..$limit]) AS items,
       CASE WHEN size(page) > $limit THEN page[$limit - 1].uid END AS last
