#!/usr/bin/env bash
# Builds the PM console (console/dist) so produck-api embeds it: installs its npm packages
# (from the lock file) when needed, checks the API types against openapi/openapi.json and
# the TypeScript, then bundles and prints the first-load size.
#   bash scripts/console.sh          build
#   bash scripts/console.sh --check  also fail when src/api/schema.d.ts is stale
set -euo pipefail
cd "$(dirname "$0")/../console"

if ! command -v npm >/dev/null 2>&1; then
  echo "[console] installing Node.js and npm from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[console] installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = "--check" ]; then
  # The console's API types are generated from the committed spec: a stale copy fails here.
  generated=$(mktemp --suffix=.d.ts)
  trap 'rm -f "$generated"' EXIT
  ./node_modules/.bin/openapi-typescript ../openapi/openapi.json --default-non-nullable false -o "$generated" >/dev/null 2>&1
  if ! diff -q src/api/schema.d.ts "$generated" >/dev/null; then
    echo "console/src/api/schema.d.ts is stale: run 'npm run gen-types' in console/" >&2
    diff -u src/api/schema.d.ts "$generated" | head -40 >&2
    exit 1
  fi
fi
./node_modules/.bin/tsc --noEmit
node build.mjs
