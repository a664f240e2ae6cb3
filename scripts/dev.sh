#!/usr/bin/env bash
# One command for a newcomer: services up, database created and migrated, a first admin,
# then the API and the worker together in one process on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."

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
exec "$bin" serve --migrate --with-worker
