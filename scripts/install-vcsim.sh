#!/usr/bin/env bash
# Builds VMware's vSphere simulator, vcsim, from the Go module proxy if it is missing.
# v0.46.3 is the newest release that `go install` can build (later ones are a module of
# their own with a replace directive).  Cached in ~/.cache/inventory/bin; Go's module and
# build caches make a rebuild fast.
set -euo pipefail

VERSION=v0.46.3
BIN="${INVENTORY_VCSIM_BIN:-$HOME/.cache/inventory/bin}"
stamp="$BIN/vcsim.$VERSION"

[ -x "$BIN/vcsim" ] && [ -e "$stamp" ] && exit 0

if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
        PATH="/usr/local/go/bin:$PATH"
    else
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "installing Debian's golang-go to build vcsim"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >/dev/null
    fi
fi

mkdir -p "$BIN"
echo "building vcsim $VERSION (once; about two minutes)"
GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/vmware/govmomi/vcsim@$VERSION"
rm -f "$BIN"/vcsim.v*
touch "$stamp"
