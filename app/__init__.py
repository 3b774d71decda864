"""The service: config, CLI, broker, task registry, records and the local dev stack."""
