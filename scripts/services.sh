#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1 (installing them with apt as root on
# Debian when absent; elsewhere preflight.sh names the commands), with password-less access
# for the postgres role over loopback, as development and tests expect.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[services] %s\n' "$*"; }
bash scripts/preflight.sh services

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 50); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.2; done
  else
    log "PostgreSQL is not running on 127.0.0.1:5432. Start it, then run this again:"
    if [ "$(uname -s)" = Darwin ]; then
      log "    brew services start postgresql@16"
    else
      log "    sudo pg_ctlcluster \$(ls /etc/postgresql | sort -V | tail -n 1) main start"
    fi
    exit 1
  fi
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if [ -n "$version" ] && [ -w "$hba" ]; then
    # A fresh Debian cluster asks for passwords on TCP. Trust exactly the postgres role on
    # loopback (not every role, not the network), and say so.
    sed -i '1i host all postgres 127.0.0.1/32 trust # added by produck scripts/services.sh\nhost all postgres ::1/128 trust # added by produck scripts/services.sh' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    log "changed $hba: the postgres role may now connect from 127.0.0.1 and ::1 without a"
    log "password (two lines marked 'added by produck'; delete them and reload to undo)"
    sleep 1
  else
    log "PostgreSQL refuses the postgres role over 127.0.0.1 without a password. Either:"
    if [ "$(uname -s)" = Darwin ]; then
      log "    createuser -s postgres"
    else
      log "    add 'host all postgres 127.0.0.1/32 trust' at the top of pg_hba.conf and reload, or"
    fi
    log "    point DATABASE_URL at a role and password of yours (postgres://user:pass@127.0.0.1:5432/produck)"
    exit 1
  fi
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { log "Redis is not answering on 127.0.0.1:6379"; exit 1; }
log "PostgreSQL and Redis are up"
