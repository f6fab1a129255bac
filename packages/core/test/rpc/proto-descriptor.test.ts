// Core builds its gRPC services from the descriptor generated at build time
// (src/rpc/proto-descriptor.ts) instead of parsing the .proto when a process starts. The
// oracle is @grpc/proto-loader parsing proto/ itself, as core did before: for every RPC of
// both services, the same path, streaming shape and client alias, and for seeded random
// messages of every request and response type, the same bytes on the wire and the same
// objects decoded (with PROTO_LOADER_OPTIONS: numbers for 64-bit ints, enum names, defaults,
// oneof names).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type * as Protobuf from 'protobufjs';
import { PROTO_LOADER_OPTIONS, encodeDirect, loadProto } from '../../src/rpc/proto.js';
import type * as wire from '../../src/rpc/wire.js';
import { PROTO_DESCRIPTOR_SHA256, PROTO_SHA256 } from '../../src/rpc/proto-descriptor.js';
import { PROTOCOL_ID } from '../../src/rpc/build-identity.js';
import { outcomeBatchMatches } from '../../src/rpc/read-outcome-batch.js';
import { mulberry32 } from '../support/prng.js';

const REPO_PROTO = fileURLToPath(new URL('../../../../../proto/sluice/v1/sluice.proto', import.meta.url));
const protobuf = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;

test('the descriptor was made from proto/ as it is now (run scripts/copy-proto.sh after editing it)', () => {
  assert.equal(PROTO_SHA256, crypto.createHash('sha256').update(fs.readFileSync(REPO_PROTO)).digest('hex'));
});

test("PROTOCOL_ID is the contract's messages as proto/ has them now: the same for a change of comments, another for a field added", () => {
  const idOf = (text: string): string => {
    const root = protobuf.parse(text, new protobuf.Root(), { keepCase: true }).root;
    root.resolveAll();
    return crypto.createHash('sha256').update(JSON.stringify(root.toJSON(), null, 2)).digest('hex');
  };
  const text = fs.readFileSync(REPO_PROTO, 'utf8');
  assert.equal(PROTO_DESCRIPTOR_SHA256, idOf(text));
  assert.equal(PROTOCOL_ID, PROTO_DESCRIPTOR_SHA256.slice(0, 12));
  assert.match(PROTOCOL_ID, /^[0-9a-f]{12}$/);
  const worded = text.replace('message RegisterWorkerRequest {', '// Reworded.\nmessage RegisterWorkerRequest {\n  // More words.');
  assert.notEqual(worded, text);
  assert.equal(idOf(worded), PROTO_DESCRIPTOR_SHA256, 'comments are not the contract');
  const widened = text.replace('message RegisterWorkerRequest {', 'message RegisterWorkerRequest {\n  string added = 99;');
  assert.notEqual(idOf(widened), PROTO_DESCRIPTOR_SHA256, 'a field added is another contract');
});

/** A value of every field of `type`, drawn from `random` (one member of each oneof; nested messages to depth 3). */
function sample(type: Protobuf.Type, random: () => number, depth = 0): Record<string, unknown> {
  const int = (max: number): number => Math.floor(random() * max);
  const scalar = (f: Protobuf.Field): unknown => {
    if (f.resolvedType instanceof protobuf.Enum) {
      const names = Object.keys(f.resolvedType.values);
      return names[int(names.length)];
    }
    if (f.resolvedType instanceof protobuf.Type) return depth < 3 ? sample(f.resolvedType, random, depth + 1) : {};
    switch (f.type) {
      case 'string':
        return `s${int(1e6)}-é✓`;
      case 'bytes':
        return crypto.createHash('sha256').update(String(random())).digest().subarray(0, 1 + int(31));
      case 'bool':
        return random() < 0.5;
      case 'double':
        return (int(2e6) - 1e6) / 8;
      case 'float':
        return (int(2000) - 1000) / 4;
      case 'int32':
      case 'sint32':
      case 'sfixed32':
        return int(2 ** 31) - 2 ** 30;
      case 'uint32':
      case 'fixed32':
        return int(2 ** 32);
      case 'int64':
      case 'sint64':
      case 'sfixed64':
        return int(2 ** 52) - 2 ** 51;
      default:
        return int(2 ** 53); // uint64, fixed64
    }
  };
  const chosenOneofMember = new Set(type.oneofsArray.map((o) => o.fieldsArray[int(o.fieldsArray.length)]!.name));
  const msg: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    if (f.partOf && !chosenOneofMember.has(f.name)) continue;
    if (f.map) msg[f.name] = { [`k${int(100)}`]: scalar(f), [`k${100 + int(100)}`]: scalar(f) };
    else if (f.repeated) msg[f.name] = Array.from({ length: int(4) }, () => scalar(f));
    else msg[f.name] = scalar(f);
  }
  return msg;
}

