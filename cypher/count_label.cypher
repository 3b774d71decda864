// The nodes of one label: a count-store lookup, no scan.
CALL () { MATCH (n:{{label}}) RETURN count(n) AS {{column}} }
