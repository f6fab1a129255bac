// ShuffleClient on this worker's own map outputs (no RPC): it reads only the map outputs
// it is given (the driver leaves out those with an empty segment), and a missing one it
// is asked for is a fetch failure naming it. Then one fetch over this worker, a live peer
// and a peer (a process of its own) that dies after sending part of its answer: each peer
// is asked once for all its map outputs, and the dying one fails the fetch.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { MapOutputWriter, loadProto, placesOf, segmentRange, splitFrames, type wire } from '@sluice/core/internal';
import { IndexShuffleBlockResolver } from '../../src/shuffle/index-shuffle-block-resolver.js';
import { ShuffleClient } from '../../src/shuffle/shuffle-client.js';
import { BlockManager } from '../../src/storage/block-manager.js';

const log = pino({ level: 'silent' });
/** packages/worker (tests run from packages/worker/dist/test/shuffle). */
const WORKER_DIR = fileURLToPath(new URL('../../../', import.meta.url));

test('local fetch: only the map outputs asked for, in order, as one buffer of frames of its own; a missing one asked for fails the fetch', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log);
  try {
    // Map outputs 1..3 of shuffle 2 are here (map 0's is not); each writes byte m + 10 * r to reduce partitions 0..2.
    for (let m = 1; m <= 3; m++) {
      const w = new MapOutputWriter(3);
      for (let r = 0; r < 3; r++) w.add(r, Uint8Array.of(m + 10 * r));
      const out = w.finish();
      resolver.commit('j', 2, m, out.index, out.data);
    }
    const here = { workerId: 'w1', address: '127.0.0.1:1' };
    const locations = placesOf([here, here, here, here]);
    const got = await client.fetch('j', 2, 1, locations, [3, 1]);
    assert.ok(got.ok);
    assert.equal(got.framed.length, 1);
    assert.deepEqual(splitFrames(got.framed[0]).map((f) => [...f]), [[13], [11]]);
    assert.equal(got.framed[0].buffer.byteLength, got.framed[0].length, 'a buffer of its own (it is transferred to the task thread)');
    // Without a list, every map output is asked for: map 0's is missing.
    const all = await client.fetch('j', 2, 1, locations);
    assert.deepEqual(all, { ok: false, mapPartition: 0, workerId: 'w1', message: 'map output 0 of shuffle 2 is no longer on this worker' });
    // An empty list asks nobody.
    assert.deepEqual(await client.fetch('j', 2, 1, locations, []), { ok: true, framed: [] });
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A peer that answers FetchShuffle with the first half of the segments asked for and then
 * dies (SIGKILL) before ending the call, in a process of its own. Resolves its port once it
 * listens; `sent` once its first chunk is written.
 */
function dyingPeer(firstChunk: Buffer): { port: Promise<number>; sent: Promise<void>; exited: Promise<NodeJS.Signals | null>; child: ChildProcess } {
  const code = `
    import * as grpc from '@grpc/grpc-js';
    import { loadProto } from '@sluice/core/internal';
    const chunk = Buffer.from(process.argv[1], 'base64');
    const server = new grpc.Server();
    server.addService(loadProto().sluice.v1.Worker.service, {
      FetchShuffle(call) {
        call.write({ data: chunk }, () => {
          console.log('SENT ' + JSON.stringify(call.request.map_partitions));
          setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100);
        });
      },
    });
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => console.log(err ? 'ERR ' + err.message : 'PORT ' + port));
  `;
  // Run from packages/worker, whose dependencies the imports resolve against.
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, firstChunk.toString('base64')], { cwd: WORKER_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const lines: ((l: string) => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const f of lines) f(out);
  });
  const waitFor = <T>(re: RegExp, map: (m: RegExpMatchArray) => T): Promise<T> =>
    new Promise((resolve) => {
      const f = (s: string): void => {
        const m = s.match(re);
        if (m) resolve(map(m));
      };
      lines.push(f);
    });
  return {
    port: waitFor(/PORT (\d+)/, (m) => Number(m[1])),
    sent: waitFor(/SENT \[4,5\]/, () => undefined),
    exited: new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))),
    child,
  };
}

