#!/usr/bin/env bash
# What one idle worker costs: CPU share of a core and Redis commands per second, measured
# against a private Redis (so nothing else is counted) and a scratch database.
#   bash scripts/idle-cost.sh [path/to/produck-worker] [seconds]
# Build first: cargo build --release -p worker
set -euo pipefail
cd "$(dirname "$0")/.."

worker="${1:-${CARGO_TARGET_DIR:-target}/release/produck-worker}"
seconds="${2:-30}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db="produck_idle_$$"
dir=$(mktemp -d)

cleanup() {
  [ -n "${wpid:-}" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null || true
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$dir" --logfile "$dir/redis.log" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null

export PRODUCK_ENV=development
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export REDIS_URL="redis://127.0.0.1:$port"
export PRODUCK__TELEMETRY__FILTER=warn
"${CARGO_TARGET_DIR:-target}/release/produck-api" migrate >/dev/null
"$worker" >"$dir/worker.log" 2>&1 &
wpid=$!
sleep 5 # start-up: registration, first polls

ticks() { awk '{print $14 + $15}' "/proc/$wpid/stat"; }
commands() { redis-cli -p "$port" info stats | awk -F: '/^total_commands_processed/ {print $2+0}'; }
hz=$(getconf CLK_TCK)
c0=$(commands); t0=$(ticks)
sleep "$seconds"
c1=$(commands); t1=$(ticks)
# Each `info stats` above is itself one command.
python3 - "$c0" "$c1" "$t0" "$t1" "$hz" "$seconds" <<'PY'
import sys
c0, c1, t0, t1, hz, secs = (float(x) for x in sys.argv[1:])
print(f"idle worker over {secs:.0f} s: {(t1 - t0) / hz / secs * 100:.2f} % of a core, "
      f"{(c1 - c0 - 1) / secs:.1f} Redis commands/s")
PY
