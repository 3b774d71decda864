#!/usr/bin/env bash
# Regenerates docs/schema.graphql from the GraphQL schema the API builds (dev/graphql_schema.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
tmp="$(mktemp docs/.schema.graphql.XXXXXX)"
trap 'rm -f "$tmp"' EXIT
"$PY" -m dev.graphql_schema > "$tmp"
mv "$tmp" docs/schema.graphql
trap - EXIT
echo "docs/schema.graphql: $(grep -c '^type ' docs/schema.graphql) types"
