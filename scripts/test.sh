#!/usr/bin/env bash
# The test suite: real PostgreSQL and Redis (started if needed), every crate, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
exec cargo nextest run --workspace --profile ci "$@"
