#!/usr/bin/env bash
# Installs the Debian packages the stack needs, if missing: Redis, a JDK 17, Maven, npm,
# Chromium (for the browser tests), wrk (the HTTP load generator of bench/api.py) and
# Prometheus (prometheus and promtool: the alert rules' tests, the dashboards' test and
# `inventory dev up --with-prometheus`).  Installing starts no service.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || [ -x /usr/bin/redis-sentinel ] || need+=(redis-sentinel)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
# npm fetches the web pages' assets; chromium renders them in the browser tests.
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ] || need+=(prometheus)

[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
# Debian's postinst scripts start the daemons they install (prometheus, redis-server):
# invoke-rc.d asks /usr/sbin/policy-rc.d first, and 101 means "do not start".  The stack and
# the suite start their own servers on ports of their own; a system daemon would only hold
# the default ports.  The file is ours only if it was not there before.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by inventory scripts/install-system.sh for one apt-get install\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  made_policy=1
fi
remove_policy() { [ -z "$made_policy" ] || $sudo rm -f "$policy"; }
trap remove_policy EXIT
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
