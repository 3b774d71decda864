// Nodes of one kind by uid: their declared properties, times as RFC 3339 text, in one row.
UNWIND $uids AS uid
MATCH (n:{{label}} {uid: uid})
RETURN collect({{projection}}) AS items
