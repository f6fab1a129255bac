// Shuffle benchmark (not a test), comparing checkouts alternately under the same load: for
// each round, each checkout gets a fresh local cluster (driver in a child process of this
// one + 2 worker processes x 2 cores) that runs, after a 50 x 50 warm-up:
//   - an N x N shuffle: N map tasks each writing one record to each of N reduce partitions
//     (bench/scheduler-job.ts 'shuffle': N x N non-empty segments), then N reduce tasks;
//   - the same two stages with no records at all ('shuffle0': every segment empty, nothing
//     fetched): what the 2N tasks cost by themselves (scheduling, the hops to and from the
//     task threads), so that the shuffle's own work is the difference.
// A size R+S is instead the union of two such shuffles of max(R, S) map tasks each, to R and to S
// reduce partitions, counted ('union': one result stage of R + S partitions reading both).
// Reported per run: wall time of the job's stages, and CPU time (user + system) of the
// driver process and of the worker processes (from /proc), and the load average then.
// Sizes below 1,000 partitions run 3 times a cluster (the median kept); 1,000 and up once.
//
//   node bench/shuffle.js [rounds=3] [sizes=200] [checkout ...]   (default checkout: this one)
//   e.g. node bench/shuffle.js 3 200,1000 /tmp/base .    node bench/shuffle.js 5 200+50,1000+1000 /tmp/base .
// A checkout is a built clone of this repository (bash scripts/setup.sh); every checkout runs
// this checkout's bench/scheduler-job.ts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The middle value; of an even count, the mean of the two middle ones.
const load = () => os.loadavg()[0].toFixed(1);

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4].split(','));
else await parent();

async function parent() {
  const rounds = Number(process.argv[2] ?? 3);
  const sizes = (process.argv[3] ?? '200').split(',');
  const checkouts = process.argv.length > 4 ? process.argv.slice(4).map((c) => path.resolve(c)) : [path.dirname(here)];
  const results = new Map(checkouts.map((c) => [c, []]));
  console.log(`shuffle, driver + 2 workers x 2 cores, ${rounds} alternating rounds of ${checkouts.length} checkout(s); sizes ${sizes.join(', ')}`);
  for (let round = 0; round < rounds; round++) {
    for (const c of checkouts) {
      const l0 = load();
      const out = await new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', c, sizes.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        p.stdout.on('data', (d) => (s += d));
        p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(s.trim().split('\n').pop())) : reject(new Error(`${c}: exited ${code}: ${s}`))));
      });
      results.get(c).push(out);
      for (const r of out) {
        console.log(`  round ${round + 1} ${c}: ${label(r)}: wall ${fmt(r.ms)} s, CPU driver ${fmt(r.driverMs)} s + workers ${fmt(r.workersMs)} s = ${fmt(r.driverMs + r.workersMs)} s (load ${l0}-${load()})`);
      }
    }
  }
  console.log('medians over the rounds:');
  for (const [c, rs] of results) {
    for (const key of new Set(rs.flat().map(label))) {
      const xs = rs.flat().filter((r) => label(r) === key);
      console.log(`  ${c}: ${key}: wall ${fmt(median(xs.map((r) => r.ms)))} s, CPU driver ${fmt(median(xs.map((r) => r.driverMs)))} s, workers ${fmt(median(xs.map((r) => r.workersMs)))} s, total ${fmt(median(xs.map((r) => r.driverMs + r.workersMs)))} s`);
    }
  }
}

/** `shuffle 200 x 200`, or `union 200 x 200+50`. */
function label(r) {
  return `${r.kind} ${r.maps ?? r.n} x ${r.n}`;
}

function fmt(ms) {
  return (ms / 1000).toFixed(2);
}

async function child(checkout, sizes) {
  const { LocalCluster, bundleJob, createRootLogger } = await import(pathToFileURL(path.join(checkout, 'packages/cli/dist/src/index.js')).href);
  const log = createRootLogger('warn', { pretty: false });
  // SLUICE_BENCH_WORKER_ARGS: extra `sluice worker` options (e.g. '--shuffle-compress'), to measure a setting.
  const workerArgs = (process.env.SLUICE_BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean);
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: 2, logLevel: 'warn', log, workerArgs });
  const bundle = await bundleJob(path.join(here, 'scheduler-job.ts'));
  const workersCpuMs = () => {
    let ticks = 0;
    for (const p of cluster.workerProcesses) {
      const f = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks * 10;
  };
  const runJob = async (args) => {
    const cpu0 = process.cpuUsage();
    const w0 = workersCpuMs();
    const t0 = performance.now();
    const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
    const lines = [];
    job.on('output', (l) => lines.push(l));
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}\n${err?.stack}`);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const b = lines.filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6)));
    return { ms: b.length === 1 ? b[0].ms : ms, result: b[0]?.result, driverMs: (cpu.user + cpu.system) / 1000, workersMs: workersCpuMs() - w0 };
  };
  await cluster.start();
  const out = [];
  try {
    await runJob(['shuffle', '50', '50', '1']);
    for (const size of sizes) {
      // R+S: the union of two shuffles of max(R, S) maps each; N: an N x N shuffle and shuffle0.
      const parts = size.split('+').map(Number);
      const n = parts.reduce((x, y) => x + y, 0);
      const maps = Math.max(...parts);
      for (const kind of parts.length > 1 ? ['union'] : ['shuffle', 'shuffle0']) {
        const runs = [];
        for (let i = 0; i < (n >= 1000 ? 1 : 3); i++) {
          const r = await runJob([kind, String(maps), size, '1']);
          const expected = kind === 'shuffle0' ? 0 : n;
          if (r.result !== expected) throw new Error(`${kind} ${maps} x ${size} gave ${r.result} keys, expected ${expected}`);
          runs.push(r);
        }
        const mid = runs.map((r) => r.driverMs + r.workersMs);
        const pick = runs[mid.indexOf(median(mid))];
        out.push({ kind, n: size, maps, ms: pick.ms, driverMs: pick.driverMs, workersMs: pick.workersMs });
      }
    }
  } finally {
    await cluster.stop();
  }
  console.log(JSON.stringify(out));
}