test('every RPC: the same path, streaming and client alias as proto-loader, the same bytes and decoded objects for seeded random messages', () => {
  const reference = protoLoader.loadSync(REPO_PROTO, PROTO_LOADER_OPTIONS);
  const root = new protobuf.Root().loadSync(REPO_PROTO, { keepCase: true });
  root.resolveAll();
  const random = mulberry32(13);
  const services = loadProto().sluice.v1;
  let messages = 0;
  for (const name of ['Driver', 'Worker'] as const) {
    const ours = (services[name] as unknown as grpc.ServiceClientConstructor).service;
    const theirs = reference[`sluice.v1.${name}`] as grpc.ServiceDefinition;
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), `${name}'s RPCs`);
    const rpcs = root.lookupService(`sluice.v1.${name}`).methodsArray;
    assert.equal(rpcs.length, Object.keys(ours).length);
    for (const m of rpcs) {
      const o = ours[m.name]!;
      const t = theirs[m.name]!;
      assert.deepEqual([o.path, o.requestStream, o.responseStream, o.originalName], [t.path, t.requestStream, t.responseStream, t.originalName], `${name}.${m.name}`);
      const sides = [
        [m.resolvedRequestType!, o.requestSerialize, t.requestSerialize, o.requestDeserialize, t.requestDeserialize],
        [m.resolvedResponseType!, o.responseSerialize, t.responseSerialize, o.responseDeserialize, t.responseDeserialize],
      ] as const;
      for (const [type, ourEncode, theirEncode, ourDecode, theirDecode] of sides) {
        for (let i = 0; i < 4; i++) {
          const msg = i === 0 ? {} : sample(type, random);
          const bytes = ourEncode(msg);
          assert.ok(bytes.equals(theirEncode(msg)), `${name}.${m.name} ${type.name}: the same bytes for ${JSON.stringify(msg)}`);
          // A TaskBatch is read as protobufjs decodes it (readTaskBatch): the same fields read, not the same prototypes.
          if (type.name === 'TaskBatch') assertReadsAs(ourDecode(bytes), theirDecode(bytes), `${name}.${m.name} ${type.name}`);
          else assert.deepEqual(ourDecode(bytes), theirDecode(bytes), `${name}.${m.name} ${type.name}: the same object decoded`);
          messages++;
        }
      }
    }
  }
  assert.ok(messages >= 8 * 20, `${messages} messages compared`);
});

/**
 * `ours` reads, field by field (through prototypes too), as proto-loader's `theirs`: every
 * field theirs has (its defaults included), with the same value and kind (a Buffer where
 * theirs has one, an array where it has one); nested messages alike.
 */
function assertReadsAs(ours: unknown, theirs: unknown, where: string): void {
  if (Buffer.isBuffer(theirs)) {
    assert.ok(Buffer.isBuffer(ours), `${where}: a Buffer, got ${String(ours)} (${Object.prototype.toString.call(ours)})`);
    assert.ok(ours.equals(theirs), `${where}: the same bytes`);
  } else if (Array.isArray(theirs)) {
    assert.ok(Array.isArray(ours), `${where}: an array`);
    assert.equal(ours.length, theirs.length, `${where}: its length`);
    theirs.forEach((x, i) => assertReadsAs(ours[i], x, `${where}[${i}]`));
  } else if (theirs !== null && typeof theirs === 'object') {
    assert.ok(ours !== null && typeof ours === 'object', `${where}: an object`);
    for (const key of Object.keys(theirs)) assertReadsAs((ours as Record<string, unknown>)[key], (theirs as Record<string, unknown>)[key], `${where}.${key}`);
  } else assert.strictEqual(ours, theirs, where);
}

/** `msg` with each field (at every depth) kept with probability 1/2: fields absent on the wire, whose defaults the reader must give. */
function sparse(msg: Record<string, unknown>, random: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (random() < 0.5) continue;
    if (Array.isArray(v)) out[k] = v.map((x) => (x !== null && typeof x === 'object' && !(x instanceof Uint8Array) ? sparse(x as Record<string, unknown>, random) : x));
    else out[k] = v;
  }
  return out;
}

