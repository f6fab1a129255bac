#!/usr/bin/env bash
# Set up (install + build) and run the network word count on an embedded local cluster
# (driver in-process, 2 worker processes on loopback) against a bundled line generator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node packages/cli/bin/sluice.js run --workers 2 examples/network-wordcount.ts
