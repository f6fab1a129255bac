// A job's first tasks (not a test): how long each worker's first task of a fresh job takes, and when
// run 0 ends, on a LocalCluster (driver here + 2 workers x `cores`) running the job
// bench/scheduler-job.ts `narrow 2000` twice (run 0 and run 1) after the spares are ready.
// Per run, from the job's submission: when the first task thread was bound to the job on a worker
// and the last (each worker's 'task thread bound to a job'), each worker's first task's own time
// (its 'first task of the job on this worker done' ms: launch to outcome, bundle and thread
// included) and its end, run 0's end (its BENCH line) and run 0's and run 1's time as the program
// measured them; then the CPU of all three processes (this one, the driver's, and the workers')
// over run 0 and over run 1, from the submission to each run's BENCH line (the workers' in 10 ms
// ticks), and this process's alone over run 0 (its threads: the driver program's, V8's compiler and
// GC helpers), and its main thread's (the scheduler, the RPCs; /proc, 10 ms ticks).
// Checkouts alternate (A B A B ...), each run in a process of its own; medians, and how many
// rounds had each checkout after the first lower than the first (perf17, bench/README).
//
// The workers' log goes to a file, read before the submission (the spares ready) and after the
// job, never while it runs: a worker at debug logs every task's start, and this process is the
// driver's, so reading those lines as they came (perf21: ~7 us of this process's CPU a line,
// readline and JSON.parse) was the driver's work in the measured runs. With `--log info` the
// workers log at info, as a user's do, so they write no line a task either (~10-13 us of a
// worker's main thread a line at debug: a child logger and a synchronous write); the spares are
// then taken as ready once the worker processes idle (as bench/scheduler.js --ready) and the two
// 'bound' columns are not known (-1).
//
//   node bench/first-tasks.js [rounds=6] [cores=2] [--log debug|info] <checkout> [checkout ...]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

