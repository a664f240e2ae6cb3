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

# PRODUCK_CHROMIUM names another Chromium (macOS: /Applications/Chromium.app/Contents/MacOS/Chromium).
browser="${PRODUCK_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$browser" ]; then
  echo "[console-tests] installing Chromium from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null
  browser=$(command -v chromium)
fi
bash scripts/services.sh >/dev/null
bash scripts/fetch-model.sh
bash scripts/console.sh
cargo build -q --locked -p api --bin produck-api "${cargo_flags[@]}"
bin="${CARGO_TARGET_DIR:-target}/$profile/produck-api"

log=$(mktemp)
source scripts/throwaway-api.sh
throwaway_env console
export PRODUCK__TELEMETRY__FILTER="warn"
export PRODUCK_ADMIN_PASSWORD="console-admin-password"
# Slack and Google are fakes answering in the vendors' shapes (console/tests/fake-vendors.mjs).
vendors_out=$(mktemp)
node console/tests/fake-vendors.mjs >"$vendors_out" &
vendors=$!
trap 'throwaway_stop; kill "$vendors" 2>/dev/null; rm -f "$log" "$vendors_out"' EXIT
for _ in $(seq 1 50); do [ -s "$vendors_out" ] && break; sleep 0.1; done
fake=$(head -n 1 "$vendors_out")
export PRODUCK__INTEGRATIONS__PUBLIC_URL="$url"
export PRODUCK__INTEGRATIONS__TOKEN_KEYS="{\"k1\":\"$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')\"}"
export PRODUCK__INTEGRATIONS__CURRENT_TOKEN_KEY=k1
export PRODUCK__INTEGRATIONS__SLACK__API_BASE_URL="$fake/slack/api"
export PRODUCK__INTEGRATIONS__GOOGLE__CLIENT_ID="console-test.apps.googleusercontent.com"
export PRODUCK__INTEGRATIONS__GOOGLE__CLIENT_SECRET="GOCSPX-console-test"
export PRODUCK__INTEGRATIONS__GOOGLE__AUTH_URL="$fake/google/o/oauth2/v2/auth"
export PRODUCK__INTEGRATIONS__GOOGLE__TOKEN_URL="$fake/google/token"
export PRODUCK__INTEGRATIONS__GOOGLE__REVOKE_URL="$fake/google/revoke"
export PRODUCK__INTEGRATIONS__GOOGLE__API_BASE_URL="$fake/google"
# The fake vendors also receive webhooks, on this machine.
export PRODUCK__WEBHOOKS__ALLOWED_HOSTS='["127.0.0.1"]'
"$bin" bootstrap --email admin@console.test --password-env PRODUCK_ADMIN_PASSWORD >/dev/null
"$bin" seed-demo >/dev/null
throwaway_start "$bin" "$log"
# The board starts from the demo data clustered, as a newcomer's does after dev.sh.
cluster_and_wait

status=0
(
  cd console
  CONSOLE_URL="$url" CONSOLE_API_KEY="$key" CONSOLE_FAKE_URL="$fake" CONSOLE_PROFILE="$profile" \
    CONSOLE_ADMIN_EMAIL=admin@console.test CONSOLE_ADMIN_PASSWORD="$PRODUCK_ADMIN_PASSWORD" \
    CHROMIUM="$browser" \
    node --test --test-concurrency=1 --test-reporter=spec tests/
) || status=$?
if [ "$status" -ne 0 ]; then
  echo "[console-tests] API log (last 60 lines):"
  tail -n 60 "$log"
fi
exit "$status"
