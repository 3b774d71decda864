// Whether the server has a function (APOC's, say): 1 or 0.
SHOW FUNCTIONS YIELD name WHERE name = $name
RETURN count(*) AS found
