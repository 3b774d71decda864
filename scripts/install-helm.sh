#!/usr/bin/env bash
# helm, for the chart in deploy/helm/inventory and its test (tests/test_helm.py).  Cached in
# ~/.cache/inventory/bin.
set -euo pipefail
exec bash "$(dirname "$0")/install-go-tool.sh" helm helm.sh/helm/v4/cmd/helm v4.3.2 \
    "${INVENTORY_HELM_BIN:-$HOME/.cache/inventory/bin}"
