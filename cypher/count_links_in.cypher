// The relationships of one type reaching nodes of one label: a count-store lookup, no scan.
CALL () { MATCH ()-[r:{{type}}]->(:{{label}}) RETURN count(r) AS {{column}} }