if (process.argv[2] === 'one') {
  const [checkout, cores, level, logFile] = [process.argv[3], Number(process.argv[4]), process.argv[5], process.argv[6]];
  const { LocalCluster, bundleJob, createRootLogger } = await import(pathToFileURL(path.join(checkout, 'packages/cli/dist/src/index.js')).href);
  // The workers' stderr is this process's, which the bench opened on `logFile`.
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: cores, logLevel: level, log: createRootLogger('warn', { pretty: false }), workerStderr: 'inherit' });
  await cluster.start();
  const logLines = () =>
    fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l)];
        } catch {
          return []; // Not a log line (or one being written).
        }
      });
  const workersCpuMs = () =>
    cluster.workerProcesses.reduce((sum, p) => {
      // Fields after the command name: utime the 12th, stime the 13th (clock ticks of 10 ms).
      const f = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return sum + (Number(f[11]) + Number(f[12])) * 10;
    }, 0);
  const driverCpuMs = () => {
    const own = process.cpuUsage();
    return (own.user + own.system) / 1000;
  };
  const driverMainThreadCpuMs = () => {
    const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  const bundle = await bundleJob(path.join(checkout, 'bench/scheduler-job.ts'));
  if (level === 'debug') {
    // Every worker's spares ready (started with the worker).
    const ready = () => new Set(logLines().filter((l) => l.msg === 'spare task thread ready' && l.fresh === l.size).map((l) => l.workerId)).size === 2;
    for (let i = 0; i < 600 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
  } else {
    // The worker processes idle: their CPU up by at most 20 ms over 300 ms, three windows in a row (bench/scheduler.js's waitIdle).
    let quiet = 0;
    let last = workersCpuMs();
    for (let i = 0; i < 100 && quiet < 3; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const now = workersCpuMs();
      quiet = now - last <= 20 ? quiet + 1 : 0;
      last = now;
    }
  }
  const cpus = [[driverCpuMs(), workersCpuMs(), driverMainThreadCpuMs()]];
  const t0 = Date.now();
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['narrow', '2000', '0', '2'] });
  const runs = [];
  job.on('output', (l) => {
    if (!l.startsWith('BENCH ')) return;
    cpus.push([driverCpuMs(), workersCpuMs(), driverMainThreadCpuMs()]);
    runs.push({ end: Date.now() - t0, ms: Math.round(JSON.parse(l.slice(6)).ms) });
  });
  const [state] = await new Promise((r) => job.once('end', (...a) => r(a)));
  await cluster.stop();
  if (state !== 'succeeded' || runs.length !== 2) throw new Error(`the job ended ${state}`);
  const after = logLines().filter((l) => l.time >= t0);
  const first = after.filter((l) => l.msg === 'first task of the job on this worker done');
  const bound = after.filter((l) => l.msg === 'task thread bound to a job').map((l) => l.time - t0);
  if (first.length !== 2) throw new Error(`${first.length} workers logged their first task of the job`);
  const row = {
    boundFirst: bound.length > 0 ? Math.min(...bound) : -1,
    boundLast: bound.length > 0 ? Math.max(...bound) : -1,
    firstTaskMs: Math.max(...first.map((l) => l.ms)),
    firstTaskEnd: Math.max(...first.map((l) => l.time - t0)),
    run0End: runs[0].end,
    run0: runs[0].ms,
    run1: runs[1].ms,
    cpu0: Math.round(cpus[1][0] + cpus[1][1] - cpus[0][0] - cpus[0][1]),
    cpu1: Math.round(cpus[2][0] + cpus[2][1] - cpus[1][0] - cpus[1][1]),
    driverCpu0: Math.round(cpus[1][0] - cpus[0][0]),
    driverMain0: cpus[1][2] - cpus[0][2],
  };
  console.log(`FIRST ${JSON.stringify(row)}`);
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 6);
const cores = Number(process.argv[3] ?? 2);
let rest = process.argv.slice(4);
let level = 'debug';
if (rest[0] === '--log') {
  level = rest[1];
  rest = rest.slice(2);
}
const checkouts = rest.map((c) => path.resolve(c));
if (!(rounds > 0) || !(cores > 0) || checkouts.length === 0 || !['debug', 'info'].includes(level)) {
  console.error('usage: node bench/first-tasks.js [rounds] [cores] [--log debug|info] <checkout> [checkout ...]');
  process.exit(2);
}
const keys = ['boundFirst', 'boundLast', 'firstTaskMs', 'firstTaskEnd', 'run0End', 'run0', 'run1', 'cpu0', 'cpu1', 'driverCpu0', 'driverMain0'];
const rows = new Map(checkouts.map((c) => [c, []]));
console.log(`2 workers x ${cores} cores, workers' log at ${level}; ms from the job's submission (firstTaskMs: the slower worker's first task, launch to outcome; run0/run1: as the program timed them; cpu0/cpu1: all processes' CPU over each run; driverCpu0: this process's, the driver's, over run 0; driverMain0: its main thread's)`);
console.log(`${'checkout'.padEnd(28)} load  ${keys.map((k) => k.padStart(14)).join('')}`);
for (let r = 0; r < rounds; r++) {
  for (const c of checkouts) {
    const load = os.loadavg()[0];
    const logFile = path.join(os.tmpdir(), `sluice-first-tasks-${process.pid}.log`);
    const fd = fs.openSync(logFile, 'w');
    let res;
    try {
      res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'one', c, String(cores), level, logFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', fd], maxBuffer: 64 * 1024 * 1024 });
    } finally {
      fs.closeSync(fd);
    }
    const m = /^FIRST (.*)$/m.exec(res.stdout);
    const log = fs.readFileSync(logFile, 'utf8');
    fs.rmSync(logFile, { force: true });
    if (res.status !== 0 || !m) throw new Error(`${c}: the run failed (exit ${res.status}):\n${res.stdout}${log.slice(-4000)}`);
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
