// Word count benchmark (not a test). One file of N generated 100-byte lines (made in a
// temporary directory and removed at the end) counted, in the same run, by:
//   baseline       the fastest single-thread JS loop for the same work, in a process of its
//                  own (bench/wordcount-baseline.js): the file read in 1 MiB chunks, each
//                  decoded in 64 KiB pieces, split into lines, words counted in a Map;
//                  checked against the same loop over the file read whole (chunked must not
//                  be slower by more than 4%)
//   sluice         driver + 2 worker processes x 1 core: in-process (the job's time on a
//                  running local cluster) and as a whole process (`sluice run job.ts`, wall
//                  clock: bundling, the cluster's start, the job and the cluster's stop)
//   skale 1.2.2    local mode, 2 workers, one partition per file (the file cut in as many
//                  files as Sluice has partitions); installed with npm in a temp folder
//   dask           Debian's python3-distributed: LocalCluster of 2 processes x 1 thread
// Engines run round-robin (one round runs each once), figures are medians over the rounds,
// so every ratio compares runs taken under the same load. Every engine's result (distinct
// words, total words, sha256 of the sorted `word<TAB>count` lines) must equal the baseline's.
// A peer that cannot be run is reported in the table with the reason.
//
//   node bench/wordcount.js [lines=2000000] [partitions=8] [rounds=3]
//   node bench/wordcount.js [lines] [partitions] [rounds] compare CHECKOUT...
// The second form compares built checkouts (e.g. the build before a change and this one):
// each round runs the baseline once and then `sluice run` of each checkout (its own
// bin/sluice.js and bench/wordcount-job.ts), alternately; it prints each one's whole-process
// wall time and the CPU time of its process tree (GNU time), medians, and the ratios.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { TIME_CPU, spawnTimed, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const LINES = Number(process.argv[2] ?? 2_000_000);
const PARTITIONS = Number(process.argv[3] ?? 8);
const ROUNDS = Number(process.argv[4] ?? 3);
const COMPARE = process.argv[5] === 'compare' ? process.argv.slice(6) : undefined;
const SKALE_DIR = path.join(os.tmpdir(), 'sluice-bench-skale-1.2.2');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
// bin/sluice.js as a user runs it: the bundled command when it is fresh (see packages/cli/src/cli-entry.ts).
const CLI_MAIN = path.join(root, 'packages/cli/bin/sluice.js');
// SLUICE_BENCH_WORKER_ARGS: extra worker options for Sluice's runs (e.g. '--shuffle-compress', which `sluice run` takes too), to measure a setting.
const WORKER_ARGS = (process.env.SLUICE_BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-wc-'));
const file = path.join(tmp, 'lines.txt');
const partsDir = path.join(tmp, 'parts');

/** N lines of exactly 99 characters + '\n' over 1,000 distinct words, from a seeded PRNG. */
function makeData() {
  let seed = 42;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
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
  // The same lines cut into PARTITIONS files at line boundaries (skale reads one partition per file).
  fs.mkdirSync(partsDir);
  const size = fs.statSync(file).size;
  const all = fs.readFileSync(file);
  let start = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    let end = p === PARTITIONS - 1 ? size : Math.floor((size * (p + 1)) / PARTITIONS);
    while (end < size && all[end - 1] !== 0x0a) end++;
    fs.writeFileSync(path.join(partsDir, `part-${String(p).padStart(5, '0')}.txt`), all.subarray(start, end));
    start = end;
  }
}

function benchLine(text, what) {
  // The last BENCH line (a process may run twice, the first a warm-up).
  const line = text.split('\n').filter((l) => l.startsWith('BENCH ')).pop();
  if (!line) throw new Error(`${what} printed no BENCH line:\n${text.slice(-2000)}`);
  return JSON.parse(line.slice(6));
}

