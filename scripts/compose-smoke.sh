#!/usr/bin/env bash
# The compose deployment end to end, on a machine with Docker (CI has no container engine;
# tests/it/startup.rs proves the same start-up rules with the binaries). Builds the image,
# starts everything under a throwaway project name on port 18000, checks that the API is
# ready with the local embedding model, signs in as the first admin, loads a file and reads
# the board, then removes the project and its volumes.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v docker >/dev/null || { echo "compose-smoke: docker is required" >&2; exit 1; }
project=produck-smoke
port=18000
created_env=0
if [ ! -f .env ]; then
  # A throwaway .env with fresh secrets; removed again at the end.
  sed -e "s|^PRODUCK__AUTH__JWT_SECRET=.*|PRODUCK__AUTH__JWT_SECRET=$(openssl rand -hex 32)|" \
      -e "s|^PRODUCK_ADMIN_PASSWORD=.*|PRODUCK_ADMIN_PASSWORD=smoke-admin-password|" \
      .env.example > .env
  created_env=1
fi
cleanup() {
  docker compose -p "$project" down -v --remove-orphans >/dev/null 2>&1 || true
  if [ "$created_env" = 1 ]; then rm -f .env; fi
}
trap cleanup EXIT

set -a; . ./.env; set +a
export PRODUCK_PORT=$port
docker compose -p "$project" up -d --build --wait
base="http://127.0.0.1:$port"
ready=$(curl -fsS "$base/readyz")
echo "readyz: $ready"
echo "$ready" | grep -q '"provider":"local"' || { echo "compose-smoke: the API does not embed with the local model" >&2; exit 1; }

login=$(curl -fsS -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$PRODUCK_ADMIN_EMAIL\",\"password\":\"$PRODUCK_ADMIN_PASSWORD\"}")
token=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth="Authorization: Bearer $token"
printf 'text,customer\n"Exports to CSV time out on large boards",Acme\n"CSV export fails for big workspaces",Globex\n"Export to CSV is too slow",Initech\n' > /tmp/produck-smoke.csv
curl -fsS -X POST "$base/upload/upload-feedback" -H "$auth" -F "files=@/tmp/produck-smoke.csv;type=text/csv" >/dev/null
curl -fsS "$base/feedback?limit=5" -H "$auth" | grep -q "CSV" || { echo "compose-smoke: the upload is not listed" >&2; exit 1; }
curl -fsS -o /dev/null -w 'console: %{http_code}\n' "$base/app/"
echo "compose-smoke: passed"
