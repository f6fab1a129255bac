// ShuffleClient on this worker's own map outputs (no RPC): it reads only the map outputs
// it is given (the driver leaves out those with an empty segment), and a missing one it
// is asked for is a fetch failure naming it. Then one fetch over this worker, a live peer
// and a peer (a process of its own) that dies after sending part of its answer: each peer
// is asked once for all its map outputs, and the dying one fails the fetch. A peer killed
// with no fetch waiting on its stream is no warning; one killed under a fetch is. A map output
// whose spilled files were cut short or removed fails each fetch naming the file and what is
// wrong, here and on a peer.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { MAP_TAG, MapOutputWriter, loadProto, mulberry32, placesOf, segmentRange, splitFrames, type wire } from '@sluice/core/internal';
import { ShuffleStreamHandler } from '../../src/rpc/shuffle-stream-handler.js';
import { IndexShuffleBlockResolver } from '../../src/shuffle/index-shuffle-block-resolver.js';
import { ShuffleClient } from '../../src/shuffle/shuffle-client.js';
import { BlockManager } from '../../src/storage/block-manager.js';

/** The frames of a buffer of segments that hold records: map marks (map-order.ts) left out. */
function recordFrames(b: Uint8Array): Uint8Array[] {
  return splitFrames(b).filter((f) => !(f.length === 5 && f[0] === MAP_TAG));
}

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
    assert.deepEqual(recordFrames(got.framed[0]).map((f) => [...f]), [[13], [11]]);
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
 * A peer that answers ShuffleStream in a process of its own: the first request whole (with
 * `first`), the second with part of an answer (`partial`, not the last chunk), and then it
 * dies (SIGKILL) before answering more. Resolves its port once it listens; `sent` once the
 * part is written.
 */
function dyingPeer(first: Buffer, partial: Buffer): { port: Promise<number>; sent: Promise<void>; exited: Promise<NodeJS.Signals | null>; child: ChildProcess } {
  const code = `
    import * as grpc from '@grpc/grpc-js';
    import { loadProto } from '@sluice/core/internal';
    const first = Buffer.from(process.argv[1], 'base64');
    const partial = Buffer.from(process.argv[2], 'base64');
    const server = new grpc.Server();
    server.addService(loadProto().sluice.v1.Worker.service, {
      ShuffleStream(call) {
        let n = 0;
        call.on('data', (req) => {
          n++;
          if (n === 1) call.write({ request_id: req.request_id, data: first, last: true });
          else if (n === 2) {
            call.write({ request_id: req.request_id, data: partial, last: false }, () => {
              console.log('SENT ' + JSON.stringify(req.map_partitions));
              setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100);
            });
          }
        });
      },
    });
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => console.log(err ? 'ERR ' + err.message : 'PORT ' + port));
  `;
  // Run from packages/worker, whose dependencies the imports resolve against.
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, first.toString('base64'), partial.toString('base64')], { cwd: WORKER_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
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

/** Frames laid out by hand: a 4-byte little-endian length, then the bytes. */
function framedBytes(frames: readonly Uint8Array[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => [Buffer.from(Uint32Array.of(f.length).buffer), Buffer.from(f)]));
}

