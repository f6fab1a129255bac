// A reduce stage's fetches from one peer in one process (not a test): a peer's shuffle service
// (ShuffleStreamHandler over a resolver of M in-memory map outputs of R partitions, one
// compact [k, m] record a segment) on loopback gRPC, and another worker's ShuffleClient
// fetching every reduce partition of every map output, either
//   one    a request a partition (ShuffleClient.fetch: what a task a partition asks), or
//   range  a request a range of 8 partitions (ShuffleClient.fetchRange: a range task's),
// alternated, several rounds. CPU of this process (both ends: the client's requests and
// answers, the peer's reads and writes), which a loaded machine blurs less than a cluster's.
// Each round's answers are checked: every partition's bytes, the same both ways.
//
//   node bench/shuffle-fetch.js [M=1000] [R=2000] [rounds=5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const [M = 1000, R = 2000, rounds = 5] = process.argv.slice(2, 5).map(Number);
const RANGE = 8;
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const imp = (p) => import(pathToFileURL(path.join(root, p)).href);
const core = await imp('packages/core/dist/src/internal.js');
const { IndexShuffleBlockResolver } = await imp('packages/worker/dist/src/shuffle/index-shuffle-block-resolver.js');
const { ShuffleStreamHandler } = await imp('packages/worker/dist/src/rpc/shuffle-stream-handler.js');
const { ShuffleClient } = await imp('packages/worker/dist/src/shuffle/shuffle-client.js');
const { BlockManager } = await imp('packages/worker/dist/src/storage/block-manager.js');
const req = createRequire(path.join(root, 'packages/worker/package.json'));
const { pino } = req('pino');
const grpc = req('@grpc/grpc-js');
const log = pino({ level: 'silent' });
const cpuMs = (c0) => {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1000;
};

const dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'shuffle-fetch-')), fs.mkdtempSync(path.join(os.tmpdir(), 'shuffle-fetch-'))];
const peerBlocks = new BlockManager({ dir: dirs[0], memoryLimit: 4e9, log });
const resolver = new IndexShuffleBlockResolver(peerBlocks);
const parts = Int32Array.from({ length: R }, (_, k) => k);
for (let m = 0; m < M; m++) {
  const w = new core.MapOutputWriter(R);
  w.addRun(core.encodeRun(Array.from({ length: R }, (_, k) => [k, m]), parts, R, R));
  const out = w.finish();
  resolver.commit('j', 1, m, out.index, out.data);
}
const handler = new ShuffleStreamHandler(resolver, log);
const server = new grpc.Server();
server.addService(core.loadProto().sluice.v1.Worker.service, { ShuffleStream: (call) => handler.handle(call) });
const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
const clientBlocks = new BlockManager({ dir: dirs[1], memoryLimit: 1 << 20, log });
const client = new ShuffleClient('w1', new IndexShuffleBlockResolver(clientBlocks), { secret: '' }, log);
const places = core.placesOf(Array.from({ length: M }, () => ({ workerId: 'w2', address: `127.0.0.1:${port}` })));

/** Every partition's bytes, fetched one way; 2 requests in flight at once (a worker's 2 cores). */
async function fetchAll(mode) {
  const sizes = new Float64Array(R);
  const step = mode === 'one' ? 1 : RANGE;
  let next = 0;
  const lane = async () => {
    while (next < R) {
      const first = next;
      const count = Math.min(step, R - first);
      next += count;
      if (mode === 'one') {
        const r = await client.fetch('j', 1, first, places);
        if (!r.ok) throw new Error(r.message);
        sizes[first] = r.framed.reduce((a, b) => a + b.length, 0);
      } else {
        const r = await client.fetchRange('j', 1, first, count, places);
        if (!r.ok) throw new Error(r.message);
        r.framed.forEach((f, k) => (sizes[first + k] = f.reduce((a, b) => a + b.length, 0)));
      }
    }
  };
  await Promise.all([lane(), lane()]);
  return sizes;
}

console.log(`shuffle fetch from one peer: ${M} map outputs x ${R} reduce partitions, a request a partition (one) or a range of ${RANGE} (range), ${rounds} rounds, load ${os.loadavg()[0].toFixed(1)}`);
await fetchAll('one'); // Warm-up: the stream opened, the code optimized.
await fetchAll('range');
const figures = { one: [], range: [] };
for (let round = 0; round < rounds; round++) {
  const seen = {};
  for (const mode of round % 2 === 0 ? ['one', 'range'] : ['range', 'one']) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    seen[mode] = await fetchAll(mode);
    const ms = cpuMs(c0);
    figures[mode].push(ms);
    console.log(`  round ${round + 1} ${mode.padEnd(5)}: ${ms.toFixed(0)} ms CPU (${((1000 * ms) / R).toFixed(0)} µs a partition), wall ${(performance.now() - t0).toFixed(0)} ms`);
  }
  for (let r = 0; r < R; r++) if (seen.one[r] !== seen.range[r] || seen.one[r] === 0) throw new Error(`partition ${r}: ${seen.one[r]} bytes one way, ${seen.range[r]} the other`);
}
console.log(`medians: one ${median(figures.one).toFixed(0)} ms, range ${median(figures.range).toFixed(0)} ms CPU`);
client.close();
server.forceShutdown();
peerBlocks.close();
clientBlocks.close();
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
