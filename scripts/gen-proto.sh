#!/usr/bin/env bash
# Regenerate the TS types of proto/ (same options as the runtime load in core/src/rpc/proto.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf packages/core/src/rpc/generated
./node_modules/.bin/proto-loader-gen-types --longs=Number --enums=String --defaults --oneofs --keepCase \
  --grpcLib=@grpc/grpc-js --outDir=packages/core/src/rpc/generated proto/sluice/v1/sluice.proto
# The generated files use extensionless imports: compile them as CommonJS (types only).
# core's tsconfig.json includes this package.json, so tsc copies it to dist/: without it there,
# NodeNext read the .d.ts as ES modules and their imports failed: the messages and service
# clients they import were `any` to driver, worker and cli (and an error to a user's tsc).
echo '{ "type": "commonjs" }' > packages/core/src/rpc/generated/package.json
# The copy core loads at runtime and publishes.
bash scripts/copy-proto.sh
