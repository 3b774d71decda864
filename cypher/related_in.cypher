// For a batch of nodes, a page of the nodes pointing at each one through one relationship
// type: the first $first with a uid after $after, in uid order, as declared properties.
UNWIND $uids AS uid
MATCH (:{{label}} {uid: uid})<-[:{{type}}]-(m:{{other}})
WHERE m.uid > $after
WITH uid, m ORDER BY m.uid
WITH uid, collect(m)[..$first] AS page
UNWIND page AS m
RETURN uid, {{projection}} AS m
