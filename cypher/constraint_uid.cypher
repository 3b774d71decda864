// One uid per label; the constraint's index also serves lookups and uid ordering.
CREATE CONSTRAINT {{name}} IF NOT EXISTS
FOR (n:{{label}}) REQUIRE n.uid IS UNIQUE
