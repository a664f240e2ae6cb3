#!/usr/bin/env bash
# The board's time to interactive in Chromium against the release build, on the demo data or
# on a CSV of feedback (one text per row, e.g. Banking77's 10 003 training questions),
# uploaded, embedded and clustered first. Prints the figures; asserts nothing.
#   bash scripts/bench-console.sh [feedback.csv]
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:-}"

bash scripts/services.sh >/dev/null
bash scripts/fetch-model.sh
bash scripts/console.sh >/dev/null
cargo build -q --release --locked -p api --bin produck-api
bin="${CARGO_TARGET_DIR:-target}/release/produck-api"

source scripts/throwaway-api.sh
throwaway_env consolebench
export PRODUCK__TELEMETRY__FILTER=error
export PRODUCK_ADMIN_PASSWORD="bench-admin-password"
"$bin" bootstrap --email admin@bench.test --password-env PRODUCK_ADMIN_PASSWORD >/dev/null
[ -z "$file" ] && "$bin" seed-demo >/dev/null
throwaway_start "$bin"
if [ -n "$file" ]; then
  curl -fsS -H "$auth" -H "Prefer: respond-async" -F "files=@$file" "$url/upload/upload-feedback" >/dev/null
  echo "[bench] waiting for the upload to be stored and embedded"
  for _ in $(seq 1 600); do
    busy=$(curl -fsS -H "$auth" "$url/jobs?status=running&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    queued=$(curl -fsS -H "$auth" "$url/jobs?status=queued&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    [ "$busy" = 0 ] && [ "$queued" = 0 ] && break
    sleep 1
  done
fi
cluster_and_wait
items=$(curl -fsS -H "$auth" "$url/ingest/sources/summary" | python3 -c 'import json,sys; print(sum(s["count"] for s in json.load(sys.stdin)["sources"]))')
themes=0
while page=$(curl -fsS -H "$auth" "$url/themes?limit=100&offset=$themes" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') && [ "$page" -gt 0 ]; do
  themes=$((themes + page))
done
echo "[bench] $items feedback items, $themes insights (release build)"
(cd console && CONSOLE_URL="$url" CONSOLE_EMAIL=admin@bench.test CONSOLE_PASSWORD="$PRODUCK_ADMIN_PASSWORD" node bench/board.mjs 7)