test("a worker's TaskBatch, read without toObject's copy, reads as proto-loader's object: every default there (empty messages, absent fields at every depth, empty bytes)", () => {
  const reference = protoLoader.loadSync(REPO_PROTO, PROTO_LOADER_OPTIONS)['sluice.v1.Worker'] as grpc.ServiceDefinition;
  const theirs = reference.RunTasks!.requestDeserialize as (bytes: Buffer) => unknown;
  const ours = (loadProto().sluice.v1.Worker as unknown as grpc.ServiceClientConstructor).service.RunTasks!.requestDeserialize as (bytes: Buffer) => unknown;
  const serialize = reference.RunTasks!.requestSerialize as (value: object) => Buffer;
  const root = new protobuf.Root().loadSync(REPO_PROTO, { keepCase: true });
  root.resolveAll();
  const type = root.lookupType('sluice.v1.TaskBatch');
  const random = mulberry32(41);
  const written: object[] = [
    {},
    { stages: [{}], tasks: [{}], forget_stages: [''] },
    { stages: [{ stage_key: 'k', files: [{}, { name: 'a.txt' }] }], tasks: [{ task_id: 't', stage_key: 'k' }, { task_data: Buffer.alloc(0), partition: 0 }] },
    { stages: [{ stage_key: 'k', payload: Buffer.from([7]), shuffle_id: -1, files: [{ name: 'd', sha256: 'ab', directory: true }] }], tasks: [{ task_id: 't', stage_key: 'k', partition: 1025, attempt: 2, task_data: Buffer.from([1, 2]) }] },
  ];
  const samples = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? sparse(sample(type, random), random) : sample(type, random)));
  for (const msg of [...written, ...samples]) {
    const bytes = serialize(msg);
    const read = ours(bytes) as wire.TaskBatch__Output;
    assertReadsAs(read, theirs(bytes), `TaskBatch ${JSON.stringify(msg)}`);
    // What the worker hands on: every stage's payload and launch's task data a Buffer (one absent on the wire an empty one).
    for (const s of read.stages) assert.ok(Buffer.isBuffer(s.payload));
    for (const t of read.tasks) assert.ok(Buffer.isBuffer(t.task_data));
  }
});

/**
 * encodeDirect's bytes of `typeName` against proto-loader's serializer of RunTasks' request or
 * response (`side`), for `written` (what Sluice writes) and 40 random messages of the type.
 */
function checkDirect(typeName: 'TaskBatch' | 'TaskOutcomeBatch', side: 'requestSerialize' | 'responseSerialize', seed: number, written: object[]): void {
  const reference = protoLoader.loadSync(REPO_PROTO, PROTO_LOADER_OPTIONS)['sluice.v1.Worker'] as grpc.ServiceDefinition;
  const serialize = reference.RunTasks![side] as (value: object) => Buffer;
  const root = new protobuf.Root().loadSync(REPO_PROTO, { keepCase: true });
  root.resolveAll();
  const type = root.lookupType(`sluice.v1.${typeName}`);
  const random = mulberry32(seed);
  for (const msg of [...written, ...Array.from({ length: 40 }, () => sample(type, random))]) {
    const direct = encodeDirect(typeName as 'TaskBatch', msg as never).bytes;
    assert.ok(direct.equals(serialize(msg)), `the same bytes for ${JSON.stringify(msg)}`);
  }
}

test("encodeDirect: a TaskBatch as the driver writes it, without fromObject, is the same bytes as proto-loader's serializer makes of it", () => {
  const driverLike = {
    stages: [{ stage_key: 'j1.s0r0', job_id: 'j1', bundle_sha256: 'ab'.repeat(32), stage_id: 0, payload: Buffer.from([1, 2, 3]), shuffle_id: -1 }],
    tasks: [
      { task_id: 'j1.s0r0.p0.a0', stage_key: 'j1.s0r0', partition: 0, attempt: 0, task_data: Buffer.alloc(0) },
      { task_id: 'j1.s0r0.p1025.a2', stage_key: 'j1.s0r0', partition: 1025, attempt: 2, task_data: new Uint8Array([9, 8]) },
    ],
    forget_stages: ['j0.s3r1'],
    remove_block_ids: [],
    remove_block_prefixes: ['rdd_4_'],
  };
  checkDirect('TaskBatch', 'requestSerialize', 31, [{}, driverLike]);
});