test('one fetch over three places (local, a live peer, a peer that dies mid-stream): each peer asked once for all its map outputs; the dying one fails the fetch naming it', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log);
  // Map output m writes the byte m + 10 * r to reduce partitions 0..2; maps 0-1 are here, 2-3 on w2, 4-5 on w3.
  const outputs = Array.from({ length: 6 }, (_, m) => {
    const w = new MapOutputWriter(3);
    for (let r = 0; r < 3; r++) w.add(r, Uint8Array.of(m + 10 * r));
    return w.finish();
  });
  const segment = (m: number, r: number): Buffer => {
    const { start, end } = segmentRange(outputs[m].index, r);
    return Buffer.from(outputs[m].data.subarray(start, end));
  };
  for (const m of [0, 1]) resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  // The live peer: answers with the segments asked for, back to back, and records each request.
  const requests: { reduce: number; maps: number[] }[] = [];
  const server = new grpc.Server();
  server.addService(loadProto().sluice.v1.Worker.service, {
    FetchShuffle(call: grpc.ServerWritableStream<wire.FetchShuffleRequest__Output, wire.ShuffleChunk>) {
      requests.push({ reduce: call.request.reduce_partition, maps: [...call.request.map_partitions] });
      call.write({ data: Buffer.concat(call.request.map_partitions.map((m) => segment(m, call.request.reduce_partition))) });
      call.end();
    },
  } as unknown as grpc.UntypedServiceImplementation);
  const livePort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  // The dying peer sends map 4's segment of partition 1 (of the 4 and 5 asked for), then dies.
  const dying = dyingPeer(segment(4, 1));
  try {
    const dyingPort = await dying.port;
    const places = placesOf([0, 1, 2, 3, 4, 5].map((m) => (m < 2 ? { workerId: 'w1', address: '127.0.0.1:1' } : m < 4 ? { workerId: 'w2', address: `127.0.0.1:${livePort}` } : { workerId: 'w3', address: `127.0.0.1:${dyingPort}` })));
    // Without the dying peer: every segment, each peer asked once for all of its map outputs.
    const got = await client.fetch('j', 2, 1, places, [0, 1, 2, 3]);
    assert.ok(got.ok, JSON.stringify(got));
    assert.deepEqual(got.framed.flatMap((b) => splitFrames(b).map((f) => [...f])).sort(), [[10], [11], [12], [13]].sort());
    assert.deepEqual(requests, [{ reduce: 1, maps: [2, 3] }]);
    // With it: the fetch fails naming a map output of the peer that died, after it had sent part of its answer.
    const failed = await client.fetch('j', 2, 1, places);
    await dying.sent;
    assert.equal(failed.ok, false, 'a fetch whose peer died mid-stream is a failure, not the part it got');
    if (!failed.ok) {
      assert.equal(failed.workerId, 'w3');
      assert.equal(failed.mapPartition, 4);
    }
    assert.equal(await dying.exited, 'SIGKILL');
    assert.deepEqual(requests, [{ reduce: 1, maps: [2, 3] }, { reduce: 1, maps: [2, 3] }], 'the live peer asked once more, for both its map outputs');
  } finally {
    dying.child.kill('SIGKILL');
    client.close();
    server.forceShutdown();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a peer that accepts TCP and never answers: a shuffle fetch fails naming it and --peer-connect-timeout, and a block fetch passes it over for the next location, each after the bound', async () => {
  const grpc = await import('@grpc/grpc-js');
  const net = await import('node:net');
  const { loadProto } = await import('@sluice/core/internal');
  // The silent peer: a listener that takes connections and sends nothing (a peer gone
  // without a reset); gRPC alone would wait on it for ever.
  const sockets: import('node:net').Socket[] = [];
  const silent = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentAddress = `127.0.0.1:${(silent.address() as import('node:net').AddressInfo).port}`;
  // A live peer that holds block b: a gRPC Worker service answering GetBlock.
  const server = new grpc.Server();
  server.addService(loadProto().sluice.v1.Worker.service, {
    GetBlock: (call: import('@grpc/grpc-js').ServerWritableStream<{ block_id: string }, unknown>) => {
      call.write({ block_id: call.request.block_id, data: Buffer.from('live'), last: true });
      call.write({ block_id: call.request.block_id, end_of_block: true });
      call.end();
    },
  } as unknown as import('@grpc/grpc-js').UntypedServiceImplementation);
  const livePort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const timeoutMs = 300;
  const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(blocks), { secret: 'x'.repeat(32) }, log, timeoutMs);
  try {
    let t0 = Date.now();
    const got = await client.fetch('j', 0, 0, placesOf([{ workerId: 'gone', address: silentAddress }]));
    let took = Date.now() - t0;
    assert.equal(got.ok, false);
    assert.ok(!got.ok);
    assert.equal(got.workerId, 'gone');
    assert.equal(got.mapPartition, 0);
    assert.match(got.message, new RegExp(`worker gone at ${silentAddress} did not connect and answer within ${timeoutMs} ms.*--peer-connect-timeout`));
    assert.ok(took >= timeoutMs - 20 && took < 10 * timeoutMs, `the fetch gave up after ${took} ms (bound ${timeoutMs} ms)`);
    assert.ok(sockets.length > 0, 'the client dialled the silent peer');

    t0 = Date.now();
    const block = await client.getRemoteBlock('b', [
      { workerId: 'gone', address: silentAddress },
      { workerId: 'live', address: `127.0.0.1:${livePort}` },
    ]);
    took = Date.now() - t0;
    assert.ok('segments' in block, JSON.stringify(block));
    assert.deepEqual(block.segments.map((s) => Buffer.from(s).toString()), ['live']);
    assert.ok(took >= timeoutMs - 20 && took < 10 * timeoutMs, `the block fetch moved on after ${took} ms (bound ${timeoutMs} ms)`);
    const alone = await client.getRemoteBlock('b', [{ workerId: 'gone', address: silentAddress }]);
    assert.ok('misses' in alone);
    assert.match(alone.misses[0], /^gone \(127\.0\.0\.1:\d+\): unreachable \(worker gone at .* did not connect and answer within 300 ms.*--peer-connect-timeout\)$/);
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
    server.forceShutdown();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
