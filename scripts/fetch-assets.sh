#!/usr/bin/env bash
# Fetches the browser pages' assets from the npm registry into api/static/vendor, so that
# /docs (Swagger UI), /redoc (ReDoc) and /graphql (GraphiQL) load nothing from another
# host.  Pinned versions; npm's cache (~/.npm) makes a second fetch local.  Needs npm.
set -euo pipefail

DEST="${1:-$(cd "$(dirname "$0")/.." && pwd)/api/static/vendor}"
PACKAGES=(swagger-ui-dist@5.35.0 redoc@2.5.4 graphiql@3.9.0 react@18.3.1 react-dom@18.3.1)
# package file -> name served under /static/vendor/
FILES=(
  "swagger-ui-dist package/swagger-ui-bundle.js swagger-ui-bundle.js"
  "swagger-ui-dist package/swagger-ui.css swagger-ui.css"
  "swagger-ui-dist package/favicon-32x32.png favicon-32x32.png"
  "redoc package/bundles/redoc.standalone.js redoc.standalone.js"
  "graphiql package/graphiql.min.js graphiql.min.js"
  "graphiql package/graphiql.min.css graphiql.min.css"
  "react package/umd/react.production.min.js react.production.min.js"
  "react-dom package/umd/react-dom.production.min.js react-dom.production.min.js"
)
stamp="$DEST/.versions"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "${PACKAGES[*]}" ] && exit 0

command -v npm >/dev/null 2>&1 || { echo "npm is needed to fetch the web assets" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetching web assets from the npm registry: ${PACKAGES[*]}"
(cd "$work" && npm pack --silent "${PACKAGES[@]}" >/dev/null)
mkdir -p "$DEST"
for entry in "${FILES[@]}"; do
  read -r package inside served <<<"$entry"
  tarball="$(ls "$work"/"$package"-[0-9]*.tgz)"
  tar -xzf "$tarball" -C "$work" "$inside"
  cp "$work/$inside" "$DEST/$served"
  rm -rf "$work/package"
done
echo "${PACKAGES[*]}" > "$stamp"
