#!/usr/bin/env bash
# Refreshes supply-chain/advisory-db from the upstream RustSec repository (needs a network
# that reaches it; CI does not, which is why a snapshot is committed).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --depth 1 https://github.com/rustsec/advisory-db "$tmp/db"
rm -rf supply-chain/advisory-db/crates
cp -R "$tmp/db/crates" "$tmp/db/LICENSE.txt" supply-chain/advisory-db/
{
  echo "RustSec advisory database (CC0-1.0, see LICENSE.txt), crates/ only."
  echo "commit: $(git -C "$tmp/db" rev-parse HEAD)"
  echo "date:   $(git -C "$tmp/db" show -s --format=%cI HEAD)"
  echo "Refresh on a machine that reaches the upstream repository: bash scripts/update-advisory-db.sh"
} > supply-chain/advisory-db/SNAPSHOT
echo "advisory database updated; run bash scripts/deny.sh"
