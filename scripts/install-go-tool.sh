#!/usr/bin/env bash
# Builds a Go program from the Go module proxy if it is missing, into a cache folder with a
# version stamp; Go's module and build caches make a rebuild fast.
#   scripts/install-go-tool.sh NAME PACKAGE VERSION BIN
# e.g. install-go-tool.sh vcsim github.com/vmware/govmomi/vcsim v0.46.3 ~/.cache/inventory/bin
set -euo pipefail

[ $# -eq 4 ] || { echo "usage: $0 NAME PACKAGE VERSION BIN" >&2; exit 2; }
name="$1" package="$2" version="$3" bin="$4"
stamp="$bin/$name.$version"

[ -x "$bin/$name" ] && [ -e "$stamp" ] && exit 0

if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
        PATH="/usr/local/go/bin:$PATH"
    else
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "installing Debian's golang-go to build $name"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >/dev/null
    fi
fi

mkdir -p "$bin"
echo "building $name $version (once; a few minutes)"
GOBIN="$bin" GOFLAGS=-mod=mod go install "$package@$version"
rm -f "$bin/$name".v*
touch "$stamp"
