#!/usr/bin/env bash
# Copy proto/ (the one contract between processes) into packages/core/proto, the copy
# @sluice/core loads at runtime and publishes. Run by setup.sh and gen-proto.sh; the copy is
# committed so a plain `tsc -b` build runs, and core refuses to load a stale copy in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf packages/core/proto
mkdir -p packages/core/proto
cp -R proto/. packages/core/proto/
# The descriptor core builds its services from (the .proto parsed at build time).
node scripts/gen-proto-descriptor.mjs
# Each message type's functions, generated at build time (protobufjs's code generation).
node scripts/gen-proto-codecs.mjs
