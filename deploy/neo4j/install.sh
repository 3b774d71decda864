#!/usr/bin/env bash
# Usage: deploy/neo4j/install.sh LIBDIR
# Fetches the Neo4j 5.26 Community server + Browser jars and APOC core (see pom.xml)
# into LIBDIR (APOC's own jars into LIBDIR/plugins) via Maven (cached in ~/.m2),
# then makes an AppCDS class archive LIBDIR/neo4j.jsa
# with one short training run of run.sh (set NEO4J_CDS=0 to skip it).
# Idempotent: a marker keyed on pom.xml, run.sh and the java version makes a
# repeat run a no-op. Prints one line; exits non-zero with a message on failure.
set -euo pipefail

die() { echo "neo4j/install.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || die "usage: install.sh LIBDIR"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$HERE/pom.xml"
command -v mvn >/dev/null || die "mvn not found on PATH"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVA_VERSION="$("$JAVA" -version 2>&1)" || die "java not found (need OpenJDK 17)"

mkdir -p "$1" || die "cannot create $1"
LIBDIR="$(cd "$1" && pwd)"
CDS_WANTED="${NEO4J_CDS:-1}"
KEY="$( { cat "$POM" "$HERE/run.sh"; printf '%s\ncds=%s\n' "$JAVA_VERSION" "$CDS_WANTED"; } | sha256sum | cut -d' ' -f1)"
MARKER="$LIBDIR/.neo4j-install"

exec 9>"$LIBDIR/.lock"
flock 9 || die "cannot lock $LIBDIR/.lock"

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$KEY" ] && compgen -G "$LIBDIR/neo4j-5.26.*.jar" >/dev/null; then
  echo "neo4j: up to date in $LIBDIR"
  exit 0
fi
rm -f "$MARKER"
t0=$SECONDS

# 1. jars, via a staging dir so jars of an older pom never linger.
STAGE="$(mktemp -d "$LIBDIR/.stage.XXXXXX")"
TRAIN_PID=""; TRAIN_DIR=""
cleanup() {
  [ -n "$TRAIN_PID" ] && kill -KILL "$TRAIN_PID" 2>/dev/null || true
  [ -n "$TRAIN_DIR" ] && rm -rf "$TRAIN_DIR"
  rm -rf "$STAGE" "$LIBDIR/neo4j.jsa.tmp"
}
trap cleanup EXIT

if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DoutputDirectory="$STAGE/jars" >"$STAGE/mvn.log" 2>&1; then
  sed 's/\x1b\[[0-9;]*m//g' "$STAGE/mvn.log" | grep -v '^\[ERROR\] *$' | tail -n 30 >&2
  die "maven could not fetch the Neo4j jars (see above)"
fi
compgen -G "$STAGE/jars/neo4j-5.26.*.jar" >/dev/null || die "maven did not produce neo4j-5.26.*.jar"
compgen -G "$STAGE/jars/neo4j-browser-*.jar" >/dev/null || die "maven did not produce the neo4j-browser jar"
compgen -G "$STAGE/jars/apoc-core-*.jar" >/dev/null || die "maven did not produce the apoc-core jar"
rm -rf "$LIBDIR"/*.jar "$LIBDIR/neo4j.jsa" "$LIBDIR/plugins"
# APOC's own jars are plugins (Neo4j loads functions from its plugins dir only); the
# libraries they use stay on the class path.
mkdir -p "$LIBDIR/plugins"
mv "$STAGE"/jars/apoc-*.jar "$LIBDIR/plugins/"
mv "$STAGE"/jars/*.jar "$LIBDIR"/
NJARS="$(ls "$LIBDIR"/*.jar | wc -l)"
VERS="$(cd "$LIBDIR" && ls neo4j-5.26.*.jar neo4j-browser-*.jar | sed 's/\.jar$//' | tr '\n' ' ')"

# 2. AppCDS archive: start the server once on free ports with a throwaway data
#    dir, touch HTTP, Browser and Cypher, stop it; the JVM writes the archive at exit.
http() {  # http PORT METHOD PATH [BODY] -> prints the status line; basic auth neo4j:$PW
  local body="${4:-}" auth
  auth="$(printf 'neo4j:%s' "$PW" | base64 -w0)"
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
    "$2" "$3" "$auth" "${#body}" "$body" >&3
  head -n 1 <&3; cat <&3 >/dev/null; exec 3<&-
}
cds_note="no CDS archive"
train_cds() {
  TRAIN_DIR="$(mktemp -d /tmp/neo4j-cds.XXXXXX)"
  PW="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  local log="$TRAIN_DIR/train.log" port="" i
  NEO4J_LIB="$LIBDIR" NEO4J_DIR="$TRAIN_DIR/db" NEO4J_PASSWORD="$PW" \
    NEO4J_BOLT_PORT=0 NEO4J_HTTP_PORT=0 NEO4J_HEAP=512m NEO4J_PAGECACHE=64m \
    _NEO4J_CDS_DUMP="$LIBDIR/neo4j.jsa.tmp" "$HERE/run.sh" >"$log" 2>&1 &
  TRAIN_PID=$!
  for i in $(seq 1 1800); do          # up to 180 s
    port="$(sed -n 's|.*Remote interface available at http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log")"
    [ -n "$port" ] && break
    kill -0 "$TRAIN_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    tail -n 20 "$log" >&2; echo "neo4j/install.sh: warning: CDS training run did not start" >&2; return 1
  fi
  http "$port" GET / >/dev/null || true
  http "$port" GET /browser/ >/dev/null || true
  http "$port" POST /db/neo4j/tx/commit \
    '{"statements":[{"statement":"CREATE (n:CdsWarmup {k: $k}) RETURN n","parameters":{"k":1}},{"statement":"MATCH (n:CdsWarmup) WITH n, n.k AS k DETACH DELETE n RETURN count(*)"},{"statement":"CALL db.labels()"}]}' >/dev/null || true
  kill -TERM "$TRAIN_PID" 2>/dev/null || true
  for i in $(seq 1 1200); do          # up to 120 s (archive dump happens at exit)
    kill -0 "$TRAIN_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$TRAIN_PID" 2>/dev/null; then
    kill -KILL "$TRAIN_PID" 2>/dev/null || true
    echo "neo4j/install.sh: warning: CDS training run did not stop" >&2; return 1
  fi
  wait "$TRAIN_PID" 2>/dev/null || true
  TRAIN_PID=""
  [ -s "$LIBDIR/neo4j.jsa.tmp" ] || { echo "neo4j/install.sh: warning: no CDS archive written" >&2; return 1; }
  mv -f "$LIBDIR/neo4j.jsa.tmp" "$LIBDIR/neo4j.jsa"
  rm -rf "$TRAIN_DIR"; TRAIN_DIR=""
}
if [ "$CDS_WANTED" != 0 ]; then
  if train_cds; then cds_note="CDS archive $(du -m "$LIBDIR/neo4j.jsa" | cut -f1) MB"; fi
fi

echo "$KEY" > "$MARKER"
echo "neo4j: installed $NJARS jars (${VERS% }) + $cds_note into $LIBDIR in $((SECONDS - t0))s"