/** A client of worker w1 with a block store of its own (removed by `close`). */
function lonelyClient(): { client: ShuffleClient; close(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(blocks), { secret: 'x'.repeat(32) }, log);
  return {
    client,
    close() {
      client.close();
      blocks.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Map output m (of 3 reduce partitions) writes the byte m + 10 * r to reduce partition r. */
function tinyOutputs(count: number): { index: Uint8Array; data: Uint8Array }[] {
  return Array.from({ length: count }, (_, m) => {
    const w = new MapOutputWriter(3);
    for (let r = 0; r < 3; r++) w.add(r, Uint8Array.of(m + 10 * r));
    return w.finish();
  });
}

function segmentOf(out: { index: Uint8Array; data: Uint8Array }, r: number): Buffer {
  const { start, end } = segmentRange(out.index, r);
  return Buffer.from(out.data.subarray(start, end));
}

/** A worker's shuffle service alone, in this process: a resolver over a block store of its own, served on `port` (0: any). */
async function peer(port = 0, memoryLimit = 64 << 20): Promise<{ dir: string; blocks: BlockManager; resolver: IndexShuffleBlockResolver; handler: ShuffleStreamHandler; server: grpc.Server; port: number; reads: { reduce: number; maps: number[] }[]; stop(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-peer-'));
  const blocks = new BlockManager({ dir, memoryLimit, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  // Every read the peer makes, as it is asked: one per request.
  const reads: { reduce: number; maps: number[] }[] = [];
  const read = resolver.read.bind(resolver);
  resolver.read = (jobId, shuffleId, reduce, maps) => {
    reads.push({ reduce, maps: Array.from(maps) });
    return read(jobId, shuffleId, reduce, maps);
  };
  const handler = new ShuffleStreamHandler(resolver, log);
  const server = new grpc.Server();
  server.addService(loadProto().sluice.v1.Worker.service, { ShuffleStream: (call: Parameters<ShuffleStreamHandler['handle']>[0]) => handler.handle(call) } as unknown as grpc.UntypedServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    dir,
    blocks,
    resolver,
    handler,
    server,
    port: bound,
    reads,
    stop() {
      server.forceShutdown();
      blocks.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `cond` holds (checked each turn of the event loop), failing after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('fetches over three places (local, a live peer, a peer that dies mid-answer) on persistent streams: each peer asked once a fetch for all its map outputs; the dying one fails every fetch waiting on it, naming it and never returning the part it got', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log);
  // Maps 0-1 are here, 2-3 on the live peer w2, 4-5 on the dying peer w3.
  const outputs = tinyOutputs(6);
  for (const m of [0, 1]) resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  const live = await peer();
  for (const m of [2, 3]) live.resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  // The dying peer answers reduce partition 0 whole, then sends map 4's segment of partition 1 (of the 4 and 5 asked for) and dies.
  const dying = dyingPeer(Buffer.concat([segmentOf(outputs[4], 0), segmentOf(outputs[5], 0)]), segmentOf(outputs[4], 1));
  try {
    const dyingPort = await dying.port;
    const places = placesOf([0, 1, 2, 3, 4, 5].map((m) => (m < 2 ? { workerId: 'w1', address: '127.0.0.1:1' } : m < 4 ? { workerId: 'w2', address: `127.0.0.1:${live.port}` } : { workerId: 'w3', address: `127.0.0.1:${dyingPort}` })));
    const bytesOf = (r: { ok: true; framed: Uint8Array[] }): number[][] => r.framed.flatMap((b) => recordFrames(b).map((f) => [...f])).sort((a, b) => a[0] - b[0]);
    // Every map output's segment of partition 0, each peer asked once.
    const got = await client.fetch('j', 2, 0, places);
    assert.ok(got.ok, JSON.stringify(got));
    assert.deepEqual(bytesOf(got), [[0], [1], [2], [3], [4], [5]]);
    assert.deepEqual(live.reads, [{ reduce: 0, maps: [2, 3] }]);
    assert.equal(client.openStreams, 2, 'one stream a peer, kept open');
    // Partition 1 of every map output and, at once, partition 2 of map 5 alone: both wait on the dying peer's one stream.
    const [failed, alsoFailed] = await Promise.all([client.fetch('j', 2, 1, places), client.fetch('j', 2, 2, places, [5])]);
    await dying.sent;
    assert.equal(failed.ok, false, 'a fetch whose peer died mid-answer is a failure, not the part it got');
    assert.ok(!failed.ok);
    assert.equal(failed.workerId, 'w3');
    assert.equal(failed.mapPartition, 4);
    assert.match(failed.message, new RegExp(`worker w3 at 127\\.0\\.0\\.1:${dyingPort}`));
    assert.ok(!alsoFailed.ok, 'the other fetch waiting on the same stream fails too');
    assert.equal(alsoFailed.workerId, 'w3');
    assert.equal(alsoFailed.mapPartition, 5);
    assert.equal(await dying.exited, 'SIGKILL');
    assert.deepEqual(live.reads, [{ reduce: 0, maps: [2, 3] }, { reduce: 1, maps: [2, 3] }], 'the live peer asked once more, for both its map outputs');
    assert.equal(client.openStreams, 1, 'the dead peer’s stream is closed and forgotten; the live one stays');
  } finally {
    dying.child.kill('SIGKILL');
    client.close();
    live.stop();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a peer killed between fetches logs no warning (nothing was lost, the driver says the worker is lost); one killed under fetches warns naming its address and how many waited", { timeout: 60_000 }, async () => {
  // user54: a standing cluster's surviving worker warned 'shuffle stream failed' with a gRPC
  // stack each time another worker was killed -9, with no fetch waiting on it.
  const lines: { level: number; msg: string; address?: string; waiting?: number }[] = [];
  const captured = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(blocks), { secret: 'x'.repeat(32) }, captured);
  const outputs = tinyOutputs(6);
  const idle = dyingPeer(Buffer.concat([segmentOf(outputs[4], 0), segmentOf(outputs[5], 0)]), segmentOf(outputs[4], 1));
  const busy = dyingPeer(Buffer.concat([segmentOf(outputs[4], 0), segmentOf(outputs[5], 0)]), segmentOf(outputs[4], 1));
  try {
    const [idlePort, busyPort] = await Promise.all([idle.port, busy.port]);
    const idlePlaces = placesOf([0, 1, 2, 3, 4, 5].map((m) => ({ workerId: 'w3', address: `127.0.0.1:${m < 4 ? 1 : idlePort}` })));
    assert.ok((await client.fetch('j', 2, 0, idlePlaces, [4, 5])).ok);
    idle.child.kill('SIGKILL');
    await idle.exited;
    const deadline = Date.now() + 20_000;
    while (client.openStreams > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(client.openStreams, 0, 'the killed peer’s stream closed');
    assert.deepEqual(lines.filter((l) => l.level >= 40), [], 'no warning for a stream nothing waited on');
    assert.ok(lines.some((l) => l.level === 20 && l.msg === 'shuffle stream closed with no fetch waiting' && l.address === `127.0.0.1:${idlePort}`), 'said at debug');
    // The busy peer answers partition 0, then dies under the fetch of partition 1.
    const busyPlaces = placesOf([0, 1, 2, 3, 4, 5].map((m) => ({ workerId: 'w4', address: `127.0.0.1:${m < 4 ? 1 : busyPort}` })));
    assert.ok((await client.fetch('j', 2, 0, busyPlaces, [4, 5])).ok);
    assert.equal((await client.fetch('j', 2, 1, busyPlaces, [4, 5])).ok, false);
    const warned = lines.filter((l) => l.level === 40);
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.equal(warned[0]!.waiting, 1);
    assert.match(warned[0]!.msg, new RegExp(`^the shuffle stream to the worker at 127\\.0\\.0\\.1:${busyPort} failed with 1 fetch\\(es\\) waiting \\(.+\\): they fail as fetch failures, and the driver runs the map outputs held there again$`));
  } finally {
    idle.child.kill('SIGKILL');
    busy.child.kill('SIGKILL');
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('reduce tasks fetching at once over one stream each get their own segments (small answers and one of several chunks mixed), and so does a peer that answers out of order with chunks interleaved', { timeout: 60_000 }, async () => {
  const rand = mulberry32(13);
  const REDUCES = 8;
  const MAPS = 12;
  const big = new Uint8Array(1_500_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 1) & 0xff;
  // Map m's segment of partition r: 0-2 frames of random bytes; map 3's partition 5 alone is 1.5 MB (two chunks or more).
  const frames: Uint8Array[][][] = Array.from({ length: MAPS }, (_, m) =>
    Array.from({ length: REDUCES }, (_, r) =>
      m === 3 && r === 5 ? [big] : Array.from({ length: Math.floor(rand() * 3) }, () => Uint8Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256))),
    ),
  );
  const outputs = frames.map((byReduce) => {
    const w = new MapOutputWriter(REDUCES);
    byReduce.forEach((fs, r) => fs.forEach((f) => w.add(r, f)));
    return w.finish();
  });
  const live = await peer();
  for (let m = 0; m < MAPS; m++) live.resolver.commit('j', 1, m, outputs[m].index, outputs[m].data);
  const lonely = lonelyClient();
  const client = lonely.client;
  try {
    const places = placesOf(Array.from({ length: MAPS }, () => ({ workerId: 'w2', address: `127.0.0.1:${live.port}` })));
    // 40 fetches at once: random reduce partitions and random subsets of the map outputs (in a random order).
    const asks = Array.from({ length: 40 }, (_, i) => {
      const reduce = i === 7 ? 5 : Math.floor(rand() * REDUCES);
      const maps = Array.from({ length: MAPS }, (_, m) => m).filter((m) => (i === 7 && m === 3) || rand() < 0.5);
      return { reduce, maps };
    });
    const results = await Promise.all(asks.map((a) => client.fetch('j', 1, a.reduce, places, a.maps)));
    results.forEach((got, i) => {
      assert.ok(got.ok, JSON.stringify(got));
      // Compared as bytes laid out here by hand (the 1.5 MB frame makes arrays of numbers slow to compare).
      const want = framedBytes(asks[i].maps.flatMap((m) => frames[m][asks[i].reduce]));
      assert.ok(framedBytes(got.framed.flatMap(recordFrames)).equals(want), `fetch ${i}: partition ${asks[i].reduce} of maps ${asks[i].maps.join(',')}`);
    });
    assert.equal(live.reads.length, 40);
    assert.equal(client.openStreams, 1, 'one stream to the peer');
    assert.equal(live.handler.openCount, 1, 'the peer served them all on one stream');
  } finally {
    lonely.close();
    live.stop();
  }

  // A peer that holds every request until it has 3, then answers them last first, each in two chunks, interleaved.
  const server = new grpc.Server();
  server.addService(loadProto().sluice.v1.Worker.service, {
    ShuffleStream(call: grpc.ServerDuplexStream<wire.FetchShuffleRequest__Output, wire.ShuffleChunk>) {
      const held: wire.FetchShuffleRequest__Output[] = [];
      call.on('data', (req: wire.FetchShuffleRequest__Output) => {
        held.push(req);
        if (held.length < 3) return;
        const answer = (q: wire.FetchShuffleRequest__Output): Buffer => Buffer.concat(q.map_partitions.map((m) => framedBytes([Uint8Array.of(q.reduce_partition, m)])));
        const order = [...held].reverse();
        for (const q of order) call.write({ request_id: q.request_id, data: answer(q).subarray(0, 3), last: false });
        for (const q of order) call.write({ request_id: q.request_id, data: answer(q).subarray(3), last: true });
      });
    },
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const lonely2 = lonelyClient();
  const client2 = lonely2.client;
  try {
    const places = placesOf([0, 1, 2].map(() => ({ workerId: 'w9', address: `127.0.0.1:${port}` })));
    const got = await Promise.all([0, 1, 2].map((r) => client2.fetch('j', 1, r, places, r === 1 ? [2] : [0, 1])));
    got.forEach((g, r) => {
      assert.ok(g.ok, JSON.stringify(g));
      assert.deepEqual(
        g.framed.flatMap((b) => recordFrames(b).map((f) => [...f])),
        (r === 1 ? [2] : [0, 1]).map((m) => [r, m]),
        `partition ${r}`,
      );
    });
  } finally {
    lonely2.close();
    server.forceShutdown();
  }
});

test('a stream to a peer that stopped: the peer ends its streams (its server shuts down at once), and a worker started again at the same address is fetched from on a new stream', { timeout: 60_000 }, async () => {
  const outputs = tinyOutputs(2);
  const first = await peer();
  first.resolver.commit('j', 3, 0, outputs[0].index, outputs[0].data);
  const lonely = lonelyClient();
  const client = lonely.client;
  let second: Awaited<ReturnType<typeof peer>> | undefined;
  try {
    const address = `127.0.0.1:${first.port}`;
    const got = await client.fetch('j', 3, 1, placesOf([{ workerId: 'w2', address }]));
    assert.ok(got.ok);
    assert.deepEqual(got.framed.flatMap((b) => recordFrames(b).map((f) => [...f])), [[10]]);
    assert.equal(first.handler.openCount, 1);
    // The worker stops: it ends the streams open to it (an open call would hold up its
    // server's graceful shutdown), and the client forgets its stream at once.
    first.handler.closeAll();
    await until(() => client.openStreams === 0, 10_000, 'the client to see the peer end its stream');
    assert.equal(first.handler.openCount, 0);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the server’s graceful shutdown waited on a shuffle stream')), 10_000);
      first.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
    first.stop();
    // Another worker at the same address, holding map output 1 of the same shuffle (map 0's is not there).
    second = await peer(first.port);
    second.resolver.commit('j', 3, 1, outputs[1].index, outputs[1].data);
    const again = await client.fetch('j', 3, 2, placesOf([{ workerId: 'w3', address }, { workerId: 'w3', address }]), [1]);
    assert.ok(again.ok, JSON.stringify(again));
    assert.deepEqual(again.framed.flatMap((b) => recordFrames(b).map((f) => [...f])), [[21]]);
    const lost = await client.fetch('j', 3, 2, placesOf([{ workerId: 'w3', address }]), [0]);
    assert.deepEqual(lost, { ok: false, mapPartition: 0, workerId: 'w3', message: 'map output 0 of shuffle 3 is no longer on worker w3' });
    assert.equal(second.handler.openCount, 1, 'one new stream');
  } finally {
    lonely.close();
    second?.stop();
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
  // A live peer that holds block b: a gRPC Worker service answering GetBlock (noting when it is asked).
  let liveAskedAt = 0;
  const server = new grpc.Server();
  server.addService(loadProto().sluice.v1.Worker.service, {
    GetBlock: (call: import('@grpc/grpc-js').ServerWritableStream<{ block_id: string }, unknown>) => {
      liveAskedAt = Date.now();
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
    // What the bound's checks time is the silence timer, not gRPC's first call in this
    // process: a block fetched from the live peer first loads the client's and the server's
    // code paths and connects the channel to it, work that took seconds of wall time
    // at loads of 20-40 (CI runs three files at a time on 2 cores) inside the 10x bound.
    const warm = await client.getRemoteBlock('b', [{ workerId: 'live', address: `127.0.0.1:${livePort}` }]);
    assert.ok('segments' in warm, JSON.stringify(warm));
    let t0 = Date.now();
    const got = await client.fetch('j', 0, 0, placesOf([{ workerId: 'gone', address: silentAddress }]));
    let took = Date.now() - t0;
    assert.equal(got.ok, false);
    assert.ok(!got.ok);
    assert.equal(got.workerId, 'gone');
    assert.equal(got.mapPartition, 0);
    assert.match(got.message, new RegExp(`worker gone at ${silentAddress} did not connect and answer within ${timeoutMs} ms.*--peer-connect-timeout`));
    // A silent peer is as often a stopped or overloaded process as a gone one: the message says all three.
    assert.match(got.message, /: it may be stopped \(SIGSTOP, a paused container\), overloaded, or gone without a reset .*; if it is only slow, raise the bound with --peer-connect-timeout$/);
    assert.ok(took >= timeoutMs - 20 && took < 10 * timeoutMs, `the fetch gave up after ${took} ms (bound ${timeoutMs} ms)`);
    assert.ok(sockets.length > 0, 'the client dialled the silent peer');

    t0 = Date.now();
    liveAskedAt = 0;
    const block = await client.getRemoteBlock('b', [
      { workerId: 'gone', address: silentAddress },
      { workerId: 'live', address: `127.0.0.1:${livePort}` },
    ]);
    // Timed to when the next location was asked (its answer is not the bound's).
    took = liveAskedAt - t0;
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

test('a range of reduce partitions (a range task’s fetch): each partition’s segments of every map output, this worker read partition after partition, a peer asked once for the whole range; a map output gone from the peer fails the range naming it', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log);
  // Maps 0-1 here, 2-4 on the peer w2; tinyOutputs: map m writes the byte m + 10 * r to partition r.
  const outputs = tinyOutputs(5);
  for (const m of [0, 1]) resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  const live = await peer();
  for (const m of [2, 3, 4]) live.resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  try {
    const places = placesOf([0, 1, 2, 3, 4].map((m) => (m < 2 ? { workerId: 'w1', address: '127.0.0.1:1' } : { workerId: 'w2', address: `127.0.0.1:${live.port}` })));
    const bytesOf = (framed: Uint8Array[]): number[] => framed.flatMap((b) => recordFrames(b).map((f) => f[0])).sort((a, b) => a - b);
    // Partitions 1 and 2 of maps 0, 1, 3 and 4 (map 2 left out, as when its segments there are empty).
    const got = await client.fetchRange('j', 2, 1, 2, places, [0, 1, 3, 4]);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.framed.length, 2);
    assert.deepEqual(bytesOf(got.framed[0]), [10, 11, 13, 14], 'partition 1');
    assert.deepEqual(bytesOf(got.framed[1]), [20, 21, 23, 24], 'partition 2');
    assert.deepEqual(live.reads, [{ reduce: 1, maps: [3, 4] }, { reduce: 2, maps: [3, 4] }], 'the peer read both partitions for one request');
    // The same as a fetch a partition gives.
    for (const r of [1, 2]) {
      const one = await client.fetch('j', 2, r, places, [0, 1, 3, 4]);
      assert.ok(one.ok);
      assert.deepEqual(bytesOf(one.framed), bytesOf(got.framed[r - 1]), `partition ${r} fetched alone`);
    }
    // Partitions 0-2 of every map output; then again after the peer lost map 4.
    const all = await client.fetchRange('j', 2, 0, 3, places);
    assert.ok(all.ok, JSON.stringify(all));
    assert.deepEqual(all.framed.map(bytesOf), [0, 1, 2].map((r) => [0, 1, 2, 3, 4].map((m) => m + 10 * r)));
    live.blocks.remove('shuffle_j_2_4');
    const lost = await client.fetchRange('j', 2, 0, 3, places);
    assert.ok(!lost.ok, 'a range with a map output gone fails');
    assert.equal(lost.workerId, 'w2');
    assert.equal(lost.mapPartition, 4);
    assert.match(lost.message, /map output 4 of shuffle 2 is no longer on worker w2/);
  } finally {
    client.close();
    live.stop();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a map output whose spilled files were damaged after it was written (its data file cut short here, its index file removed on a peer): each fetch fails naming the map output, the worker, the block, the file and what is wrong with it, every later fetch of it too; committed again, it is read", { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  // A 1-byte memory limit: every map output but the last one stored is spilled, its index to N.seg and its data to N+1.seg.
  const blocks = new BlockManager({ dir, memoryLimit: 1, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log);
  const live = await peer(0, 1);
  // Maps 0-1 here, 2-3 on the peer w2; the first of each spilled (files 1.seg and 2.seg).
  const outputs = tinyOutputs(4);
  for (const m of [0, 1]) resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  for (const m of [2, 3]) live.resolver.commit('j', 2, m, outputs[m].index, outputs[m].data);
  try {
    assert.deepEqual(fs.readdirSync(dir).sort(), ['1.seg', '2.seg'], 'map 0 spilled here');
    assert.deepEqual(fs.readdirSync(live.dir).sort(), ['1.seg', '2.seg'], 'map 2 spilled on the peer');
    fs.truncateSync(path.join(dir, '2.seg'), 3);
    fs.rmSync(path.join(live.dir, '1.seg'));
    const places = placesOf([0, 1, 2, 3].map((m) => (m < 2 ? { workerId: 'w1', address: '127.0.0.1:1' } : { workerId: 'w2', address: `127.0.0.1:${live.port}` })));
    const here = new RegExp(`^map output 0 of shuffle 2 on worker w1 cannot be read from that worker's local directory: its data file '${path.join(dir, '2.seg')}' \\(block shuffle_j_2_0\\) is 3 bytes, cut short of the \\d+ this read needs \\(it was truncated after it was written\\); the map output is computed again\\. If this recurs, check worker w1's --local-dir and its disk`);
    const there = new RegExp(`^map output 2 of shuffle 2 on worker w2 cannot be read from that worker's local directory: its index file '${path.join(live.dir, '1.seg')}' \\(block shuffle_j_2_2\\) is gone \\(ENOENT: removed from the local directory after it was written\\); the map output is computed again\\. If this recurs, check worker w2's --local-dir`);
    // Read twice: the block is dropped at the first read; the second is told why all the same.
    for (const reduce of [1, 2]) {
      const local = await client.fetch('j', 2, reduce, places, [0, 1]);
      assert.ok(!local.ok, `reduce ${reduce}: the cut-short map output fails the fetch`);
      assert.equal(local.mapPartition, 0);
      assert.equal(local.workerId, 'w1');
      assert.match(local.message, here);
      const remote = await client.fetch('j', 2, reduce, places, [2, 3]);
      assert.ok(!remote.ok, `reduce ${reduce}: the peer's map output without its index fails the fetch`);
      assert.equal(remote.mapPartition, 2);
      assert.equal(remote.workerId, 'w2');
      assert.match(remote.message, there);
    }
    // The map task run again here: its new output is read.
    resolver.commit('j', 2, 0, outputs[0].index, outputs[0].data);
    const again = await client.fetch('j', 2, 1, places, [0]);
    assert.ok(again.ok, JSON.stringify(again));
    assert.deepEqual(recordFrames(again.framed[0]).map((f) => [...f]), [[10]]);
  } finally {
    client.close();
    live.stop();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a peer the driver declared lost (a heartbeat answer naming its address): the shuffle fetches waiting on it fail at once as fetch failures naming it, not after the silence bound; a peer not named is still waited on', { timeout: 60_000 }, async () => {
  const net = await import('node:net');
  // Two frozen peers: listeners that take connections and send nothing (a SIGSTOPped worker's
  // kernel still accepts), waited on for up to 120 s (Spark's network timeout).
  const sockets: import('node:net').Socket[] = [];
  const listen = async (): Promise<{ server: import('node:net').Server; address: string }> => {
    const server = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, address: `127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}` };
  };
  const [frozen, other] = [await listen(), await listen()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(blocks), { secret: 'x'.repeat(32) }, log, 120_000);
  try {
    let settled: Awaited<ReturnType<ShuffleClient['fetch']>> | undefined;
    const fetching = client.fetch('j', 4, 1, placesOf([{ workerId: 'gone', address: frozen.address }, { workerId: 'gone', address: frozen.address }])).then((r) => (settled = r));
    let otherSettled = false;
    const otherFetch = client.fetch('j', 4, 1, placesOf([{ workerId: 'still', address: other.address }])).then((r) => {
      otherSettled = true;
      return r;
    });
    await until(() => sockets.length >= 2, 10_000, 'the client to dial both peers');
    // A lost peer at another address changes nothing for these.
    client.peersLost(['127.0.0.1:1']);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, undefined, 'a fetch from a peer not named lost still waits');
    const t0 = Date.now();
    client.peersLost([frozen.address]);
    let timer: NodeJS.Timeout | undefined; // cleared: left running, it kept the file's process alive 10 s
    const got = await Promise.race([fetching, new Promise<'waiting'>((r) => (timer = setTimeout(() => r('waiting'), 10_000)))]).finally(() => clearTimeout(timer));
    assert.notEqual(got, 'waiting', 'the fetch from the peer declared lost was still waiting 10 s after the driver named it');
    assert.ok(got !== 'waiting' && !got.ok);
    assert.deepEqual(got, { ok: false, mapPartition: 0, workerId: 'gone', message: `cannot fetch shuffle blocks from worker gone at ${frozen.address}: the driver declared it lost` });
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(otherSettled, false, 'the fetch from the peer not named is still waiting');
    assert.equal(client.openStreams, 1, 'the lost peer’s stream is closed and forgotten; the other one open');
    client.close();
    const closed = await otherFetch;
    assert.ok(!closed.ok && closed.workerId === 'still');
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
    for (const s of sockets) s.destroy();
    frozen.server.close();
    other.server.close();
  }
});

test('a peer back at its address after an outage the driver declared (it was lost, it registered again): the first fetch from it reaches it, not a channel still waiting out its reconnect backoff', { timeout: 60_000 }, async () => {
  const outputs = tinyOutputs(1);
  const first = await peer();
  first.resolver.commit('j', 3, 0, outputs[0].index, outputs[0].data);
  const lonely = lonelyClient();
  const client = lonely.client;
  let second: Awaited<ReturnType<typeof peer>> | undefined;
  try {
    const address = `127.0.0.1:${first.port}`;
    const places = placesOf([{ workerId: 'w2', address }]);
    assert.ok((await client.fetch('j', 3, 1, places)).ok);
    first.stop();
    // The outage: fetches keep failing while gRPC's reconnect backoff grows to its cap (1 s);
    // 2.5 s of it, as a cut longer than the worker timeout leaves it.
    let failures = 0;
    for (const end = Date.now() + 2500; Date.now() < end; ) {
      const got = await client.fetch('j', 3, 1, places);
      assert.equal(got.ok, false);
      failures++;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(failures > 0);
    // The driver declared it lost (a heartbeat answer naming its address); it comes back at
    // the same address with its map output computed again, registers, and is fetched from at once.
    client.peersLost([address]);
    second = await peer(first.port);
    second.resolver.commit('j', 3, 0, outputs[0].index, outputs[0].data);
    const again = await client.fetch('j', 3, 2, places);
    assert.ok(again.ok, `the first fetch after it came back: ${JSON.stringify(again)}`);
    assert.deepEqual(again.framed.flatMap((b) => recordFrames(b).map((f) => [...f])), [[20]]);
  } finally {
    lonely.close();
    second?.stop();
  }
});

test('block fetches failed by dead peers all at once (a worker killed under running tasks) are warned of once per peer, naming it, its cause and what happens next; the rest are counted in one line, the stacks at debug only', async () => {
  const net = await import('node:net');
  // Two ports that were free a moment ago: nothing listens on them now.
  const probes = [net.createServer(), net.createServer()];
  await Promise.all(probes.map((p) => new Promise<void>((r) => p.listen(0, '127.0.0.1', r))));
  const ports = probes.map((p) => (p.address() as import('node:net').AddressInfo).port);
  await Promise.all(probes.map((p) => new Promise<void>((r) => p.close(() => r()))));
  const lines: { level: number; msg: string; peer?: string; worker?: string; failures?: number; err?: { stack?: string } }[] = [];
  const captured = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  // A window far longer than the burst takes (10 minutes): every failure after each peer's first is held back.
  const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(blocks), { secret: 'x'.repeat(32) }, captured, 5000, false, 600_000);
  const perPeer = 12;
  try {
    const got = await Promise.all(
      Array.from({ length: 2 * perPeer }, (_, i) => client.getRemoteBlock(`input_j_${i}_w_0`, [{ workerId: `dead${i % 2}`, address: `127.0.0.1:${ports[i % 2]}` }])),
    );
    for (const g of got) assert.ok('misses' in g, JSON.stringify(g));
    client.close(); // ends the windows: each tells what it held back
    const warnings = lines.filter((l) => l.level === 40);
    assert.deepEqual(warnings.map((w) => w.peer).sort(), ['dead0', 'dead1'], JSON.stringify(warnings));
    for (const w of warnings) {
      const i = Number(w.peer?.slice(-1));
      assert.ok(
        w.msg.startsWith(`block fetch failed: worker dead${i} (127.0.0.1:${ports[i]}) is unreachable (connection refused: nothing listens on that port); its blocks are read from their next location (a replica, else the write-ahead log`),
        w.msg,
      );
      assert.equal(w.err, undefined, 'no stack at warn level');
    }
    const counted = lines.filter((l) => l.level === 30 && /more fetches/.test(l.msg));
    assert.deepEqual(counted.map((l) => [l.worker, l.failures]).sort(), [[`dead0 (127.0.0.1:${ports[0]})`, perPeer - 1], [`dead1 (127.0.0.1:${ports[1]})`, perPeer - 1]], JSON.stringify(counted));
    // Every failure's stack is still there for whoever turns debug on.
    assert.equal(lines.filter((l) => l.level === 20 && l.msg === 'block fetch failed' && typeof l.err?.stack === 'string').length, 2 * perPeer);
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a received block whose one holder is down (nothing listens on its port, as after a kill -9) is missed saying the connection was refused, not in gRPC's words ending in an empty 'Resolution note'", async () => {
  const net = await import('node:net');
  // A port that was free a moment ago: nothing listens on it now.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(blocks), { secret: 'x'.repeat(32) }, log, 5000);
  try {
    const got = await client.getRemoteBlock('input_j_0_w_0', [{ workerId: 'dead', address: `127.0.0.1:${port}` }]);
    assert.ok('misses' in got, JSON.stringify(got));
    assert.equal(got.misses[0], `dead (127.0.0.1:${port}): unreachable (connection refused: nothing listens on that port)`);
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
