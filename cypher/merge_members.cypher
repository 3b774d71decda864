// One batch of a kind shared between scopes: each row is merged once, and the scope's own
// node (made here if its own collection has not run yet: recorded as created) gets a
// membership link to it.  What is new or changed, memberships included, gets its change
// record in this statement.
MERGE (o:{{owner_label}} {uid: $owner.uid})
WITH o, o.last_seen IS NULL AS made
CALL (o, made) {
  WITH * WHERE made
  SET o += $owner.props, o.first_seen = $seen_at, o.last_seen = $seen_at
  {{owner_created}}
}
WITH o, made
UNWIND $rows AS row
MERGE (n:{{label}} {uid: row.uid})
ON CREATE SET n.first_seen = $seen_at
WITH o, made, n, row, n.last_seen AS seen
// Scopes may see one record differently (an image's tags are its owner's alone): the node
// holds one scope's view (view_of), its owner's (Kind.owner_view) over any other's, else
// the first one's while that scope still sees it.  Another view only renews last_seen and the
// membership: as an empty row it changes nothing.
WITH *, seen IS NULL OR n.view_of = o.uid OR {{owner_view}}
        OR NOT EXISTS { (:{{owner_label}} {uid: n.view_of})-[:{{type}}]->(n) } AS holds
WITH o, made, n, CASE WHEN holds THEN row ELSE {} END AS row, seen, holds
{{changed}}
{{write}}
SET n.view_of = CASE WHEN holds THEN o.uid ELSE n.view_of END
MERGE (o)-[r:{{type}}]->(n)
ON CREATE SET r.first_seen = $seen_at
WITH made, n, row, changed, change, old, r, r.last_seen AS joined_seen
WITH *, joined_seen IS NULL AS joined
SET r.last_seen = CASE WHEN joined_seen > $seen_at THEN joined_seen ELSE $seen_at END
WITH *
CALL (r, joined) {
  WITH * WHERE joined
  {{linked}}
}
CALL (n, changed, change, old, row) {
  WITH * WHERE change IS NOT NULL
  {{record}}
}
RETURN sum(CASE change WHEN 'created' THEN 1 ELSE 0 END) AS created,
       sum(CASE change WHEN 'updated' THEN 1 ELSE 0 END) AS updated,
       sum(CASE WHEN joined THEN 1 ELSE 0 END) AS linked,
       max(CASE WHEN made THEN 1 ELSE 0 END) AS owner_created
