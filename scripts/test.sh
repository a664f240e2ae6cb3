#!/usr/bin/env bash
# The test suite: real PostgreSQL and Redis (started if needed), the console in Debian's
# Chromium, then every crate's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/preflight.sh test
bash scripts/services.sh
bash scripts/fetch-model.sh
# A fresh machine with Rust has no nextest; install it once (as .ci/run does).
command -v cargo-nextest >/dev/null 2>&1 || cargo install cargo-nextest --locked
# The browser tests build the console and the API with it embedded.
bash scripts/test-console.sh
exec cargo nextest run --workspace --profile ci "$@"
