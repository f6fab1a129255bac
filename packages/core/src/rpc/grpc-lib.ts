import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type * as Protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
let grpc: typeof Grpc | undefined;
let protobuf: typeof Protobuf | undefined;

/**
 * @grpc/grpc-js, loaded on first use rather than with @sluice/core: threads that import
 * core but never make a call (a job's driver-program thread, task threads) start without
 * it. The same module instance as an `import` of it elsewhere (both are Node's CommonJS cache).
 */
export function grpcLib(): typeof Grpc {
  return (grpc ??= require('@grpc/grpc-js') as typeof Grpc);
}

/** protobufjs without its .proto parser (the descriptor is parsed at build time), loaded on first use: see grpcLib. */
export function protobufLib(): typeof Protobuf {
  return (protobuf ??= require('protobufjs/light') as typeof Protobuf);
}

/** The version of that protobufjs (the one bundled with it, in a bundle). */
export function protobufVersion(): string {
  return (require('protobufjs/package.json') as { version: string }).version;
}
