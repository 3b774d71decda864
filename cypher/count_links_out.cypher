// The relationships of one type leaving nodes of one label: a count-store lookup, no scan.
CALL () { MATCH (:{{label}})-[r:{{type}}]->() RETURN count(r) AS {{column}} }