test("encodeDirect: a TaskOutcomeBatch as a worker writes it, without fromObject, is the same bytes as proto-loader's serializer makes of it", () => {
  // Each outcome the executor makes (executor.ts), as it makes them: Uint8Arrays from the task threads, numbers.
  const workerLike = {
    ended: [
      { task_id: 'j1.s0r0.p0.a0', outcome: { result: new Uint8Array([1, 2, 3]), stored_blocks: [], shuffle_read_bytes: 0 } },
      { task_id: 'j1.s0r0.p1.a0', outcome: { result: new Uint8Array(0), stored_blocks: ['rdd_3_1'], shuffle_read_bytes: 1234.5 } },
      { task_id: 'j1.s0r0.p2.a1', outcome: { indirect_result: { block_id: 'taskresult_j1_x', size: 2 ** 40 + 3 }, stored_blocks: [], shuffle_read_bytes: 7 } },
      { task_id: 'j1.s1r0.p3.a0', outcome: { map_status: { status: new Uint8Array([0, 200, 7]) }, accumulators: new Uint8Array([4]), stored_blocks: [], shuffle_read_bytes: 0 } },
      { task_id: 'j1.s1r0.p4.a0', outcome: { error: { code: 'SLUICE_TASK_FAILED', message: 'boom é✓', stack: 'Error: boom\n    at f (job.ts:3:9)' }, stored_blocks: [] } },
      { task_id: 'j1.s1r0.p5.a0', outcome: { fetch_failed: { shuffle_id: 3, map_partition: 4000, worker_id: 'w-1', message: 'gone' }, stored_blocks: [] } },
      { task_id: 'j1.s1r0.p6.a0', outcome: { killed: true } },
    ],
  };
  checkDirect('TaskOutcomeBatch', 'responseSerialize', 37, [{ ended: [] }, workerLike]);
});

/** `msg` with each field kept with probability 1/2, at every depth (nested messages and arrays of them too). */
function sparseDeep(msg: Record<string, unknown>, random: () => number): Record<string, unknown> {
  const thin = (x: unknown): unknown => (x !== null && typeof x === 'object' && !(x instanceof Uint8Array) && !Array.isArray(x) ? sparseDeep(x as Record<string, unknown>, random) : x);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (random() < 0.5) continue;
    out[k] = Array.isArray(v) ? v.map(thin) : thin(v);
  }
  return out;
}