/** Run a command to its end; its wall time and its BENCH line. */
async function timed(cmd, args, opts, what) {
  const r = await spawnTimed(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code ?? r.signal}:\n${(r.out + r.err).slice(-3000)}`);
  return { wallMs: r.wallMs, ...(r.cpuMs === undefined ? {} : { cpuMs: r.cpuMs }), ...benchLine(r.out, what) };
}

/** skale in a temp folder of its own (npm, as its README says); undefined + reason when it cannot be installed. */
function installSkale() {
  if (fs.existsSync(path.join(SKALE_DIR, 'node_modules/skale/package.json'))) return {};
  fs.mkdirSync(SKALE_DIR, { recursive: true });
  if (!fs.existsSync(path.join(SKALE_DIR, 'package.json'))) fs.writeFileSync(path.join(SKALE_DIR, 'package.json'), '{"name":"sluice-bench-skale","private":true}\n');
  process.stderr.write(`installing skale@1.2.2 into ${SKALE_DIR} ...\n`);
  const r = spawnSync('npm', ['install', '--legacy-peer-deps', '--no-audit', '--no-fund', 'skale@1.2.2'], { cwd: SKALE_DIR, encoding: 'utf8' });
  if (r.status !== 0) return { unavailable: `npm install --legacy-peer-deps skale@1.2.2 failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}` };
  return {};
}

function checkDask() {
  const r = spawnSync(PYTHON, ['-c', 'import distributed, dask; print(distributed.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return { unavailable: `python3-distributed is not installed (apt-get install -y python3-distributed)` };
  return { version: r.stdout.trim() };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

process.stderr.write(`generating ${fmt(LINES)} lines in ${tmp} ...\n`);
makeData();
if (COMPARE) {
  await compareCheckouts(COMPARE);
  process.exit(0);
}

/** `compare` mode: the baseline and each checkout's `sluice run`, alternated; medians of wall and tree CPU. */
async function compareCheckouts(checkouts) {
  const base = [];
  const runs = new Map(checkouts.map((c) => [c, []]));
  let want;
  const same = (what, r) => {
    want ??= r;
    if (r.words !== want.words || r.digest !== want.digest) throw new Error(`results differ: ${what} ${JSON.stringify(r)} vs ${JSON.stringify(want)}`);
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1} of ${ROUNDS} (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
      const b = await timed(process.execPath, [path.join(here, 'wordcount-baseline.js'), file, 'chunked', '2'], {}, 'baseline');
      same('baseline', b);
      base.push(b.ms);
      for (const c of checkouts) {
        const r = await timed('/usr/bin/time', [...TIME_CPU, process.execPath, path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--no-progress', ...WORKER_ARGS, '--workers', '2', '--cores', '1', path.join(c, 'bench/wordcount-job.ts'), file, String(PARTITIONS)], { cwd: c }, `sluice run (${c})`);
        same(c, r);
        runs.get(c).push(r);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const baseMs = median(base);
  console.log(`word count, ${fmt(LINES)} lines, ${PARTITIONS} partitions, sluice run (driver + 2 workers x 1 core) of each checkout and the baseline alternated; median of ${ROUNDS} rounds; load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`  baseline (1 JS thread): ${fmt(baseMs)} ms (each ${base.map(fmt).join(' ')})`);
  for (const [c, xs] of runs) {
    const wall = median(xs.map((x) => x.wallMs));
    const cpu = median(xs.map((x) => x.cpuMs));
    const job = median(xs.map((x) => x.ms));
    console.log(`  ${c}: whole process ${fmt(wall)} ms wall = ${(baseMs / wall).toFixed(2)}x the baseline; the job itself ${fmt(job)} ms = ${(baseMs / job).toFixed(2)}x; tree CPU ${fmt(cpu)} ms (walls ${xs.map((x) => fmt(x.wallMs)).join(' ')})`);
  }
}
const skale = installSkale();
const dask = checkDask();

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log, workerArgs: WORKER_ARGS });
const bundle = await bundleJob(path.join(here, 'wordcount-job.ts'));

/** Each engine: its runs' figures (ms), and its results (all must equal the baseline's). */
const engines = [
  { key: 'base', name: 'baseline: 1 JS thread, 1 MiB reads, 64 KiB decodes, Map', runs: [] },
  { key: 'whole', name: 'same loop, file read whole (check)', runs: [] },
  { key: 'sluiceIn', name: 'sluice in-process (job on a running cluster)', runs: [] },
  { key: 'sluiceWhole', name: 'sluice whole process (`sluice run`, wall)', runs: [], start: [] },
  { key: 'skaleIn', name: 'skale 1.2.2 in-process (context to result)', runs: [], unavailable: skale.unavailable },
  { key: 'skaleWhole', name: 'skale 1.2.2 whole process (wall)', runs: [], unavailable: skale.unavailable },
  { key: 'daskIn', name: `dask ${dask.version ?? ''} in-process (compute on a running cluster)`.replace('  ', ' '), runs: [], unavailable: dask.unavailable },
  { key: 'daskWhole', name: `dask ${dask.version ?? ''} whole process (wall)`.replace('  ', ' '), runs: [], unavailable: dask.unavailable },
];
const byKey = Object.fromEntries(engines.map((e) => [e.key, e]));
let expected;
const check = (what, r) => {
  if (!expected) expected = r;
  if (r.words !== expected.words || r.distinct !== expected.distinct || r.digest !== expected.digest) {
    throw new Error(`results differ: ${what} ${JSON.stringify(r)} vs baseline ${JSON.stringify(expected)}`);
  }
};

