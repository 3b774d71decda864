"""The graph layer: driver, schema, batched writer, links and cleanup. Knows no provider."""
