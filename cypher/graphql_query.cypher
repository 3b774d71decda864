// A whole GraphQL query (api/graphql_compile.py): its root fields, each a subquery, and
// the answer as one list of their values, JSON text where the server has APOC
// ({{encode}} is apoc.convert.toJson then).
{{calls}}
RETURN {{encode}}([{{outs}}]) AS data
