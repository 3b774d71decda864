// One page of a tagged kind as list_nodes.cypher gives it, of the nodes carrying every tag
// in $tags (whole key=value strings) and a tag of every key in $prefixes ("key="): {{tags}}
// checks that on a node (graph.tags).
// $index is the kind's full-text index on tags (keyword analyzer: one term per tag) and
// $lucene the same filter in Lucene's syntax (graph.tags).  Two ways to the same page:
// - few nodes match (a rare tag): the index gives them all, kept after the cursor and
//   sorted; reading the uid order instead would scan the kind to find a page;
// - many match (a common tag): the uid order from the cursor, tags checked on each node,
//   finds a page after about ($limit + 1) / share nodes, as any other filter does; the
//   index would give every match, to sort, for one page.
// The index is asked for at most `probe` nodes: fewer means it gave them all.  With N
// nodes and m matching, the first way costs ~m index matches and the second ~101 N / m
// node reads; a match costs about 4 reads (bench/tags.py): they cross near sqrt(101 N / 4).
// `scan` says which way was taken: the caller reads the next pages of a filter found
// common with list_nodes.cypher, the scan alone (graph.reads).
MATCH (k:{{label}})
WITH toInteger(sqrt(($limit + 1) * count(k) / 4.0)) + 1 AS probe
CALL (probe) {
  CALL db.index.fulltext.queryNodes($index, $lucene, {limit: probe}) YIELD node
  RETURN collect(node) AS found
}
WITH found, size(found) >= probe AS scan
CALL (scan, found) {
  CALL (scan, found) {
    UNWIND CASE WHEN scan THEN [] ELSE found END AS n
    WITH n WHERE n.uid > $after {{filters}}
    RETURN n
    UNION ALL
    // Null when the index gave every match: the seek below then reads nothing.
    WITH CASE WHEN scan THEN $after END AS after
    MATCH (n:{{label}})
    WHERE n.uid > after {{filters}} {{tags}}
    WITH n ORDER BY n.uid LIMIT $limit + 1
    RETURN n
  }
  WITH n ORDER BY n.uid LIMIT $limit + 1
  RETURN collect({{projection}}) AS page
}
RETURN {{encode}}(page[..$limit]) AS items,
       CASE WHEN size(page) > $limit THEN page[$limit - 1].uid END AS last, scan
