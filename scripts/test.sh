#!/usr/bin/env bash
# The test suite: real PostgreSQL and Redis (started if needed), every crate, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/fetch-model.sh
# A fresh machine with Rust has no nextest; install it once (as .ci/run does).
command -v cargo-nextest >/dev/null 2>&1 || cargo install cargo-nextest --locked
exec cargo nextest run --workspace --profile ci "$@"
