// A full-text index over a list of strings with the keyword analyzer: each string is one
// term, neither split nor lower-cased, so the index matches whole strings and prefixes.
// Updated as writes commit (not eventually): a page read after a write sees it.
CREATE FULLTEXT INDEX {{name}} IF NOT EXISTS
FOR (n:{{label}}) ON EACH [n.{{property}}]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword', `fulltext.eventually_consistent`: false}}
