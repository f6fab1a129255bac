// Received-block hops benchmark (not a test): the CPU a worker spends moving one received
// line block (60,000 100-byte lines, 6 MB: a 200 ms block at 300,000 lines/s) after the
// receiver cut it, in one process, measured two ways each, alternated A B A B:
//   hop:     the receiver's thread posts the block to the worker's main thread: cloned (the
//            bytes copied into the message and out of it: main before this change) or moved
//            (its ArrayBuffer transferred: socketTextStream's line blocks now);
//   replica: the block encoded for PutBlock as the replica travels (1 MiB BlockChunk
//            messages), with the Worker service's serializer of each checkout given
//            (main before: protobufjs's array copied into a Buffer; now: a Buffer over it);
//   read:    a stored block posted from the worker's main thread to the task thread that
//            reads it: cloned (main before) or copied once into a buffer of its own and
//            moved (now);
//   lines:   a stored block read by a task thread as each checkout's worker and task do it:
//            copied on the main thread (whole, concatOwned; or in pieces of whole lines,
//            linePieces, where the checkout has it), moved to the thread, decoded and cut
//            into lines there (emitLines; emitLinePieces), every line counted;
//   round trip: the replica as it really goes, both sides in this process: each checkout's
//            ShuffleClient.putRemoteBlock to a gRPC server running that checkout's Worker
//            service PutBlock handler (the block store the checkout's BlockManager), so
//            the sender's encoding, gRPC's framing and assembly on both sides, the peer's
//            decoding and its joining of a segment's messages are all counted; the blocks
//            are line blocks made by each checkout's encodeLineBlock (with the headroom a
//            replica is written in place in, where the checkout has it).
// Prints CPU ms per block (process.cpuUsage of the whole process, user + system, so the
// thread's side is included), median of the rounds, with the load average.
//
//   node bench/streaming-hops.js [rounds=7] <checkout> <checkout> ...
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { makeLines } from './lines.js';
import { median } from './bench-support.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const checkouts = process.argv.slice(3);
const BLOCK_BYTES = 60_000 * 100;
const BLOCKS = 20;


/** A thread that makes BLOCKS blocks and posts each, moved or cloned; resolves once all arrived. */
function hop(move) {
  const src = `
    const { parentPort } = require('node:worker_threads');
    const move = ${move};
    for (let i = 0; i < ${BLOCKS}; i++) {
      const b = Buffer.allocUnsafeSlow(${BLOCK_BYTES});
      b.fill(97 + (i % 26));
      parentPort.postMessage({ data: b }, move ? [b.buffer] : undefined);
    }`;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    let n = 0;
    let sum = 0;
    w.on('message', (m) => {
      sum += m.data[m.data.length - 1];
      if (++n === BLOCKS) w.terminate().then(() => resolve(sum), reject);
    });
    w.on('error', reject);
  });
}

