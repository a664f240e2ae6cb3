#!/usr/bin/env bash
# One command for a newcomer: services up, database created and migrated, a first admin,
# then the API and the worker together in one process on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/preflight.sh dev
bash scripts/services.sh
bash scripts/fetch-model.sh

export PRODUCK_ENV="${PRODUCK_ENV:-development}"
export PRODUCK_ADMIN_EMAIL="${PRODUCK_ADMIN_EMAIL:-admin@produck.local}"
export PRODUCK_ADMIN_PASSWORD="${PRODUCK_ADMIN_PASSWORD:-produck-admin}"
# A fixed local key so scripts and curl work right away (development only).
export PRODUCK__AUTH__BOOTSTRAP_API_KEY="${PRODUCK__AUTH__BOOTSTRAP_API_KEY:-pk_local_development_key}"

# The PM console is built first so the API binary embeds it.
bash scripts/console.sh
cargo build -p api --bin produck-api
bin="${CARGO_TARGET_DIR:-target}/debug/produck-api"
"$bin" bootstrap --email "$PRODUCK_ADMIN_EMAIL" --password-env PRODUCK_ADMIN_PASSWORD
# Demo data (Slack, Jira, Docs, Zoom; 64 items from 8 accounts), embedded. Idempotent.
"$bin" seed-demo

cat <<MSG

  ProduckAI is starting on http://127.0.0.1:8000
    Console:        open http://127.0.0.1:8000 and sign in as $PRODUCK_ADMIN_EMAIL / $PRODUCK_ADMIN_PASSWORD
    API reference:  http://127.0.0.1:8000/docs
    API sign-in:    POST /auth/login {"email":"$PRODUCK_ADMIN_EMAIL","password":"$PRODUCK_ADMIN_PASSWORD"}
    Or use the key: curl -H 'Authorization: Bearer $PRODUCK__AUTH__BOOTSTRAP_API_KEY' http://127.0.0.1:8000/feedback

MSG
"$bin" serve --migrate --with-worker &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server"' INT TERM EXIT
# The first start clusters the demo data, so the console opens on a board.
for _ in $(seq 1 150); do curl -fsS http://127.0.0.1:8000/readyz >/dev/null 2>&1 && break; sleep 0.2; done
key="Authorization: Bearer $PRODUCK__AUTH__BOOTSTRAP_API_KEY"
if [ "$(curl -fsS -H "$key" 'http://127.0.0.1:8000/themes?limit=1' 2>/dev/null)" = "[]" ]; then
  curl -fsS -X POST -H "$key" http://127.0.0.1:8000/cluster/run >/dev/null && echo "  Clustering the demo data; the board fills in a few seconds."
fi
wait "$server"
