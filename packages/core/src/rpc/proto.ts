import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import type * as protobuf from 'protobufjs';
import { SluiceError } from '../errors.js';
import { EncodedMessage } from './encoded-message.js';
import { grpcLib, protobufLib, protobufVersion } from './grpc-lib.js';
import type { ProtoGrpcType } from './generated/sluice.js';
import { PROTO_CODECS, PROTO_CODECS_PROTOBUFJS, PROTO_CODECS_SHA256, type ProtoTypeCodecs } from './proto-codecs.js';
import { PROTO_DESCRIPTOR, PROTO_SHA256 } from './proto-descriptor.js';
import { outcomeBatchMatches, readOutcomeBatch } from './read-outcome-batch.js';
import type * as wire from './wire.js';

/**
 * The copy of proto/ inside this package (packages/core/proto, made by scripts/copy-proto.sh),
 * so an installed @sluice/core carries its contract; dist sits at <core>/dist/src/rpc.
 */
export const PROTO_FILE = fileURLToPath(new URL('../../../proto/sluice/v1/sluice.proto', import.meta.url));

/** proto/ at the repository root, when this core runs from a checkout (a workspace beside it). */
const REPO_PROTO_FILE = fileURLToPath(new URL('../../../../../proto/sluice/v1/sluice.proto', import.meta.url));
const REPO_WORKSPACE_FILE = fileURLToPath(new URL('../../../../../pnpm-workspace.yaml', import.meta.url));

/** The same options scripts/gen-proto.sh passes to proto-loader-gen-types (keepCase is applied when the descriptor is made). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = { longs: Number, enums: String, defaults: true, oneofs: true, keepCase: true };

/** The services of the contract: what the driver, the workers and the clients construct. */
export interface SluiceServices {
  readonly sluice: { readonly v1: Pick<ProtoGrpcType['sluice']['v1'], 'Driver' | 'Worker'> };
}

const SERVICES = ['Driver', 'Worker'] as const;

let loaded: SluiceServices | undefined;
/** The root loadProto built, for encodeDirect. */
let loadedRoot: protobuf.Root | undefined;
/** encodeDirect's message types, looked up once each. */
const directTypes = new Map<string, protobuf.Type>();

/**
 * The Driver and Worker services, built from the descriptor generated at build time
 * (proto-descriptor.ts) rather than by parsing the .proto: messages are encoded and
 * decoded exactly as @grpc/proto-loader does with PROTO_LOADER_OPTIONS (fromObject and
 * encode; decode and toObject, but for a TaskBatch: readTaskBatch, and a TaskOutcomeBatch:
 * readOutcomeBatch, the same objects read straight from the wire), which the
 * proto-descriptor test checks message by message.
 */
export function loadProto(): SluiceServices {
  if (loaded) return loaded;
  checkDescriptor();
  // What Root.fromJSON does, with the constructors and functions made at build time put in
  // before resolveAll, which makes every type's message constructor (resolving a field sets
  // its default on the constructor's prototype).
  const json = PROTO_DESCRIPTOR as protobuf.INamespace;
  const root = new (protobufLib().Root)();
  if (json.options) root.setOptions(json.options);
  root.addJSON(json.nested ?? {});
  installCodecs(root);
  root.resolveAll();
  const grpcJs = grpcLib();
  const v1: Record<string, grpc.ServiceClientConstructor> = {};
  for (const name of SERVICES) v1[name] = grpcJs.makeClientConstructor(serviceDefinition(root.lookupService(`sluice.v1.${name}`)), name);
  loaded = { sluice: { v1 } } as unknown as SluiceServices;
  loadedRoot = root;
  return loaded;
}

/**
 * `value` encoded as the message type `sluice.v1.<typeName>`, without the services'
 * `fromObject` copy of it first: for a sender whose objects already hold exactly what the
 * wire holds (strings, numbers within the fields' ranges, Uint8Arrays, nested messages as
 * such objects; no enum names, no Longs), which protobufjs's `encode` reads as they are.
 * The bytes are those the services' serializer makes of the same object (proto-descriptor
 * test); the serializer hands the EncodedMessage to gRPC as it is. The driver's TaskBatch and
 * a worker's TaskOutcomeBatch (its outcomes as the executor makes them) are written so.
 */
