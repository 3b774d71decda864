UNWIND $uids AS uid
MATCH (n:{{label}} {uid: uid})
RETURN uid, n
