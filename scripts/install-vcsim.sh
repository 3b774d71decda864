#!/usr/bin/env bash
# VMware's vSphere simulator, vcsim, for the dev stack and the suite.  v0.46.3 is the newest
# release that `go install` can build (later ones are a module of their own with a replace
# directive).  Cached in ~/.cache/inventory/bin.
set -euo pipefail
exec bash "$(dirname "$0")/install-go-tool.sh" vcsim github.com/vmware/govmomi/vcsim v0.46.3 \
    "${INVENTORY_VCSIM_BIN:-$HOME/.cache/inventory/bin}"