/** A thread that takes BLOCKS blocks from this thread, each posted from the one stored block cloned, or copied once and moved. */
function read(move, stored) {
  const src = `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (m) => parentPort.postMessage(m.data[m.data.length - 1]));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    let n = 0;
    const post = () => {
      if (!move) return w.postMessage({ data: stored });
      const own = Buffer.allocUnsafeSlow(stored.length);
      own.set(stored);
      w.postMessage({ data: own }, [own.buffer]);
    };
    w.on('message', () => (++n === BLOCKS ? w.terminate().then(() => resolve(n), reject) : post()));
    w.on('error', reject);
    w.once('online', post);
  });
}

/** A thread with checkout `c`'s core that reads BLOCKS line blocks as a task does, each moved to it from `stored` the way `c`'s worker does. */
function readLines(c, core, stored) {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.core).then((core) => {
      parentPort.on('message', (m) => {
        let n = 0;
        if (m.lines) core.emitLinePieces(m.lines, () => void n++);
        else core.emitLines(m.data, () => void n++);
        parentPort.postMessage(n);
      });
      parentPort.postMessage('ready');
    });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { core: pathToFileURL(path.resolve(c, 'packages/core/dist/src/internal.js')).href } });
    let n = 0;
    const post = () => {
      if (core.linePieces) {
        const lines = core.linePieces([stored]);
        return w.postMessage({ lines }, lines.map((p) => p.buffer));
      }
      const data = core.concatOwned([stored]);
      w.postMessage({ data }, [data.buffer]);
    };
    w.on('message', (m) => {
      if (m === 'ready') return post();
      if (m !== 60_000) reject(new Error(`${c}: ${m} lines read, not 60,000`));
      if (++n === BLOCKS) w.terminate().then(() => resolve(n), reject);
      else post();
    });
    w.on('error', reject);
  });
}

async function cpuOf(f) {
  const c0 = process.cpuUsage();
  await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / BLOCKS;
}

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return silent; } };

/** A gRPC server with `c`'s Worker service (only PutBlock is called) and `c`'s ShuffleClient to it. */
async function replicaPair(c) {
  const grpc = createRequire(path.resolve(c, 'packages/worker/package.json'))('@grpc/grpc-js');
  const core = await import(pathToFileURL(path.resolve(c, 'packages/core/dist/src/internal.js')).href);
  const { workerService } = await import(pathToFileURL(path.resolve(c, 'packages/worker/dist/src/rpc/worker-service.js')).href);
  const { ShuffleClient } = await import(pathToFileURL(path.resolve(c, 'packages/worker/dist/src/shuffle/shuffle-client.js')).href);
  // The checkout's own BlockManager (a worker's store: where the peer's replica memory comes
  // from and goes back to), blocks removed once checked as a batch's completion removes them.
  const { BlockManager } = await import(pathToFileURL(path.resolve(c, 'packages/worker/dist/src/storage/block-manager.js')).href);
  const blocks = new BlockManager({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-hops-')), memoryLimit: 1 << 30, log: silent });
  // Read as a task reads a block (borrow, where the checkout has it: a synchronous read), checked, then removed.
  const stored = { get: (id) => (blocks.borrow ?? blocks.get).call(blocks, id), delete: (id) => blocks.remove(id) };
  const server = new grpc.Server(core.CHANNEL_OPTIONS);
  server.addService(core.loadProto().sluice.v1.Worker.service, workerService({}, blocks, {}, {}, silent));
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const client = new ShuffleClient('bench', {}, { secret: 'bench-secret' }, silent);
  return {
    name: c,
    stored,
    put: (id, data) => client.putRemoteBlock(`127.0.0.1:${port}`, id, data, 60_000),
    close: () => {
      server.forceShutdown();
      blocks.close();
    },
  };
}

const serializers = [];
const pairs = [];
const cores = [];
for (const c of checkouts) {
  const core = await import(pathToFileURL(path.resolve(c, 'packages/core/dist/src/internal.js')).href);
  cores.push({ name: c, core });
  serializers.push({ name: c, serialize: core.loadProto().sluice.v1.Worker.service.PutBlock.requestSerialize, chunks: core.chunks });
  pairs.push(await replicaPair(c));
}

const block = Buffer.alloc(BLOCK_BYTES, 98);
const lineText = makeLines(60_000);
const lineBlock = cores[0].core.encodeLineBlock([lineText], BLOCK_BYTES);
const lineReads = new Map(cores.map((c) => [c.name, []]));
const hops = { cloned: [], moved: [] };
const reads = { cloned: [], moved: [] };
const replica = new Map(serializers.map((s) => [s.name, []]));
const roundTrip = new Map(pairs.map((p) => [p.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  hops.cloned.push(await cpuOf(() => hop(false)));
  hops.moved.push(await cpuOf(() => hop(true)));
  reads.cloned.push(await cpuOf(() => read(false, block)));
  reads.moved.push(await cpuOf(() => read(true, block)));
  for (const c of cores) lineReads.get(c.name).push(await cpuOf(() => readLines(c.name, c.core, lineBlock)));
  for (const [k, p] of pairs.entries()) {
    // Each checkout's own line blocks, as its receiver thread makes them (made before the clock starts).
    const sent = Array.from({ length: BLOCKS }, () => cores[k].core.encodeLineBlock([lineText], BLOCK_BYTES));
    roundTrip.get(p.name).push(
      await cpuOf(async () => {
        for (let i = 0; i < BLOCKS; i++) {
          const id = `input_0_0_w_${r}_${i}`;
          await p.put(id, sent[i]);
          const segs = p.stored.get(id);
          if (segs.length !== 1 || !Buffer.from(segs[0].buffer, segs[0].byteOffset, segs[0].length).equals(sent[i])) throw new Error(`${p.name}: the replica was not stored exact`);
          p.stored.delete(id);
        }
      }),
    );
  }
  for (const s of serializers) {
    replica.get(s.name).push(
      await cpuOf(async () => {
        for (let i = 0; i < BLOCKS; i++) {
          const parts = [...s.chunks(block)];
          let bytes = 0;
          parts.forEach((c, j) => (bytes += s.serialize({ block_id: `input_0_0_w_${i}`, data: c, last: j === parts.length - 1 }).length));
          if (bytes < BLOCK_BYTES) throw new Error('short replica');
        }
      }),
    );
  }
}
console.log(`received line block of ${BLOCK_BYTES.toLocaleString('en-US')} bytes; CPU ms per block, median of ${ROUNDS} alternated rounds; load ${os.loadavg()[0].toFixed(1)}`);
console.log(`  receiver thread -> main thread, cloned  ${median(hops.cloned).toFixed(2)} ms (includes making and filling the block)`);
console.log(`  receiver thread -> main thread, moved   ${median(hops.moved).toFixed(2)} ms (includes making and filling the block)`);
console.log(`  main thread -> task thread, cloned      ${median(reads.cloned).toFixed(2)} ms (a thread started per round, included)`);
console.log(`  main thread -> task thread, copied and moved ${median(reads.moved).toFixed(2)} ms (a thread started per round, included)`);
for (const [name, xs] of lineReads) console.log(`  stored line block read by a task thread (copied, moved, decoded, cut), ${name}: ${median(xs).toFixed(2)} ms (a thread started per round, included)`);
for (const [name, xs] of replica) console.log(`  replica encoded for PutBlock, ${name}: ${median(xs).toFixed(2)} ms`);
for (const [name, xs] of roundTrip) console.log(`  replica sent and stored (PutBlock over loopback, both sides), ${name}: ${median(xs).toFixed(2)} ms`);
for (const p of pairs) p.close();
