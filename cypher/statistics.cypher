// Numbers about the graph in one statement: one CALL subquery per number or group of
// numbers (count_label, count_links_out, count_links_in, max_degrees), each naming its
// own columns, all returned in one row.
{{subqueries}}
RETURN {{columns}}