export function encodeDirect(typeName: 'TaskBatch', value: wire.TaskBatch): EncodedMessage;
export function encodeDirect(typeName: 'TaskOutcomeBatch', value: wire.TaskOutcomeBatch): EncodedMessage;
export function encodeDirect(typeName: 'TaskBatch' | 'TaskOutcomeBatch', value: object): EncodedMessage {
  let type = directTypes.get(typeName);
  if (type === undefined) {
    if (loadedRoot === undefined) loadProto();
    type = loadedRoot!.lookupType(`sluice.v1.${typeName}`);
    directTypes.set(typeName, type);
  }
  const bytes = type.encode(value).finish();
  return new EncodedMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * Each message type's constructor and functions from proto-codecs.ts (generated at build time
 * by protobufjs's own code generation: scripts/gen-proto-codecs.mjs) rather than generated in
 * this process (the constructors by resolveAll, the functions when the type is first used), as long as they were made from this descriptor's .proto with this
 * protobufjs; else (and for a type protobufjs wraps, google.protobuf.*) protobufjs generates
 * them as usual. `verify`, which nothing here calls, is left to protobufjs, on first use.
 */
function installCodecs(root: protobuf.Root): void {
  if (PROTO_CODECS_SHA256 !== PROTO_SHA256) return;
  const pb = protobufLib();
  if (PROTO_CODECS_PROTOBUFJS !== protobufVersion()) return;
  const wrappers = (pb as unknown as { wrappers: Record<string, unknown> }).wrappers;
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const o of ns.nestedArray) {
      if (o instanceof pb.Type) {
        const made = PROTO_CODECS[o.fullName];
        if (made && !wrappers[o.fullName]) {
          o.ctor = made.ctor() as unknown as protobuf.Constructor<object>;
          o.setup = () => setUp(pb, o, made);
        }
      }
      if (o instanceof pb.Namespace) visit(o);
    }
  };
  visit(root);
}

/** What Type#setup does for `type`, with the functions made at build time. */
function setUp(pb: typeof protobuf, type: protobuf.Type, made: ProtoTypeCodecs): protobuf.Type {
  const types = type.fieldsArray.map((f) => f.resolve().resolvedType);
  const c = made.codecs(pb.Writer, pb.Reader, types, pb.util);
  type.encode = c.encode as protobuf.Type['encode'];
  type.decode = c.decode as protobuf.Type['decode'];
  type.fromObject = c.fromObject as protobuf.Type['fromObject'];
  type.toObject = c.toObject as protobuf.Type['toObject'];
  type.verify = (message, depth?: number) => (type.verify = pb.verifier(type)({ types, util: pb.util }) as protobuf.Type['verify'])(message, depth as never);
  return type;
}

/** A grpc-js service definition of one service, as @grpc/proto-loader makes it (without the reflection descriptors nothing here reads). */
function serviceDefinition(service: protobuf.Service): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const m of service.methodsArray) {
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${service.fullName.slice(1)}/${m.name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: serializer(req),
      requestDeserialize: deserializer(req),
      responseSerialize: serializer(res),
      responseDeserialize: deserializer(res),
      // proto-loader's lodash camelCase of a PascalCase name: grpc-js adds it as an alias on clients.
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
  }
  return def;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (value instanceof EncodedMessage) return value.bytes;
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    // A Buffer over the encoded bytes, not a copy of them: the encoder's array is this
    // message's alone (a copy doubled the cost of every large message, a replica's block).
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  if (type.fullName === '.sluice.v1.TaskBatch') return (bytes) => readTaskBatch(type, bytes);
  if (type.fullName === '.sluice.v1.TaskOutcomeBatch' && outcomeBatchMatches(type)) {
    const pb = protobufLib();
    return (bytes) => readOutcomeBatch(pb, bytes);
  }
  const options: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };
  return (bytes) => type.toObject(type.decode(bytes), options);
}

