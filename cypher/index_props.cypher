CREATE INDEX {{name}} IF NOT EXISTS
FOR (n:{{label}}) ON ({{properties}})
