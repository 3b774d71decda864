COLLECT {
  // A GraphQL relationship field (api/graphql_compile.py): the first nodes at the other
  // end with a uid after the cursor, in uid order, each as its selected values.
  MATCH ({{parent}}){{arrow}}({{var}}:{{other}})
  WHERE {{var}}.uid > ${{after}}
  WITH {{var}} ORDER BY {{var}}.uid LIMIT ${{first}}
  RETURN {{row}}
}