/**
 * A TaskBatch (what a worker reads on its task stream, a message every few tiny tasks) as
 * protobufjs decodes it, without toObject's copy of every stage and launch. What the copy
 * added is there already: its types (TaskBatch, StageDescription, TaskLaunch, AddedFile)
 * have no 64-bit integers, enums, oneofs or maps; repeated fields are own arrays (the
 * constructors make them); a string, number or bool absent on the wire reads as the
 * default its type's prototype holds ("", 0, false). Bytes are not: their prototype default
 * is protobufjs's frozen empty array, so an absent `payload` or `task_data` becomes an empty
 * Buffer here, as toObject's default is. The messages are instances of protobufjs's
 * classes, read field by field, never spread or cloned (the proto-descriptor test reads
 * them against proto-loader's objects, sparse messages included).
 */
function readTaskBatch(type: protobuf.Type, bytes: Buffer): wire.TaskBatch__Output {
  const m = type.decode(bytes) as unknown as wire.TaskBatch__Output;
  for (const s of m.stages) if (!Object.hasOwn(s, 'payload')) s.payload = Buffer.alloc(0);
  for (const t of m.tasks) if (!Object.hasOwn(t, 'task_data')) t.task_data = Buffer.alloc(0);
  return m;
}

/**
 * The descriptor is refused when the contract it was made from differs from PROTO_FILE
 * (missing, or edited without running scripts/copy-proto.sh), and when this core runs from
 * a checkout whose proto/ was edited without refreshing the copy: a stale contract would
 * drop the new fields on the wire without a word.
 */
function checkDescriptor(): void {
  let copy: Buffer;
  try {
    copy = fs.readFileSync(PROTO_FILE);
  } catch (err) {
    throw new SluiceError('SLUICE_INTERNAL', `@sluice/core's contract ${PROTO_FILE} cannot be read: reinstall @sluice/core, or in a checkout run scripts/copy-proto.sh`, { cause: err });
  }
  if (fs.existsSync(REPO_WORKSPACE_FILE) && fs.existsSync(REPO_PROTO_FILE) && !fs.readFileSync(REPO_PROTO_FILE).equals(copy)) {
    throw new SluiceError('SLUICE_INTERNAL', `${PROTO_FILE} is stale: it differs from ${REPO_PROTO_FILE}; run scripts/copy-proto.sh (or scripts/gen-proto.sh after editing the .proto)`);
  }
  const sha = crypto.createHash('sha256').update(copy).digest('hex');
  if (sha !== PROTO_SHA256) {
    throw new SluiceError('SLUICE_INTERNAL', `@sluice/core's compiled descriptor (rpc/proto-descriptor) was made from another .proto than ${PROTO_FILE} (sha256 ${PROTO_SHA256.slice(0, 12)}, the file's ${sha.slice(0, 12)}); run scripts/copy-proto.sh and rebuild`);
  }
}

/** Messages of at most this size cross the wire; bigger payloads are chunked. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * The largest message each server reads, sized to the biggest request of its service
 * (grpc-js applies one limit per server, before a message is buffered):
 * - Driver: every request is small except the bundle and source map of SubmitJob,
 *   which travel in 1 MiB chunks; 4 MiB leaves room for a long argument list.
 * - Worker: a RunTasks message carries a stage's plan with its captured variables and
 *   tasks' parallelized data, as Spark's task messages do; 128 MiB is Spark's
 *   `spark.rpc.message.maxSize`. Blocks (PutBlock) travel in 1 MiB chunks.
 */
export const DRIVER_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const WORKER_MAX_REQUEST_BYTES = 128 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_time_between_pings_ms': 5_000,
  'grpc.enable_retries': 0,
  // A peer that went away (a driver restarting, a worker replaced) is tried again at least
  // every second, not on gRPC's default backoff (1 s growing by 1.6x up to 120 s): after an
  // outage of a minute a worker would otherwise find the restarted driver only up to a
  // minute later, and every relaunched job would wait for it.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1000,
};

/**
 * Options of a Sluice server: requests up to `maxRequestBytes`, and `interceptors`
 * (the CallGate) run on every call's metadata before any request message is read.
 */
export function serverOptions(maxRequestBytes: number, interceptors: grpc.ServerInterceptor[]): grpc.ServerOptions {
  return { ...CHANNEL_OPTIONS, 'grpc.max_receive_message_length': maxRequestBytes, interceptors };
}
