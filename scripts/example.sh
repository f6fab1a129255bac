#!/usr/bin/env bash
# Set up (install + build) and run the word count example on an embedded local cluster:
# the driver in-process and 2 worker processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node packages/cli/bin/sluice.js run examples/wordcount.ts --workers 2
