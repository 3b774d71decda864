// For a batch of nodes, the nodes each one points to through one relationship type.
UNWIND $uids AS uid
MATCH (:{{label}} {uid: uid})-[:{{type}}]->(m:{{other}})
RETURN uid, m
ORDER BY uid, m.uid
