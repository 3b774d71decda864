#!/usr/bin/env bash
# The Python install of Inventory, the same for every path: the image (Dockerfile), the
# checkout (Makefile, editable with the dev extras) and a production virtualenv.
#
#   scripts/install-app.sh VENV SPEC [PIP OPTIONS...]
#     VENV  the virtualenv to install into (made with `python3 -m venv` if missing)
#     SPEC  what pip installs: a wheel, a source folder, or e.g. "-e .[dev]"
#
# Two steps, because one package cannot be resolved with the rest: dramatiq-dashboard
# 0.4.0 (the last release) declares dramatiq<2, yet serves dramatiq 2.x correctly
# (tests/test_task_admin.py and tests/test_install.py prove it). Its own dependencies
# (jinja2, redis) are ours already, so it goes in without dependencies, pinned here.
set -euo pipefail

DASHBOARD="dramatiq-dashboard==0.4.0"

[ $# -ge 2 ] || { echo "usage: $0 VENV SPEC [PIP OPTIONS...]" >&2; exit 2; }
venv="$1"
spec="$2"
shift 2

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# shellcheck disable=SC2086  # SPEC may be two words ("-e .[dev]")
"${pip[@]}" install "$@" $spec
"${pip[@]}" install "$@" --no-deps "$DASHBOARD"
# Every role's code imports: the API (dashboard included), the tasks, the scheduler.
"$venv/bin/python" -c "import api.app, worker.jobs, worker.scheduler"
