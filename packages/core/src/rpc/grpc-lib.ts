import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
let grpc: typeof Grpc | undefined;
let protoLoader: typeof ProtoLoader | undefined;

/**
 * @grpc/grpc-js, loaded on first use rather than with @sluice/core: threads that import
 * core but never make a call (a job's driver-program thread, task threads) start without
 * it. The same module instance as an `import` of it elsewhere (both are Node's CommonJS cache).
 */
export function grpcLib(): typeof Grpc {
  return (grpc ??= require('@grpc/grpc-js') as typeof Grpc);
}

/** @grpc/proto-loader (and protobufjs), loaded on first use: see grpcLib. */
export function protoLoaderLib(): typeof ProtoLoader {
  return (protoLoader ??= require('@grpc/proto-loader') as typeof ProtoLoader);
}
