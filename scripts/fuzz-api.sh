#!/usr/bin/env bash
# Schema fuzzing: schemathesis (from PyPI) against the served OpenAPI document, every
# operation, with an admin API key, over demo data, every check: no server error, every
# response as documented, every request the schema allows accepted (422 never answers
# one; see schemathesis.toml) and every request it forbids refused. The seed changes each
# day (FUZZ_SEED=N replays one); the stateful phase follows the documented links.
#   bash scripts/fuzz-api.sh [max examples per operation, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${1:-10}"
seed="${FUZZ_SEED:-$(date -u +%Y%j)}"
echo "[fuzz] seed $seed (replay with FUZZ_SEED=$seed)"
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
log=$(mktemp)
source scripts/throwaway-api.sh
throwaway_env fuzz
trap 'throwaway_stop; rm -f "$log"' EXIT
export PRODUCK__TELEMETRY__FILTER="warn,api=error"
"$bin" seed-demo >/dev/null
throwaway_start "$bin" "$log"

# Event streams stay open until their job ends, so they are checked by the test suite
# instead. Everything else is fuzzed. One worker: CPython 3.11's AST constructor is not
# thread-safe (gh-106905), and hypothesis parses lambdas' source while it describes them,
# so two worker threads fail now and then with "AST constructor recursion depth mismatch".
# Every check runs (schemathesis' default when none is named; schemathesis.toml tunes a few
# per operation, which naming checks here would override).
status=0
"$venv/bin/schemathesis" --no-color run "$url/openapi.json" \
  --header "Authorization: Bearer $key" \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$examples" \
  --exclude-path-regex '/events$' \
  --request-timeout 30 \
  --workers 1 \
  --seed "$seed" \
  --generation-database none \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "[fuzz] API log (last 60 lines):"
  tail -n 60 "$log"
fi
exit "$status"
