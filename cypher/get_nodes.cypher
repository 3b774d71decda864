// Nodes of one kind by uid: their declared properties, times as ISO 8601 text.
UNWIND $uids AS uid
MATCH (n:{{label}} {uid: uid})
RETURN uid, {{projection}} AS n
