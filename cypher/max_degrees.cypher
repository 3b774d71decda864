// The most relationships of each given type and direction any one node of a label has:
// one scan of the label, each node's degree read from its own relationship counts
// (getDegree), not by walking its relationships.  {{degrees}}: max(COUNT { (n)-[:T]->() })
// AS <column>, one per type and direction.
CALL () { MATCH (n:{{label}}) RETURN {{degrees}} }
