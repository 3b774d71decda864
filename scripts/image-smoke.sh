#!/usr/bin/env bash
# The image, built and run for real (issue 18, item 2); docs/image.md.
#
#   scripts/image-smoke.sh          (as root, on Linux; run by hand, not by `make test`)
#
# 1. Checks that containers can run here (rootful podman; installs podman, buildah,
#    debootstrap with apt if missing) with a trivial container, adapting to what this host
#    refuses: rlimits above this process's hard limits are cut to them; crun's "cgroups in
#    hybrid mode not supported" switches the runtime to runc. Where containers still
#    cannot run it prints the exact error and "skipped: <reason>", and exits 0.
# 2. Makes the two local bases the Dockerfile takes as build arguments, with debootstrap
#    (Debian bookworm, minbase) and apt in a chroot: python3 + python3-venv, and npm. Each
#    trusts what this machine trusts (its /usr/local/share/ca-certificates are added).
#    Cached: the images in podman's storage, their root filesystems as tarballs in
#    ~/.cache/inventory/image/ (and the .debs), so that only a missing one is rebuilt.
# 3. podman build of the project's Dockerfile with those bases -> localhost/inventory:smoke.
# 4. Starts Redis, Neo4j and a moto server seeded with the demo AWS estate on free
#    loopback ports (scripts/image_smoke_stack.py, dev/stack.py), and runs the image as the
#    Helm chart does (uid 10001, read-only root, a tmpfs on /tmp, the config mounted
#    read-only, INVENTORY_CONFIG), host network, listening on 127.0.0.1 only:
#    `db migrate`; the API (/readyz 200, /healthz 200); a worker pool
#    (`worker --pool low`, its /healthz); aws:collect-vpcs enqueued through the API runs
#    to "succeeded" in the worker container, and the API lists the VPCs it wrote.
# Each step prints PASS or FAIL and its time; every container is removed and every server
# stopped by its PID at the end. Exit status: 0 passed or skipped, 1 a step failed.
#
# Environment: INVENTORY_IMAGE_SMOKE_REBUILD=1 rebuilds the bases (and their tarballs);
# INVENTORY_DEBIAN_MIRROR (default http://deb.debian.org/debian) and
# INVENTORY_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security);
# INVENTORY_IMAGE_SMOKE_KEEP_LOGS=1 keeps the logs folder after a pass.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/inventory/image"
SUITE=bookworm
MIRROR="${INVENTORY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${INVENTORY_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
IMAGE=localhost/inventory:smoke
PY_BASE="localhost/inventory-base-python:$SUITE"
NODE_BASE="localhost/inventory-base-node:$SUITE"
PROBE=localhost/inventory-smoke-probe:latest
# What each stage needs: the install runs `python3 -m venv` and pip (passwd: useradd);
# scripts/fetch-assets.sh runs bash and npm.
PY_PACKAGES="python3 python3-venv passwd ca-certificates"
NODE_PACKAGES="npm ca-certificates"
UID_IN_IMAGE=10001
PYTHON="$ROOT/.venv/bin/python"
HELPER="$ROOT/scripts/image_smoke_stack.py"

NAME="inventory-smoke-$$"
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/inventory-image-smoke.XXXXXX")"
STATE="$LOGS/stack.json"
CONTAINERS=()
PODMAN=(podman)   # global options (--runtime) are added by the probe
RUN_OPTS=()       # options every `podman run` and `podman build` needs here (--ulimit)
FAILED=0
STEP_NO=0
START=$(date +%s.%N)

say() { printf '%s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

skip() {
  say "skipped: $*"
  exit 0
}

# step NAME COMMAND...: runs it with its output in the logs folder; PASS with the last line
# of its output, or FAIL with the last lines, then stop.
step() {
  local name="$1" t log rc
  shift
  STEP_NO=$((STEP_NO + 1))
  log="$LOGS/$(printf '%02d' "$STEP_NO")-${name//[^a-zA-Z0-9]/-}.log"
  t=$(date +%s.%N)
  "$@" >"$log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then
    printf 'PASS  %-52s %7s' "$name" "$(elapsed "$t")"
    local last
    last="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-150)"
    [ -n "$last" ] && printf '  %s' "$last"
    printf '\n'
  else
    printf 'FAIL  %-52s %7s  (exit %s; %s)\n' "$name" "$(elapsed "$t")" "$rc" "$log"
    tail -n 30 "$log" | sed 's/^/      | /'
    FAILED=1
    exit 1
  fi
}

exec 3>&1 4>&2 # the terminal: a signal may end the script inside a step's redirection

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  local c
  for c in "${CONTAINERS[@]}"; do
    if [ "$FAILED" = 1 ] && "${PODMAN[@]}" container exists "$c" 2>/dev/null; then
      say "---- last lines of container $c:"
      "${PODMAN[@]}" logs --tail 25 "$c" 2>&1 | sed 's/^/      | /'
    fi
    "${PODMAN[@]}" rm -f -t 10 "$c" >/dev/null 2>&1
  done
  [ "${#CONTAINERS[@]}" -gt 0 ] && say "removed containers: ${CONTAINERS[*]}"
  if [ -f "$STATE" ]; then
    "$PYTHON" "$HELPER" down "$STATE" 2>&1 | sed 's/^ *//' | paste -sd ',' | sed 's/^/servers: /'
  fi
  if [ "$FAILED" = 0 ] && [ "$rc" = 0 ] && [ -z "${INVENTORY_IMAGE_SMOKE_KEEP_LOGS:-}" ]; then
    rm -rf "$LOGS"
  else
    say "logs: $LOGS"
  fi
  say "total $(elapsed "$START")"
  exit "$rc"
}
trap cleanup EXIT
trap 'FAILED=1; exec 1>&3 2>&4; say "interrupted"; exit 130' INT TERM

