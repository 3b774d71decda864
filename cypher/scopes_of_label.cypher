// The distinct scopes in which nodes of one label exist (for fanning link tasks out).
MATCH (n:{{label}})
RETURN DISTINCT {{columns}}
