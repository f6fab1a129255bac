// A received line block's replica written as its PutBlock message in the block's headroom
// (replicaMessageInPlace): protobufjs's decoder reads it as the BlockChunk protobufjs would
// have encoded (block id, last, the block's bytes), for lengths at every varint size and
// block ids up to what fits; nothing is written outside the headroom. Then the whole path:
// ShuffleClient.putRemoteBlock to a gRPC server running the Worker service's PutBlock
// stores every block exact, line blocks (in place: the header is in their headroom) and
// blocks of records (encoded) alike.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { CHANNEL_OPTIONS, LINE_BLOCK_HEADROOM, encodeLineBlock, encodeRecords, loadProto, mulberry32, type wire } from '@sluice/core/internal';
import { workerService } from '../../src/rpc/worker-service.js';
import { BlockManager } from '../../src/storage/block-manager.js';
import { replicaMessageInPlace } from '../../src/shuffle/replica-message.js';
import { REPLICA_PIECE_BYTES, ShuffleClient } from '../../src/shuffle/shuffle-client.js';

const log = pino({ level: 'silent' });
const putBlock = loadProto().sluice.v1.Worker.service.PutBlock;

/** A line block of `bytes` bytes of lines (random letters, a '\n' every 1-99 bytes, the last byte one). */
function lineBlock(bytes: number, seed: number): Buffer {
  const rnd = mulberry32(seed);
  const body = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) body[i] = rnd() < 0.02 ? 0x0a : 0x61 + Math.floor(rnd() * 26);
  if (bytes > 0) body[bytes - 1] = 0x0a;
  return encodeLineBlock([body], bytes);
}

test('a line block replica written in place decodes as its BlockChunk; no byte outside the headroom changes', () => {
  // Data lengths around each varint size (1 to 4 bytes), block ids of 1 to 240 bytes (some of 2-4-byte characters).
  const sizes = [0, 1, 123, 124, 16_379, 16_380, 2_097_147, 2_097_148, 3_000_000];
  const ids = ['b', 'input_job-0001-1af5c9#1_0_0.1_17', 'é'.repeat(60), '𝄞'.repeat(30), 'x'.repeat(240)];
  for (const [n, size] of sizes.entries()) {
    for (const id of ids) {
      const block = lineBlock(size, n + 1);
      const before = Buffer.from(block);
      const msg = replicaMessageInPlace(id, block);
      assert.ok(msg, `no message in place for a ${block.length}-byte block with a ${Buffer.byteLength(id)}-byte id`);
      assert.equal(msg.bytes.buffer, block.buffer, 'the message is not in the block\'s own ArrayBuffer');
      assert.equal(msg.bytes.byteOffset + msg.bytes.length, block.byteOffset + block.length, 'the message does not end with the block');
      assert.ok(msg.bytes.byteOffset >= 0);
      const chunk = putBlock.requestDeserialize(msg.bytes) as wire.BlockChunk__Output;
      assert.equal(chunk.block_id, id);
      assert.equal(chunk.last, true);
      assert.equal(chunk.end_of_block, false);
      assert.equal(chunk.missing, false);
      assert.ok(Buffer.from(chunk.data).equals(before), `block ${id.slice(0, 10)} of ${block.length} bytes: the data decoded differs`);
      assert.ok(block.equals(before), 'the block changed');
      // protobufjs's own encoding of the same message, as the peer's reader sees it.
      assert.deepEqual(putBlock.requestDeserialize(putBlock.requestSerialize({ block_id: id, data: before, last: true })), chunk);
    }
  }
});

test('no message in place for a block without headroom or an id that does not fit', () => {
  const block = lineBlock(1000, 7);
  assert.equal(replicaMessageInPlace('x'.repeat(LINE_BLOCK_HEADROOM), block), undefined, 'an id longer than the headroom');
  assert.equal(replicaMessageInPlace('b', Buffer.from(block)), undefined, 'a copy of the block (no headroom)');
  assert.equal(replicaMessageInPlace('b', block.subarray(0, 500)), undefined, 'a block that does not end its buffer');
  assert.equal(replicaMessageInPlace('b', encodeRecords(['a', 'b'])), undefined, 'a block of records');
});

