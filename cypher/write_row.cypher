// A part of the statements that write nodes (merge_nodes, merge_members), after `changed`
// (graph.changes): node `n` written from `row`.  A row whose tracked values are the node's
// (`old` null) writes only its untracked ones: setting every property again cost a third
// of Neo4j's time in an unchanged re-collection.  last_seen never moves back.
SET n += CASE WHEN old IS NULL THEN {} ELSE row END, n += $scope,
    n.last_seen = CASE WHEN seen > $seen_at THEN seen ELSE $seen_at END
FOREACH (f IN CASE WHEN old IS NULL THEN [k IN $untracked WHERE k IN keys(row)] ELSE [] END |
  SET n[f] = row[f])
