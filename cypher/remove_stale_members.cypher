// Memberships of one scope that its last successful collection did not renew.
MATCH (:{{owner_label}} {uid: $owner.uid})-[r:{{type}}]->(:{{label}})
WHERE r.last_seen < $seen_at
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS removed
