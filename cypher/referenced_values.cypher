// The values of one field the nodes of one label hold in one scope: what a collection
// reads instead of listing it again (the images a region's instances run).
MATCH (n:{{label}})
WHERE {{scope}} AND n.{{field}} IS NOT NULL
RETURN collect(DISTINCT n.{{field}}) AS values
