#!/usr/bin/env bash
# Browser tests of the console: Playwright (playwright-core) drives Debian's Chromium
# against a real produck-api with its worker, demo data and three members (admin, editor,
# viewer), on a fresh database. Screenshots of every page at 1280 and 390 px go to
# console/test-results/.
#   bash scripts/test-console.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_flags=()
if [ "${1:-}" = "--release" ]; then profile=release; cargo_flags=(--release); fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "[console-tests] installing Chromium from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null
fi
bash scripts/services.sh >/dev/null
bash scripts/fetch-model.sh
bash scripts/console.sh
cargo build -q --locked -p api --bin produck-api "${cargo_flags[@]}"
bin="${CARGO_TARGET_DIR:-target}/$profile/produck-api"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="produck_console_$$"
log=$(mktemp)
key="pk_console_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
cleanup() {
  [ -n "${api:-}" ] && kill "$api" 2>/dev/null && wait "$api" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT

export PRODUCK_ENV=test
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export PRODUCK__SERVER__PORT="$port"
export PRODUCK__AUTH__BOOTSTRAP_API_KEY="$key"
export PRODUCK__JOBS__QUEUE_PREFIX="console$$"
export PRODUCK__TELEMETRY__FILTER="warn"
export PRODUCK_ADMIN_PASSWORD="console-admin-password"
"$bin" bootstrap --email admin@console.test --password-env PRODUCK_ADMIN_PASSWORD >/dev/null
"$bin" seed-demo >/dev/null
"$bin" serve --migrate --with-worker >"$log" 2>&1 &
api=$!
for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

# The board starts from the demo data clustered, as a newcomer's does after one click.
curl -fsS -X POST -H "Authorization: Bearer $key" "http://127.0.0.1:$port/cluster/run" >/dev/null
for _ in $(seq 1 300); do
  state=$(curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$port/cluster/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [ "$state" = completed ] && break
  [ "$state" = failed ] && { echo "[console-tests] clustering the demo data failed" >&2; exit 1; }
  sleep 0.5
done

status=0
(
  cd console
  CONSOLE_URL="http://127.0.0.1:$port" CONSOLE_API_KEY="$key" \
    CONSOLE_ADMIN_EMAIL=admin@console.test CONSOLE_ADMIN_PASSWORD="$PRODUCK_ADMIN_PASSWORD" \
    CHROMIUM="$(command -v chromium)" \
    node --test --test-concurrency=1 --test-reporter=spec tests/
) || status=$?
if [ "$status" -ne 0 ]; then
  echo "[console-tests] API log (last 60 lines):"
  tail -n 60 "$log"
fi
exit "$status"
