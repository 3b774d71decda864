#!/usr/bin/env bash
# Builds helm, for the chart in deploy/helm/inventory and its test (tests/test_helm.py),
# from the Go module proxy if it is missing.  Cached in ~/.cache/inventory/bin with a
# version stamp; Go's module and build caches make a rebuild fast.
set -euo pipefail

VERSION=v4.3.2
BIN="${INVENTORY_HELM_BIN:-$HOME/.cache/inventory/bin}"
stamp="$BIN/helm.$VERSION"

[ -x "$BIN/helm" ] && [ -e "$stamp" ] && exit 0

if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
        PATH="/usr/local/go/bin:$PATH"
    else
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "installing Debian's golang-go to build helm"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >/dev/null
    fi
fi

mkdir -p "$BIN"
echo "building helm $VERSION (once; a few minutes)"
GOBIN="$BIN" GOFLAGS=-mod=mod go install "helm.sh/helm/v4/cmd/helm@$VERSION"
rm -f "$BIN"/helm.v*
touch "$stamp"
