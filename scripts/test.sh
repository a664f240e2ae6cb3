#!/usr/bin/env bash
# The test suite: real PostgreSQL and Redis (started if needed), every crate, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/fetch-model.sh
exec cargo nextest run --workspace --profile ci "$@"
