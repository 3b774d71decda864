// A GraphQL item field (api/graphql_compile.py): one node by uid as the list of its
// selected values, or null.
CALL () {
  OPTIONAL MATCH ({{var}}:{{label}} {uid: ${{uid}}})
  RETURN CASE WHEN {{var}} IS NULL THEN null ELSE {{row}} END AS {{out}}
}