test("the driver's TaskOutcomeBatch, read straight from the wire (readOutcomeBatch), is proto-loader's object: every oneof member, absent and empty bytes, uint64 sizes, sparse messages", () => {
  const reference = protoLoader.loadSync(REPO_PROTO, PROTO_LOADER_OPTIONS)['sluice.v1.Worker'] as grpc.ServiceDefinition;
  const theirs = reference.RunTasks!.responseDeserialize as (bytes: Buffer) => unknown;
  const serialize = reference.RunTasks!.responseSerialize as (value: object) => Buffer;
  const ours = (loadProto().sluice.v1.Worker as unknown as grpc.ServiceClientConstructor).service.RunTasks!.responseDeserialize as (bytes: Buffer) => unknown;
  const root = new protobuf.Root().loadSync(REPO_PROTO, { keepCase: true });
  root.resolveAll();
  const type = root.lookupType('sluice.v1.TaskOutcomeBatch');
  // The services read with it only while the .proto's types are the ones it reads.
  assert.equal(outcomeBatchMatches(type), true, "readOutcomeBatch's fields are the .proto's");
  const edited = new protobuf.Root().loadSync(REPO_PROTO, { keepCase: true });
  edited.lookupType('sluice.v1.TaskError').add(new protobuf.Field('worker', 4, 'string'));
  edited.resolveAll();
  assert.equal(outcomeBatchMatches(edited.lookupType('sluice.v1.TaskOutcomeBatch')), false, 'a field added under TaskOutcomeBatch falls back to toObject');
  const random = mulberry32(43);
  const written: object[] = [
    {},
    { ended: [] },
    { ended: [{}, { task_id: 't' }, { outcome: {} }] },
    { ended: [{ task_id: 'a', outcome: { result: Buffer.alloc(0) } }, { task_id: 'b', outcome: { result: Buffer.from([1, 2]), accumulators: Buffer.alloc(0), stored_blocks: ['rdd_1_0', ''], stored_block_bytes: [12, 0.5] } }] },
    { ended: [{ task_id: 'c', outcome: { map_status: {} } }, { task_id: 'd', outcome: { map_status: { status: Buffer.alloc(0) }, accumulators: Buffer.from([9]) } }, { outcome: { map_status: { status: Buffer.from([0, 200]) }, shuffle_read_bytes: 77.25 } }] },
    { ended: [{ outcome: { error: {} } }, { outcome: { error: { code: 'SLUICE_TASK_FAILED' } } }, { outcome: { error: { message: 'é✓', stack: 'Error\n at f' } } }] },
    { ended: [{ outcome: { fetch_failed: {} } }, { outcome: { fetch_failed: { shuffle_id: 2 ** 32 - 1, map_partition: 3, worker_id: 'w', message: 'm' } } }] },
    { ended: [{ outcome: { killed: false } }, { outcome: { killed: true, stored_blocks: ['x'] } }] },
    { ended: [{ outcome: { result: Buffer.from([1]), metrics: {} } }, { outcome: { map_status: {}, metrics: { executor_deserialize_time: 12.5, executor_run_time: 0.25, result_serialization_time: 0, shuffle_records_read: 2 ** 40, shuffle_records_written: 7, shuffle_fetch_wait_time: 3 } } }, { outcome: { error: {}, metrics: { executor_run_time: 1 } } }] },
    { ended: [0, 1, 2 ** 31, 2 ** 32 + 5, 2 ** 40 + 3, 2 ** 53 - 1].map((size) => ({ outcome: { indirect_result: { block_id: `taskresult_j_${size}`, size } } })).concat([{ outcome: { indirect_result: {} as { block_id: string; size: number } } }]) },
  ];
  const samples = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? sparseDeep(sample(type, random), random) : sample(type, random)));
  const members = new Set<string>();
  for (const msg of [...written, ...samples]) {
    const bytes = serialize(msg);
    const read = ours(bytes) as wire.TaskOutcomeBatch__Output;
    assert.deepStrictEqual(read, theirs(bytes), `TaskOutcomeBatch ${JSON.stringify(msg)}`);
    for (const e of read.ended) {
      if (e.outcome?.outcome) members.add(e.outcome.outcome);
      // Plain objects all the way down, as toObject's: nothing read through a prototype, no Long.
      if (e.outcome) for (const v of [e.outcome, e.outcome.map_status, e.outcome.error, e.outcome.fetch_failed, e.outcome.indirect_result, e.outcome.metrics]) if (v) assert.equal(Object.getPrototypeOf(v), Object.prototype);
      if (e.outcome?.indirect_result) assert.equal(typeof e.outcome.indirect_result.size, 'number');
    }
  }
  assert.deepEqual([...members].sort(), ['error', 'fetch_failed', 'indirect_result', 'killed', 'map_status', 'result']);
  // Unknown fields are skipped (a newer worker's), and a length past its message's end is refused, as protobufjs's decode.
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork().uint32((7 << 3) | 0).uint32(5).uint32((1 << 3) | 2).string('t').uint32((2 << 3) | 2).fork().uint32((99 << 3) | 2).string('new').uint32((5 << 3) | 0).bool(true).ldelim().ldelim();
  const unknown = Buffer.from(w.finish());
  assert.deepStrictEqual(ours(unknown), theirs(unknown));
  assert.throws(() => ours(Buffer.from([(1 << 3) | 2, 5, (1 << 3) | 2, 1])), RangeError);
});

test('an installed core whose .proto differs from the descriptor it was built with refuses to load it, naming the fix', (t) => {
  // A copy of this core outside the checkout (as an installed package: dist, proto, its
  // node_modules), its .proto then edited: loadProto() must not go on with the old descriptor.
  const core = fileURLToPath(new URL('../../../', import.meta.url));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-copy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(core, 'dist', 'src'), path.join(dir, 'dist', 'src'), { recursive: true });
  fs.cpSync(path.join(core, 'proto'), path.join(dir, 'proto'), { recursive: true });
  fs.copyFileSync(path.join(core, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(core, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const load = (): string =>
    execFileSync(process.execPath, ['--input-type=module', '-e', `import { loadProto } from ${JSON.stringify(pathToFileURL(path.join(dir, 'dist/src/internal.js')).href)}; try { console.log(Object.keys(loadProto().sluice.v1.Driver.service).length); } catch (e) { console.log(e.code + ' ' + e.message); }`], { encoding: 'utf8' }).trim();
  assert.match(load(), /^\d+$/, 'the unchanged copy loads');
  fs.appendFileSync(path.join(dir, 'proto', 'sluice', 'v1', 'sluice.proto'), '\nmessage Added { string x = 1; }\n');
  assert.match(load(), /^SLUICE_INTERNAL .*compiled descriptor.*run scripts\/copy-proto\.sh/);
});
