// One node by uid, its declared properties as in get_nodes, with its relationships: each
// with the label, uid and name of the node at its other end (the first $limit of them).
MATCH (n:{{label}} {uid: $uid})
CALL (n) {
  OPTIONAL MATCH (n)-[r]-(m)
  WITH r, m ORDER BY type(r), labels(m)[0], m.uid LIMIT $limit
  RETURN collect(CASE WHEN r IS NOT NULL THEN {type: type(r), outgoing: startNode(r) = n,
         label: labels(m)[0], uid: m.uid, name: m.name} END) AS links
}
RETURN {{projection}} AS n, links
