#!/usr/bin/env bash
# Schema fuzzing: schemathesis (from PyPI) against the served OpenAPI document, every
# operation, with an admin API key, over demo data. Fails on any server error or any
# response that breaks the documented schema.
#   bash scripts/fuzz-api.sh [max examples per operation, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${1:-10}"
target="${CARGO_TARGET_DIR:-target}"
venv="${PRODUCK_VENV:-$HOME/.cache/produck/venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "[fuzz] installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi

bash scripts/services.sh >/dev/null
bash scripts/fetch-model.sh
cargo build -q --locked -p api --bin produck-api
bin="$target/debug/produck-api"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="produck_fuzz_$$"
log=$(mktemp)
key="pk_fuzz_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

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
export PRODUCK__JOBS__QUEUE_PREFIX="fuzz$$"
export PRODUCK__TELEMETRY__FILTER="warn,api=error"
"$bin" seed-demo >/dev/null
"$bin" serve --migrate --with-worker >"$log" 2>&1 &
api=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done

# Event streams stay open until their job ends, so they are checked by the test suite
# instead. Everything else is fuzzed. One worker: CPython 3.11's AST constructor is not
# thread-safe (gh-106905), and hypothesis parses lambdas' source while it describes them,
# so two worker threads fail now and then with "AST constructor recursion depth mismatch".
status=0
"$venv/bin/schemathesis" --no-color run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$examples" \
  --exclude-path-regex '/events$' \
  --request-timeout 30 \
  --workers 1 \
  --seed 1 \
  --generation-database none \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "[fuzz] API log (last 60 lines):"
  tail -n 60 "$log"
fi
exit "$status"
