// One node by uid, its declared properties as in get_nodes, with its relationships: each
// with its direction and the label, uid and name of the node at its other end (the first
// $limit of them; none is an empty list, as an aggregate over no rows still gives one).
MATCH (n:{{label}} {uid: $uid})
CALL (n) {
  MATCH (n)-[r]-(m)
  WITH r, m ORDER BY type(r), labels(m)[0], m.uid LIMIT $limit
  RETURN collect({type: type(r), direction: CASE startNode(r) WHEN n THEN 'out' ELSE 'in' END,
                  label: labels(m)[0], uid: m.uid, name: m.name}) AS links
}
RETURN {{projection}} AS n, links
