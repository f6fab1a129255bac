#!/usr/bin/env bash
# Set up (install + build) and run every test with Node's test runner.
# Tests start real driver and worker processes on loopback; they run one file at a time
# (this is a 2-core machine) with a per-test timeout so nothing can hang CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mapfile -t files < <(find packages/*/dist/test -name '*.test.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
node --test --test-concurrency=1 --test-timeout=240000 "$@" "${files[@]}"