test('putRemoteBlock stores line blocks (up to 64 KiB sent in place, larger ones in 64 KiB messages) and blocks of records exact on the peer', { timeout: 120_000 }, async () => {
  const stored = new Map<string, Uint8Array[]>();
  const blocks = { put: (id: string, segments: Uint8Array[]) => stored.set(id, segments), get: (id: string) => stored.get(id), join: (parts: Uint8Array[]) => Buffer.concat(parts) };
  const server = new grpc.Server(CHANNEL_OPTIONS);
  // Only PutBlock is called: the service's other parts are not needed.
  server.addService(loadProto().sluice.v1.Worker.service, workerService({} as never, blocks as never, {} as never, {} as never, log));
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const client = new ShuffleClient('w1', {} as never, { secret: 'x'.repeat(32) }, log);
  try {
    const sent = new Map<string, Buffer>();
    for (const [i, size] of [0, 10, 60_000, 100_000, 6_000_000].entries()) {
      const id = `input_j_0_w_${i}`;
      const block = lineBlock(size, 100 + i);
      const headroom = Buffer.from(block.buffer, 0, block.byteOffset).fill(0);
      sent.set(id, Buffer.from(block));
      await client.putRemoteBlock(`127.0.0.1:${port}`, id, block, 60_000);
      assert.ok(Buffer.from(block).equals(sent.get(id)!), 'the sender\'s block changed');
      // A block over REPLICA_PIECE_BYTES goes in pieces, which leave its headroom as it was.
      if (block.length <= REPLICA_PIECE_BYTES) assert.ok(headroom.includes(Buffer.from(id)), `block ${id}: not sent in place (its headroom holds no message header)`);
      else assert.ok(!headroom.includes(Buffer.from(id)), `block ${id} of ${block.length} bytes: sent in place, not in pieces of ${REPLICA_PIECE_BYTES} bytes`);
    }
    const records = encodeRecords(Array.from({ length: 1000 }, (_, i) => `record ${i}`));
    sent.set('input_j_1_w_0', Buffer.from(records));
    await client.putRemoteBlock(`127.0.0.1:${port}`, 'input_j_1_w_0', records, 60_000);
    for (const [id, bytes] of sent) {
      const segments = stored.get(id);
      assert.ok(segments, `block ${id} not stored`);
      assert.equal(segments.length, 1, `block ${id}: ${segments.length} segments`);
      assert.ok(Buffer.from(segments[0]).equals(bytes), `block ${id} stored differs from what was sent`);
    }
  } finally {
    client.close();
    server.forceShutdown();
  }
});

test('replicas joined in the peer\'s reused memory stay exact while stored, after a GetBlock of one, and after blocks before them are dropped', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-replica-pool-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 30, log });
  const server = new grpc.Server(CHANNEL_OPTIONS);
  server.addService(loadProto().sluice.v1.Worker.service, workerService({} as never, blocks, {} as never, {} as never, log));
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const client = new ShuffleClient('w1', {} as never, { secret: 'x'.repeat(32) }, log);
  const getBlock = async (id: string): Promise<Buffer> => {
    const got = await client.getRemoteBlock(id, [{ workerId: 'w2', address: `127.0.0.1:${port}` }]);
    assert.ok('segments' in got, `GetBlock ${id}: ${JSON.stringify(got)}`);
    return Buffer.concat(got.segments);
  };
  try {
    const sent = new Map<string, Buffer>();
    const put = async (i: number): Promise<string> => {
      const id = `input_j_0_w_${i}`;
      const block = lineBlock(3_000_000 + i * 1000, 500 + i);
      sent.set(id, Buffer.from(block));
      await client.putRemoteBlock(`127.0.0.1:${port}`, id, block, 60_000);
      return id;
    };
    // Three held at once: each in memory of its own.
    for (let i = 0; i < 3; i++) await put(i);
    for (const [id, bytes] of sent) assert.ok(Buffer.from(blocks.borrow(id)![0]).equals(bytes), `${id} differs while three are stored`);
    // One read by GetBlock (its segments handed out), then all dropped and three more put.
    assert.ok((await getBlock('input_j_0_w_1')).equals(sent.get('input_j_0_w_1')!));
    const heldByGet = blocks.get('input_j_0_w_1')![0];
    for (let i = 0; i < 3; i++) blocks.remove(`input_j_0_w_${i}`);
    for (let i = 3; i < 6; i++) await put(i);
    assert.ok(blocks.pool.reused >= 2, `the replicas reused ${blocks.pool.reused} buffers`);
    assert.ok(Buffer.from(heldByGet).equals(sent.get('input_j_0_w_1')!), 'a block handed out by get was overwritten by a later replica');
    for (let i = 3; i < 6; i++) {
      const id = `input_j_0_w_${i}`;
      assert.ok(Buffer.from(blocks.borrow(id)![0]).equals(sent.get(id)!), `${id} differs`);
      assert.ok((await getBlock(id)).equals(sent.get(id)!), `${id} read by GetBlock differs`);
    }
  } finally {
    client.close();
    server.forceShutdown();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
