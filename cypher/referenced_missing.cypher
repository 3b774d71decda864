// The values of one field the nodes of one label hold in one scope that name no node the
// scope has of the kind they refer to (an image a region's instances run and the region
// does not link to): what a collection of the nodes has fetched for the kind.
MATCH (n:{{label}})
WHERE {{scope}} AND n.{{field}} IS NOT NULL
WITH DISTINCT n.{{field}} AS value
WHERE NOT EXISTS { {{held}} }
RETURN collect(value) AS values
