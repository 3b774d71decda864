// Nodes of one kind older than $before that the housekeeper kept, counted per scope.
MATCH (n:{{label}})
WHERE n.last_seen < $before
RETURN {{columns}}, count(*) AS kept
ORDER BY kept DESC
