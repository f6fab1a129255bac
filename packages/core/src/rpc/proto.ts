import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/sluice.js';

/** proto/ at the repository (or image) root; core's dist sits at packages/core/dist/src/rpc. */
export const PROTO_FILE = fileURLToPath(new URL('../../../../../proto/sluice/v1/sluice.proto', import.meta.url));

/** The same options scripts/gen-proto.sh passes to proto-loader-gen-types. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = { longs: Number, enums: String, defaults: true, oneofs: true, keepCase: true };

let loaded: ProtoGrpcType | undefined;

export function loadProto(): ProtoGrpcType {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILE, PROTO_LOADER_OPTIONS)) as unknown as ProtoGrpcType;
  return loaded;
}

/** Messages of at most this size cross the wire; bigger payloads are chunked. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_time_between_pings_ms': 5_000,
  'grpc.enable_retries': 0,
};
