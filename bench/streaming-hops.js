// Received-block hops benchmark (not a test): the CPU a worker spends moving one received
// line block (60,000 100-byte lines, 6 MB: a 200 ms block at 300,000 lines/s) after the
// receiver cut it, in one process, measured two ways each, alternated A B A B:
//   hop:     the receiver's thread posts the block to the worker's main thread: cloned (the
//            bytes copied into the message and out of it: main before this change) or moved
//            (its ArrayBuffer transferred: socketTextStream's line blocks now);
//   replica: the block encoded for PutBlock as the replica travels (1 MiB BlockChunk
//            messages), with the Worker service's serializer of each checkout given
//            (main before: protobufjs's array copied into a Buffer; now: a Buffer over it).
// Prints CPU ms per block (process.cpuUsage of the whole process, user + system, so the
// thread's side is included), median of the rounds, with the load average.
//
//   node bench/streaming-hops.js [rounds=7] <checkout> <checkout> ...
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const ROUNDS = Number(process.argv[2] ?? 7);
const checkouts = process.argv.slice(3);
const BLOCK_BYTES = 60_000 * 100;
const BLOCKS = 20;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

async function cpuOf(f) {
  const c0 = process.cpuUsage();
  await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / BLOCKS;
}

const serializers = [];
for (const c of checkouts) {
  const core = await import(pathToFileURL(path.resolve(c, 'packages/core/dist/src/internal.js')).href);
  serializers.push({ name: c, serialize: core.loadProto().sluice.v1.Worker.service.PutBlock.requestSerialize, chunks: core.chunks });
}

const block = Buffer.alloc(BLOCK_BYTES, 98);
const hops = { cloned: [], moved: [] };
const replica = new Map(serializers.map((s) => [s.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  hops.cloned.push(await cpuOf(() => hop(false)));
  hops.moved.push(await cpuOf(() => hop(true)));
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
for (const [name, xs] of replica) console.log(`  replica encoded for PutBlock, ${name}: ${median(xs).toFixed(2)} ms`);
