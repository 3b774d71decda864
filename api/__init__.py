"""The HTTP side: REST, GraphQL and health, all over the same graph. Knows no provider SDK."""
