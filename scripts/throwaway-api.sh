# Sourced by the scripts that need a real API for a while (schema fuzzing, browser tests,
# the console bench): a fresh database, its own Redis prefix and a free port, removed again
# when the script exits.
#   source scripts/throwaway-api.sh
#   throwaway_env NAME             exports PRODUCK_* for a fresh database produck_NAME_<pid>
#   throwaway_start BIN [LOG]      serves with a worker; sets $api (pid) and $url
#   cluster_and_wait               runs clustering through the API and waits for it
#   $key                           the admin API key; $auth its Authorization header

throwaway_env() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  db="produck_${1}_$$"
  key="pk_${1}_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  auth="Authorization: Bearer $key"
  url="http://127.0.0.1:$port"
  export PRODUCK_ENV=test
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  export PRODUCK__SERVER__PORT="$port"
  export PRODUCK__AUTH__BOOTSTRAP_API_KEY="$key"
  export PRODUCK__JOBS__QUEUE_PREFIX="${1}$$"
  trap throwaway_stop EXIT
}

throwaway_start() {
  "$1" serve --migrate --with-worker >"${2:-/dev/null}" 2>&1 &
  api=$!
  for _ in $(seq 1 150); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the API did not become ready on $url" >&2
  return 1
}

throwaway_stop() {
  [ -n "${api:-}" ] && kill "$api" 2>/dev/null && wait "$api" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}

cluster_and_wait() {
  curl -fsS -X POST -H "$auth" "$url/cluster/run" >/dev/null
  local state=""
  for _ in $(seq 1 600); do
    state=$(curl -fsS -H "$auth" "$url/cluster/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$state" = completed ] && return 0
    [ "$state" = failed ] && break
    sleep 0.5
  done
  echo "clustering did not complete (status: $state)" >&2
  return 1
}
