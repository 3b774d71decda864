// The relationships of one node, each with the label and uid of the node at its other end.
MATCH (n:{{label}} {uid: $uid})-[r]-(m)
RETURN type(r) AS type, startNode(r) = n AS outgoing, labels(m)[0] AS label, m.uid AS uid,
       m.name AS name
ORDER BY type, label, uid
LIMIT $limit
