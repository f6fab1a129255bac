// Word count benchmark (not a test): N generated 100-byte lines, counted by
//   1. a plain single-process JS loop (the baseline), and
//   2. Sluice on an embedded cluster: driver + 2 worker processes with 1 core each,
// in the same run. Prints lines/s for both and their ratio.
//
//   node bench/wordcount.js [lines=1000000] [partitions=8] [repeats=3]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LINES = Number(process.argv[2] ?? 1_000_000);
const PARTITIONS = Number(process.argv[3] ?? 8);
const REPEATS = Number(process.argv[4] ?? 3);
const file = path.join(here, 'data', `lines-${LINES}.txt`);

function makeData() {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // 1,000 distinct words; each line is exactly 99 characters + '\n'.
  let seed = 42;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const vocab = Array.from({ length: 1000 }, (_, i) => 'w' + i.toString(36).padStart(3, '0'));
  const out = fs.openSync(file, 'w');
  let buf = [];
  for (let i = 0; i < LINES; i++) {
    let line = '';
    while (line.length < 95) line += (line ? ' ' : '') + vocab[Math.floor(rand() * vocab.length)];
    buf.push(line.padEnd(99, 'x'));
    if (buf.length === 10000) {
      fs.writeSync(out, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) fs.writeSync(out, buf.join('\n') + '\n');
  fs.closeSync(out);
}

function plainLoop() {
  const t0 = performance.now();
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const counts = new Map();
  for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  let words = 0;
  for (const n of counts.values()) words += n;
  return { ms: performance.now() - t0, distinct: counts.size, words };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

makeData();
const base = [];
let baseResult;
for (let i = 0; i < REPEATS; i++) {
  baseResult = plainLoop();
  base.push(baseResult.ms);
}

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log });
const engine = [];
let engineResult;
await cluster.start();
try {
  const bundle = await bundleJob(path.join(here, 'wordcount-job.ts'));
  for (let i = 0; i < REPEATS; i++) {
    const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [file, String(PARTITIONS)] });
    const lines = [];
    job.on('output', (l) => lines.push(l));
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}\n${err?.stack}`);
    engineResult = JSON.parse(lines.find((l) => l.startsWith('BENCH ')).slice(6));
    engine.push(engineResult.ms);
  }
} finally {
  await cluster.stop();
}

if (engineResult.words !== baseResult.words || engineResult.distinct !== baseResult.distinct) {
  throw new Error(`results differ: engine ${JSON.stringify(engineResult)} vs loop ${JSON.stringify(baseResult)}`);
}
const baseRate = LINES / (median(base) / 1000);
const engineRate = LINES / (median(engine) / 1000);
console.log(`word count, ${LINES.toLocaleString('en-US')} lines of 100 bytes (${baseResult.words.toLocaleString('en-US')} words, ${baseResult.distinct} distinct), median of ${REPEATS}`);
console.log(`  plain JS loop, 1 process:          ${Math.round(baseRate).toLocaleString('en-US')} lines/s  (${median(base).toFixed(0)} ms)`);
console.log(`  sluice, driver + 2 workers x 1 core: ${Math.round(engineRate).toLocaleString('en-US')} lines/s  (${median(engine).toFixed(0)} ms, ${PARTITIONS} partitions)`);
console.log(`  ratio sluice / plain loop:         ${(engineRate / baseRate).toFixed(2)}x`);
