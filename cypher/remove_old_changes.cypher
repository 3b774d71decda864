// Change records older than the retention.
MATCH (c:InventoryChange)
WHERE c.at < $before
WITH c LIMIT $batch
DELETE c
RETURN count(*) AS removed
