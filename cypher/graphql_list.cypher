// A GraphQL list field (api/graphql_compile.py): a page of one kind in uid order after
// the cursor, with exact-match filters, each node as the list of its selected values.
CALL () {
  MATCH ({{var}}:{{label}})
  WHERE {{var}}.uid > ${{after}} {{filters}}
  WITH {{var}} ORDER BY {{var}}.uid LIMIT ${{limit}}
  RETURN collect({{row}}) AS {{out}}
}