async function sluiceInProcess() {
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [file, String(PARTITIONS)] });
  const lines = [];
  job.on('output', (l) => lines.push(l));
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}\n${err?.stack}`);
  return benchLine(lines.join('\n'), 'sluice job');
}

await cluster.start();
try {
  // One warm-up of the engine on the running cluster (the worker threads' code, the JIT);
  // the baseline warms up in its own process (its second run of two is taken).
  await sluiceInProcess();
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`round ${round + 1} of ${ROUNDS}\n`);
    const b = await timed(process.execPath, [path.join(here, 'wordcount-baseline.js'), file, 'chunked', '2'], {}, 'baseline');
    check('baseline', b);
    byKey.base.runs.push(b.ms);
    const w = await timed(process.execPath, [path.join(here, 'wordcount-baseline.js'), file, 'whole', '2'], {}, 'whole-file loop');
    check('whole-file loop', w);
    byKey.whole.runs.push(w.ms);
    const s = await sluiceInProcess();
    check('sluice in-process', s);
    byKey.sluiceIn.runs.push(s.ms);
    const sw = await timed(process.execPath, [CLI_MAIN, 'run', '--no-progress', ...WORKER_ARGS, '--workers', '2', '--cores', '1', path.join(here, 'wordcount-job.ts'), file, String(PARTITIONS)], { cwd: root }, 'sluice run');
    check('sluice run', sw);
    byKey.sluiceWhole.runs.push(sw.wallMs);
    if (!skale.unavailable) {
      const k = await timed(process.execPath, [path.join(here, 'wordcount-skale.cjs'), partsDir], { env: { ...process.env, SKALE_WORKERS: '2', NODE_PATH: path.join(SKALE_DIR, 'node_modules') } }, 'skale');
      check('skale', k);
      byKey.skaleIn.runs.push(k.ms);
      byKey.skaleWhole.runs.push(k.wallMs);
    }
    if (!dask.unavailable) {
      const d = await timed(PYTHON, [path.join(here, 'wordcount-dask.py'), file, '2', String(Math.ceil(fs.statSync(file).size / PARTITIONS))], {}, 'dask');
      check('dask', d);
      byKey.daskIn.runs.push(d.ms);
      byKey.daskWhole.runs.push(d.wallMs);
    }
  }
} finally {
  await cluster.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}

const baseRate = LINES / (median(byKey.base.runs) / 1000);
const mb = ((LINES * 100) / 1e6).toFixed(0);
console.log(
  `word count, ${fmt(LINES)} lines of 100 bytes (${mb} MB; ${fmt(expected.words)} words, ${expected.distinct} distinct), ${PARTITIONS} partitions, 2 workers x 1 core where the engine has workers; median of ${ROUNDS} rounds; results equal in every run (sha256 ${expected.digest.slice(0, 12)})`,
);
const width = Math.max(...engines.map((e) => e.name.length));
console.log(`  ${'engine'.padEnd(width)}  ${'lines/s'.padStart(11)}  ${'ms'.padStart(7)}  ratio to baseline`);
for (const e of engines) {
  if (e.unavailable) {
    console.log(`  ${e.name.padEnd(width)}  not run: ${e.unavailable}`);
    continue;
  }
  const ms = median(e.runs);
  const rate = LINES / (ms / 1000);
  console.log(`  ${e.name.padEnd(width)}  ${fmt(rate).padStart(11)}  ${fmt(ms).padStart(7)}  ${(rate / baseRate).toFixed(2)}x`);
}
const chunkVsWhole = median(byKey.base.runs) / median(byKey.whole.runs);
// The check is one-sided: reading in chunks must cost at most 4% more than reading whole
// (it is usually faster: one 200 MB string and its 2,000,000 lines cost the heap more).
console.log(`  baseline chunked / whole-file time: ${chunkVsWhole.toFixed(3)} (${chunkVsWhole <= 1.04 ? 'chunked is not slower by more than 4%: ok' : 'chunked is SLOWER by more than 4%'})`);