# rm -rf of a root filesystem, never across a mount left inside it (/proc of a chroot).
remove_tree() {
  local dir="$1" m
  [ -d "$dir" ] || return 0
  for m in $(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r); do umount -l "$m" || true; done
  rm -rf --one-file-system "$dir"
}

# ---- 1. can containers run here? -------------------------------------------------------

preflight() {
  [ "$(uname -s)" = Linux ] || skip "containers run on Linux here; this is $(uname -s)"
  [ "$(id -u)" = 0 ] || skip "rootful podman and debootstrap need root; this is uid $(id -u)"
  local missing=() p
  for p in podman buildah debootstrap; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || skip "${missing[*]} missing and no apt-get to install them"
    say "installing ${missing[*]} (apt)"
    local out
    if ! out="$(DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      podman buildah debootstrap 2>&1)"; then
      skip "apt-get install podman buildah debootstrap failed: $(tail -n 3 <<<"$out" | paste -sd ' ')"
    fi
  fi
  [ -x "$PYTHON" ] || (cd "$ROOT" && make install >"$LOGS/make-install.log" 2>&1) \
    || { say "FAIL  make install (for .venv): $LOGS/make-install.log"; FAILED=1; exit 1; }
  local info
  info="$(podman info --format \
    'podman {{.Version.Version}}, storage {{.Store.GraphDriverName}}, cgroups {{.Host.CgroupsVersion}} ({{.Host.CgroupManager}}), runtime {{.Host.OCIRuntime.Name}}' 2>&1)" \
    || skip "podman cannot run here: podman info failed: $(paste -sd ' ' <<<"$info")"
  say "$info"
}

# A trivial local image: this host's bash and the libraries it links, nothing fetched.
probe_image() {
  podman image exists "$PROBE" 2>/dev/null && return 0
  local dir lib out rc
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin"
  cp /bin/bash "$dir/bin/bash"
  for lib in $(ldd /bin/bash | grep -o '/[^ ]*'); do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
  out="$(tar -C "$dir" -cf - . | podman import -q --change 'CMD ["/bin/bash"]' - "$PROBE" 2>&1)"
  rc=$?
  rm -rf "$dir"
  [ "$rc" = 0 ] || skip "podman cannot import a local image here: $(paste -sd ' ' <<<"$out")"
}

# Run the probe; on an error this host is known to raise, adapt and retry; else skip.
probe_containers() {
  probe_image
  local _ out hard_nofile hard_nproc fixed_ulimits="" fixed_runtime=""
  for _ in 1 2 3 4; do
    if out="$("${PODMAN[@]}" run --rm "${RUN_OPTS[@]}" --network=host "$PROBE" \
      /bin/bash -c 'echo ok' 2>&1)"; then
      say "a trivial container runs: podman ${PODMAN[*]:1} run ${RUN_OPTS[*]}"
      return 0
    fi
    say "  met: $out"
    case "$out" in
      *setrlimit*|*"setting rlimit"*)
        [ -z "$fixed_ulimits" ] || break
        # Podman asks for 1048576 open files and 4194304 processes, above this process's
        # hard limits where it lacks CAP_SYS_RESOURCE; and podman lowers its own process
        # limit to 32768, which a container's may not exceed.
        hard_nofile="$(ulimit -Hn)"
        hard_nproc="$(ulimit -Hu)"
        [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
        { [ "$hard_nproc" = unlimited ] || [ "$hard_nproc" -gt 32768 ]; } && hard_nproc=32768
        RUN_OPTS+=(--ulimit "nofile=$hard_nofile:$hard_nofile" --ulimit "nproc=$hard_nproc:$hard_nproc")
        fixed_ulimits=1
        say "  so: --ulimit nofile=$hard_nofile:$hard_nofile --ulimit nproc=$hard_nproc:$hard_nproc (this process's hard limits)"
        ;;
      *"cgroups in hybrid mode not supported"*)
        [ -z "$fixed_runtime" ] || break
        if ! command -v runc >/dev/null 2>&1; then
          DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runc \
            >"$LOGS/runc.log" 2>&1 || skip "crun refuses this host's cgroups ($out) and runc could not be installed: $(tail -n 2 "$LOGS/runc.log" | paste -sd ' ')"
          say "  installed runc (apt)"
        fi
        PODMAN=(podman --runtime runc)
        fixed_runtime=1
        say "  so: --runtime runc (cgroup v1 with a cgroup2 hierarchy holding a controller: crun refuses it, runc runs it)"
        ;;
      *) break ;;
    esac
  done
  skip "containers cannot run here: podman ${PODMAN[*]:1} run ${RUN_OPTS[*]} failed: $out"
}

