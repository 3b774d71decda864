// Times an older version stored in another form made the one form times are stored in: a
// datetime in UTC with the offset Z.  Other forms: text (ISO 8601, Neo4j's own with a zone
// id such as 2026-12-06T04:26:25.763Z[UTC] included), a datetime with a named zone (what
// the driver stored for pytz's UTC: Z[UTC]) or another offset, a local datetime (taken as
// UTC).  {{pattern}} binds n, a node of one label or a relationship of one type; only
// those holding another form in one of $properties are written, a batch per transaction,
// so a second run reads and writes nothing.
MATCH {{pattern}}
WHERE any(p IN $properties WHERE NOT (n[p] IS NULL OR (n[p] IS :: ZONED DATETIME AND n[p].timezone = 'Z')))
CALL (n) {
  UNWIND $properties AS p
  WITH n, p, n[p] AS t
  WHERE NOT (t IS NULL OR (t IS :: ZONED DATETIME AND t.timezone = 'Z'))
  SET n[p] = datetime({datetime: CASE WHEN t IS :: STRING THEN datetime(t) ELSE t END, timezone: 'Z'})
} IN TRANSACTIONS OF $batch ROWS
RETURN count(*) AS converted
