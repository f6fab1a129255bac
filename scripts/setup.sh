#!/usr/bin/env bash
# Install dependencies (pnpm via corepack), copy proto/ into @sluice/core, build every package with tsc -b and bundle the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f pnpm-lock.yaml ]; then
  bash scripts/pnpm.sh install --frozen-lockfile --reporter=append-only
else
  bash scripts/pnpm.sh install --reporter=append-only
fi
bash scripts/copy-proto.sh
bash scripts/pnpm.sh exec tsc -b
# The `sluice` command bundled into one file (see packages/cli/src/cli-entry.ts).
node scripts/bundle-cli.mjs