# ---- 2. the local bases ----------------------------------------------------------------

local_cas() { ls /usr/local/share/ca-certificates/*.crt 2>/dev/null; }

# The minbase root filesystem as a tarball (debootstrap once; its .debs kept).
minbase_tarball() {
  local tarball="$CACHE/$SUITE-minbase.tar" dir
  if [ -f "$tarball" ] && [ -z "${INVENTORY_IMAGE_SMOKE_REBUILD:-}" ]; then
    echo "cached $tarball"
    return 0
  fi
  mkdir -p "$CACHE/debs"
  dir="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
  debootstrap --variant=minbase --include=ca-certificates --cache-dir="$CACHE/debs" \
    "$SUITE" "$dir" "$MIRROR" || { remove_tree "$dir"; return 1; }
  rm -f "$dir"/var/cache/apt/archives/*.deb # kept in $CACHE/debs
  tar -C "$dir" --numeric-owner -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  local rc=$?
  remove_tree "$dir"
  return $rc
}

# make_base TAG PACKAGES: minbase + PACKAGES (apt in a chroot, which resolves what
# debootstrap's --include cannot: npm's dependencies) + this machine's local CAs.
make_base() {
  local tag="$1" packages="$2" key tarball dir rc
  key="$( { echo "$SUITE $MIRROR $SECURITY_MIRROR $packages"; local_cas | xargs -r cat; } \
    | sha256sum | cut -c1-12)"
  tarball="$CACHE/$(echo "${tag#localhost/}" | tr ':/' '--')-$key.tar"
  if [ -z "${INVENTORY_IMAGE_SMOKE_REBUILD:-}" ]; then
    if [ "$(podman image inspect --format '{{index .Labels "inventory.base"}}' "$tag" 2>/dev/null)" = "$key" ]; then
      echo "cached image $tag ($key)"
      return 0
    fi
    if [ -f "$tarball" ]; then
      podman import -q --change "LABEL inventory.base=$key" --change 'CMD ["/bin/bash"]' \
        "$tarball" "$tag" >/dev/null && echo "imported $tag from cached $tarball"
      return
    fi
  fi
  minbase_tarball || return 1
  dir="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
  (
    set -e
    tar -C "$dir" --numeric-owner -xpf "$CACHE/$SUITE-minbase.tar"
    cp "$CACHE"/debs/*.deb "$dir/var/cache/apt/archives/" 2>/dev/null || true
    # The point release plus its updates and security fixes, as Debian's own images have.
    printf 'deb %s %s main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE-updates" \
      "$SECURITY_MIRROR" "$SUITE-security" >"$dir/etc/apt/sources.list"
    chroot "$dir" apt-get update
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y
    # shellcheck disable=SC2086  # a list of packages
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends $packages
    cp -n "$dir"/var/cache/apt/archives/*.deb "$CACHE/debs/" 2>/dev/null || true
    chroot "$dir" apt-get clean
    rm -rf "$dir"/var/lib/apt/lists/*
    for ca in $(local_cas); do cp "$ca" "$dir/usr/local/share/ca-certificates/"; done
    chroot "$dir" update-ca-certificates
    tar -C "$dir" --numeric-owner -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
  )
  rc=$?
  remove_tree "$dir"
  [ "$rc" = 0 ] || return $rc
  podman import -q --change "LABEL inventory.base=$key" --change 'CMD ["/bin/bash"]' \
    "$tarball" "$tag" >/dev/null && echo "built $tag ($key): $(du -h "$tarball" | cut -f1) tarball"
}

# ---- 3. the image ------------------------------------------------------------------------

build_image() {
  cd "$ROOT" || return 1
  local previous
  previous="$(podman image inspect --format '{{.ID}}' "$IMAGE" 2>/dev/null)"
  # --format docker keeps the HEALTHCHECK (OCI images have none); --pull=never: the bases
  # are local and no registry is reachable.
  "${PODMAN[@]}" build --format docker --pull=never --network=host "${RUN_OPTS[@]}" \
    --build-arg "PYTHON_IMAGE=$PY_BASE" --build-arg "NODE_IMAGE=$NODE_BASE" \
    -t "$IMAGE" . || return 1
  # The image this one replaces goes, with its build's intermediate images (not those still
  # shared: the bases, the assets stage, unchanged layers), so that runs do not pile up.
  if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.ID}}' "$IMAGE")" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
  fi
  podman image inspect --format \
    '{{printf "%.12s" .ID}}: {{.Size}} bytes, user {{.Config.User}}, entrypoint {{.Config.Entrypoint}}, cmd {{.Config.Cmd}}' \
    "$IMAGE"
}

# ---- 4. the roles, against real servers -----------------------------------------------

start_servers() {
  local out
  out="$("$PYTHON" "$HELPER" up "$STATE")" || return 1
  eval "$out"
  echo "Redis, Neo4j, moto up (pids $SMOKE_PIDS); API on 127.0.0.1:$SMOKE_API_PORT"
}

# The options the Helm chart runs the image with, on the host's network and loopback.
role_opts() {
  ROLE_OPTS=(
    "${RUN_OPTS[@]}"
    --network=host --read-only --tmpfs /tmp --user "$UID_IN_IMAGE"
    -v "$SMOKE_CONTAINER_CONFIG:/etc/inventory/inventory.yaml:ro"
    -e INVENTORY_CONFIG=/etc/inventory/inventory.yaml
    -e INVENTORY_API__HOST=127.0.0.1 -e "INVENTORY_API__PORT=$SMOKE_API_PORT"
    -e INVENTORY_TASKS__METRICS_HOST=127.0.0.1
  )
}

run_container() { # NAME ARGS...: a detached container, removed at the end
  local name="$NAME-$1"
  shift
  CONTAINERS+=("$name")
  "${PODMAN[@]}" run -d --name "$name" "${ROLE_OPTS[@]}" "$IMAGE" "$@"
}

migrate() {
  CONTAINERS+=("$NAME-migrate")
  "${PODMAN[@]}" run --rm --name "$NAME-migrate" "${ROLE_OPTS[@]}" "$IMAGE" db migrate
}

api_up() {
  run_container api >/dev/null || return 1
  "$PYTHON" "$HELPER" http "http://127.0.0.1:$SMOKE_API_PORT/readyz" 200 90
}

read_only_user() {
  "${PODMAN[@]}" exec "$NAME-api" python -c '
import os
try:
    open("/opt/inventory/probe", "w")
    raise SystemExit("the root filesystem is writable")
except OSError as exc:
    print(f"uid {os.getuid()}, writing /opt/inventory: {exc.strerror}")
    assert os.getuid() == 10001, os.getuid()'
}

healthcheck() {
  "${PODMAN[@]}" healthcheck run "$NAME-api" || return 1
  echo "healthy (python -c urlopen http://127.0.0.1:\$INVENTORY_API__PORT/healthz, in the container)"
}

worker_up() {
  run_container worker worker --pool low --metrics-port "$SMOKE_WORKER_METRICS_PORT" >/dev/null \
    || return 1
  "$PYTHON" "$HELPER" http "http://127.0.0.1:$SMOKE_WORKER_METRICS_PORT/healthz" 200 90
}

main() {
  say "image smoke test: $ROOT -> $IMAGE"
  preflight
  probe_containers
  mkdir -p "$CACHE"
  step "base image $PY_BASE" make_base "$PY_BASE" "$PY_PACKAGES"
  step "base image $NODE_BASE" make_base "$NODE_BASE" "$NODE_PACKAGES"
  step "podman build $IMAGE" build_image
  step "Redis, Neo4j, moto (demo AWS estate) on loopback" start_servers
  role_opts
  step "inventory db migrate (container)" migrate
  step "API container: /readyz 200" api_up
  step "API container: /healthz 200" "$PYTHON" "$HELPER" http "http://127.0.0.1:$SMOKE_API_PORT/healthz" 200 10
  step "API container: the image's HEALTHCHECK" healthcheck
  step "API container: uid 10001, read-only root" read_only_user
  step "worker container (--pool low): /healthz 200" worker_up
  step "aws:collect-vpcs via POST /api/v1/tasks: succeeded" "$PYTHON" "$HELPER" task "$STATE" aws:collect-vpcs 300
  step "worker metrics: AWSVPC nodes written" "$PYTHON" "$HELPER" metric \
    "http://127.0.0.1:$SMOKE_WORKER_METRICS_PORT/metrics" inventory_nodes_written_total label=AWSVPC
  step "API lists the collected VPCs" "$PYTHON" "$HELPER" count "$STATE" "/api/v1/aws/vpcs?limit=100"
  say "all steps passed"
}

main "$@"
