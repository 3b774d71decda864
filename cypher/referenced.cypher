// The values of one field the nodes of one label hold in one scope: what a collection
// reads instead of listing it again (the images a region's instances run); with `held`,
// those naming no node the scope has of the kind they refer to (an image the region does
// not link to), which a collection of the nodes fetches for that kind.
MATCH (n:{{label}})
WHERE {{scope}} AND n.{{field}} IS NOT NULL
WITH DISTINCT n.{{field}} AS value
WHERE NOT {{held}}
RETURN collect(value) AS values
