// A job's first tasks (not a test): how long each worker's first task of a fresh job takes, and when
// run 0 ends, on a LocalCluster (driver here + 2 workers x `cores`, worker logs at debug), the job
// bench/scheduler-job.ts `narrow 2000` run twice (run 0 and run 1) after the spares are ready.
// Per run, from the job's submission: when the first task thread was bound to the job on a worker
// and the last (each worker's 'task thread bound to a job'), each worker's first task's own time
// (its 'first task of the job on this worker done' ms: launch to outcome, bundle and thread
// included) and its end, run 0's end (its BENCH line) and run 0's and run 1's time as the program
// measured them. Checkouts alternate (A B A B ...), each run in a process of its own; medians, and
// how many rounds had each checkout after the first lower than the first (perf17, bench/README).
//
//   node bench/first-tasks.js [rounds=6] [cores=2] <checkout> [checkout ...]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

if (process.argv[2] === 'one') {
  const [checkout, cores] = [process.argv[3], Number(process.argv[4])];
  const { LocalCluster, bundleJob, createRootLogger } = await import(pathToFileURL(path.join(checkout, 'packages/cli/dist/src/index.js')).href);
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: cores, logLevel: 'debug', log: createRootLogger('warn', { pretty: false }), workerStderr: 'pipe' });
  await cluster.start();
  const lines = [];
  for (const p of cluster.workerProcesses) {
    readline.createInterface({ input: p.stderr }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l));
      } catch {
        // Not a log line.
      }
    });
  }
  const bundle = await bundleJob(path.join(checkout, 'bench/scheduler-job.ts'));
  // Every worker's spares ready (started with the worker).
  const ready = () => new Set(lines.filter((l) => l.msg === 'spare task thread ready' && l.fresh === l.size).map((l) => l.workerId)).size === 2;
  for (let i = 0; i < 600 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['narrow', '2000', '0', '2'] });
  const runs = [];
  job.on('output', (l) => {
    if (l.startsWith('BENCH ')) runs.push({ end: Date.now() - t0, ms: Math.round(JSON.parse(l.slice(6)).ms) });
  });
  const [state] = await new Promise((r) => job.once('end', (...a) => r(a)));
  await cluster.stop();
  if (state !== 'succeeded' || runs.length !== 2) throw new Error(`the job ended ${state}`);
  const after = lines.filter((l) => l.time >= t0);
  const first = after.filter((l) => l.msg === 'first task of the job on this worker done');
  const bound = after.filter((l) => l.msg === 'task thread bound to a job').map((l) => l.time - t0);
  console.log(`FIRST ${JSON.stringify({ boundFirst: Math.min(...bound), boundLast: Math.max(...bound), firstTaskMs: Math.max(...first.map((l) => l.ms)), firstTaskEnd: Math.max(...first.map((l) => l.time - t0)), run0End: runs[0].end, run0: runs[0].ms, run1: runs[1].ms })}`);
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 6);
const cores = Number(process.argv[3] ?? 2);
const checkouts = process.argv.slice(4).map((c) => path.resolve(c));
if (!(rounds > 0) || !(cores > 0) || checkouts.length === 0) {
  console.error('usage: node bench/first-tasks.js [rounds] [cores] <checkout> [checkout ...]');
  process.exit(2);
}
const keys = ['boundFirst', 'boundLast', 'firstTaskMs', 'firstTaskEnd', 'run0End', 'run0', 'run1'];
const rows = new Map(checkouts.map((c) => [c, []]));
console.log(`2 workers x ${cores} cores; ms from the job's submission (firstTaskMs: the slower worker's first task, launch to outcome; run0/run1: as the program timed them)`);
console.log(`${'checkout'.padEnd(28)} load  ${keys.map((k) => k.padStart(14)).join('')}`);
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const load = os.loadavg()[0];
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'one', c, String(cores)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const m = /^FIRST (.*)$/m.exec(res.stdout);
    if (res.status !== 0 || !m) throw new Error(`${c}: the run failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
    const row = JSON.parse(m[1]);
    rows.get(c).push(row);
    console.log(`${c.slice(-28).padEnd(28)} ${load.toFixed(1).padStart(4)}  ${keys.map((k) => String(row[k]).padStart(14)).join('')}`);
  }
}
for (const [c, rs] of rows) console.log(`median ${c.slice(-28).padEnd(21)} ${keys.map((k) => String(median(rs.map((x) => x[k]))).padStart(14)).join('')}`);
const [a, ...others] = checkouts;
for (const b of others) {
  const lower = keys.map((k) => rows.get(b).filter((x, i) => x[k] < rows.get(a)[i][k]).length);
  console.log(`lower in ${b.slice(-20)} than ${a.slice(-20)}, of ${rounds} rounds: ${keys.map((k, i) => `${k} ${lower[i]}`).join(', ')}`);
}
