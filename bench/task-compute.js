// Task-thread benchmark (not a test): the CPU a task spends on the records of the word count,
// in one process, with nothing around it (no cluster, no messages): core's runTask over the
// map stage of bench/wordcount-job.ts and bench/streaming-job.ts,
//   textFile(file).flatMap(split(' ')).map([w, 1]).reduceByKey(+)   (map side: combine + shuffle write)
//   a received line block, the same chain                            (streaming's map side)
// against the hand-written loop over the same lines in the same process (split, count in a
// Map: what bench/wordcount-baseline.js does per line). Prints CPU ns per line (user + system,
// process.cpuUsage), median of rounds alternated between the checkouts given (each one's
// built packages/core/dist), and checks every checkout's combined counts against the loop's.
//
//   node bench/task-compute.js [rounds=5] [lines=400000] [CHECKOUT...]   (default: this checkout)
//   node --cpu-prof --cpu-prof-dir=DIR bench/task-compute.js 3 400000    (a profile of it)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLines } from './lines.js';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 5);
const LINES = Number(process.argv[3] ?? 400_000);
const CHECKOUTS = process.argv.length > 4 ? process.argv.slice(4) : [path.dirname(here)];
const REDUCES = 8;
const BLOCK_LINES = 20_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-task-'));
const file = path.join(tmp, 'lines.txt');
const text = makeLines(LINES);
fs.writeFileSync(file, text);

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** The hand-written loop over the same lines: split, count in a Map. */
function loop() {
  const counts = new Map();
  const lines = text.toString('utf8').split('\n');
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const ws = lines[i].split(' ');
    for (let j = 0; j < ws.length; j++) {
      const w = ws[j];
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

const want = loop();

/** One checkout's core: the payloads of both map stages and a fake worker around runTask. */
async function load(checkout) {
  const core = await import(path.join(path.resolve(checkout), 'packages/core/dist/src/internal.js'));
  const evalInScope = (source) => (0, eval)(source);
  const env = {
    jobId: 'bench',
    revive: (fn) => core.reviveClosure(fn, evalInScope, () => undefined),
    fetchShuffle: async () => [],
    getCached: async () => undefined,
    putCached: () => undefined,
    getBlock: async () => ({ misses: [] }),
  };
  const node = (id, op, parents = []) => ({ id, numPartitions: 1, op, parents, shuffleParents: [], storage: 'NONE' });
  const shuffle = { shuffleId: 0, partitioner: { kind: 'hash', numPartitions: REDUCES }, aggregator: { kind: 'reduce', fn: core.captureClosure((a, b) => a + b, 'reduceByKey', 'bench') }, mapSideCombine: true };
  const chain = (source) => ({
    root: 2,
    nodes: {
      0: node(0, source),
      1: node(1, { kind: 'flatMap', fn: core.captureClosure((line) => line.split(' '), 'flatMap', 'bench') }, [0]),
      2: node(2, { kind: 'map', fn: core.captureClosure((w) => [w, 1], 'map', 'bench') }, [1]),
    },
  });
  const stat = fs.statSync(file);
  const batch = { kind: 'shuffleMap', shuffle, mapOutputs: {}, plan: chain({ kind: 'textFile', splits: [{ file, start: 0, end: stat.size }] }) };
  // The streaming side: the same lines as received line blocks, one task per block.
  const blocks = [];
  const all = text;
  let at = 0;
  for (let n = 0; at < all.length; n++) {
    let end = at;
    for (let k = 0; k < BLOCK_LINES && end < all.length; k++) end = all.indexOf(10, end) + 1;
    blocks.push(core.encodeLineBlock([all.subarray(at, end)], end - at));
    at = end;
  }
  const blockEnv = { ...env, getBlock: async (id) => ({ data: blocks[Number(id)] }) };
  const stream = { kind: 'shuffleMap', shuffle, mapOutputs: {}, plan: chain({ kind: 'blocks', blocks: blocks.map((_, i) => ({ blockId: String(i), locations: [] })) }) };
  /** The combined counts a map output holds, summed over its reduce segments. */
  const counts = (outputs) => {
    const m = new Map();
    for (const o of outputs) {
      for (let r = 0; r < REDUCES; r++) {
        const { start, end } = core.segmentRange(o.output.index, r);
        for (const frame of core.splitFrames(o.output.data.subarray(start, end))) for (const [w, n] of core.decodeShuffleFrame(frame)) m.set(w, (m.get(w) ?? 0) + n);
      }
    }
    return m;
  };
  return {
    batch: async () => counts([await core.runTask(batch, 0, env)]),
    stream: async () => {
      const outs = [];
      for (let i = 0; i < blocks.length; i++) outs.push(await core.runTask(stream, i, blockEnv));
      return counts(outs);
    },
  };
}

function same(what, got) {
  if (got.size !== want.size) throw new Error(`${what}: ${got.size} distinct words, the loop counted ${want.size}`);
  for (const [w, n] of want) if (got.get(w) !== n) throw new Error(`${what}: '${w}' counted ${got.get(w)}, the loop ${n}`);
}

const runs = [];
for (const c of CHECKOUTS) runs.push({ name: c, ...(await load(c)), batchNs: [], streamNs: [] });
const loopNs = [];
const perLine = (ms) => (ms * 1e6) / LINES;
try {
  // One warm-up round (JIT), not counted.
  for (let round = -1; round < ROUNDS; round++) {
    let t = cpuMs();
    loop();
    if (round >= 0) loopNs.push(perLine(cpuMs() - t));
    for (const r of runs) {
      t = cpuMs();
      const b = await r.batch();
      const tb = cpuMs() - t;
      t = cpuMs();
      const s = await r.stream();
      const ts = cpuMs() - t;
      same(`${r.name} batch`, b);
      same(`${r.name} stream`, s);
      if (round >= 0) {
        r.batchNs.push(perLine(tb));
        r.streamNs.push(perLine(ts));
      }
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
const f = (x) => x.toFixed(0).padStart(6);
console.log(`word count inside one task, ${LINES.toLocaleString('en')} lines of 100 bytes, ${REDUCES} reduce partitions; CPU ns per line, median of ${ROUNDS} rounds alternated; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`  hand-written loop (split, Map)          ${f(median(loopNs))} ns/line (each ${loopNs.map((x) => x.toFixed(0)).join(' ')})`);
for (const r of runs) {
  console.log(`  ${r.name}`);
  console.log(`    textFile -> shuffle write            ${f(median(r.batchNs))} ns/line (each ${r.batchNs.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`    line blocks -> shuffle write         ${f(median(r.streamNs))} ns/line (each ${r.streamNs.map((x) => x.toFixed(0)).join(' ')})`);
}
console.log(`(every run's combined counts equal the loop's: ${want.size} distinct words)`);
