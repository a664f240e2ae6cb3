#!/usr/bin/env bash
# The backup and restore drill of docs/operations.md, run for real: a workspace with data
# (the demo set, embedded and clustered), dumped with pg_dump, restored with pg_restore into a
# fresh database, the API started on the copy (with a Redis it has never seen), and the board,
# the feedback and the counts compared. CI runs it.
#   bash scripts/restore-drill.sh [path/to/produck-api]
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-}"
if [ -z "$bin" ]; then
  cargo build -q --locked -p api --bin produck-api
  bin="${CARGO_TARGET_DIR:-target}/debug/produck-api"
fi
work=$(mktemp -d)
source scripts/throwaway-api.sh
throwaway_env drill
restored="${db}_restored"
cleanup() {
  throwaway_stop
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $restored WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

snapshot() { # $1: output folder; what a PM sees, read through the API
  mkdir -p "$1"
  curl -fsS -H "$auth" "$url/themes?limit=100" > "$1/board.json"
  curl -fsS -H "$auth" "$url/themes/filter-counts" > "$1/filter-counts.json"
  curl -fsS -H "$auth" "$url/feedback?limit=500" > "$1/feedback.json"
  curl -fsS -H "$auth" "$url/ingest/sources/summary" > "$1/sources.json"
  curl -fsS -H "$auth" "$url/customers?limit=100" > "$1/customers.json"
}

echo "[drill] a workspace with data: an admin, the demo set, embedded and clustered"
export DRILL_PASSWORD="drill-admin-password"
"$bin" bootstrap --email drill@example.com --password-env DRILL_PASSWORD > /dev/null
"$bin" seed-demo > /dev/null
throwaway_start "$bin" "$work/api-source.log"
cluster_and_wait
snapshot "$work/before"
themes=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/before/board.json")
[ "$themes" -gt 0 ] || { echo "[drill] the source board is empty" >&2; exit 1; }

echo "[drill] pg_dump, then pg_restore into a fresh database"
pg_dump -h 127.0.0.1 -U postgres --format=custom --no-owner --file "$work/produck.dump" "$db"
kill "$api"; wait "$api" 2>/dev/null || true; api=""
createdb -h 127.0.0.1 -U postgres "$restored"
pg_restore -h 127.0.0.1 -U postgres --no-owner --exit-on-error -d "$restored" "$work/produck.dump"

echo "[drill] the API on the restored copy, with an empty Redis namespace"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$restored?sslmode=disable"
export PRODUCK__JOBS__QUEUE_PREFIX="drillrestored$$"
throwaway_start "$bin" "$work/api-restored.log"
snapshot "$work/after"
for f in board filter-counts feedback sources customers; do
  if ! cmp -s "$work/before/$f.json" "$work/after/$f.json"; then
    echo "[drill] $f differs after the restore:" >&2
    diff <(python3 -m json.tool "$work/before/$f.json") <(python3 -m json.tool "$work/after/$f.json") | head -20 >&2
    exit 1
  fi
done
login=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"drill@example.com\",\"password\":\"$DRILL_PASSWORD\"}")
[ "$login" = 200 ] || { echo "[drill] the admin cannot sign in to the restored copy ($login)" >&2; exit 1; }
items=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["items"] if isinstance(d, dict) else d))' "$work/after/feedback.json")
echo "[drill] restored: $themes themes and $items feedback items, board, counts and customers equal, the admin signs in"
