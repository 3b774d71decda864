// Memberships of one scope that its last successful collection did not renew, each with
// its change record.
MATCH (:{{owner_label}} {uid: $owner.uid})-[r:{{type}}]->(:{{label}})
WHERE r.last_seen < $seen_at
WITH r LIMIT $batch
{{unlinked}}
DELETE r
RETURN count(*) AS removed
