// Scheduler benchmark (not a test): driver + 2 worker processes x 2 cores on loopback.
//   narrow tasks: sc.parallelize(N numbers, N partitions).count() — tasks/s, and the driver's
//                 CPU per task (this process's CPU time over the job: less sensitive to
//                 other load on the machine than tasks/s)
//   cached tasks: the same 2,000 partitions cached (the warm-up run computes them), each run a
//                 count of a map of them: tasks that prefer the worker holding their block
//   shuffle: M map tasks x R reduce partitions (every map task writes to every reduce
//            partition), then R reduce tasks — the two stages' time, and the CPU time the
//            driver process and the worker processes spent on them (user + system, from
//            /proc: steadier than wall time on a shared machine), measured by the job per run
// Each figure is the median of `repeats` runs on one running cluster (after one warm-up);
// shuffles of 1,000 x 1,000 and more run once. Narrow tasks: the median of the job's first 3
// timed runs, and (warm) of its last 3.
//
//   node bench/scheduler.js [repeats=5] [workers=2] [cores=2] [parts=narrow,shuffle200,shuffle2000] [worker options...]
// (parts also: cached; fair: narrow's 2,000 tasks as two concurrent actions of 1,000 in FAIR pools 'a' and 'b')
// A part `shuffleN` is an N x N shuffle (shuffle200, shuffle1000, shuffle2000, ...). Worker
// options after the parts go to every `sluice worker` (e.g. --task-threads 2).
//
// Checkouts compared, alternated (A B A B ...), each run in a process of its own with this
// script over that checkout's build: tasks/s and driver and workers' CPU per task for each
// run, the load average beside it, and the medians per checkout:
//   node bench/scheduler.js compare <rounds> <workers> <cores> <checkout> <checkout> ...
// (e.g. `git worktree add /tmp/base <commit>` + `bash scripts/setup.sh` there.) A checkout
// may be followed by worker options after commas: `.,--cores,8,--task-threads,4`, and then by
// Node options after plus signs for the bench's process (the driver) and the worker processes
// (their task threads share them): `.+--always-sparkplug` (so a checkout path holds no `+`).
// `--part cached` before the checkouts runs the cached part instead of narrow (a checkout's
// bench/scheduler-job.ts must know it). `--ready` before the checkouts submits each job once the
// workers' spare task threads have loaded Sluice (the worker processes idle: see waitIdle), not
// right after the cluster's start: run 0 then shows a job's start on a ready cluster (perf19;
// SLUICE_BENCH_READY=1 outside compare); `<checkout>,--ready` does so for that checkout only,
// to set both beside each other (`compare 6 2 4 . .,--ready`). `<checkout>,--prior-job` (or
// SLUICE_BENCH_PRIOR_JOB=1 outside compare) first runs a job of another bundle (the same code, another
// sha256: 6 runs of narrow's 2,000 tasks) and waits for the workers to idle again: the measured job
// then meets warm main threads (the workers' and the driver's) and fresh spare task threads, what
// a full warm-up of the main threads' path would give (bench/README, perf38); `<checkout>,--prior-job-same`
// (SLUICE_BENCH_PRIOR_JOB=same) runs it of the same bundle, whose threads the measured job then takes,
// warm too. `--repeats N` before the checkouts runs N timed runs a job (3 by default): the first runs of
// a job pay its warm-up (spare threads still loading, V8 compiling the same code in each of the
// workers' isolates); the median of the last 3 runs is printed beside as the warm figure, what a
// standing cluster's later jobs and a long job's later stages see. Beside them, the CPU of all
// processes (driver + workers, every thread) a task over the first 3 runs and over the last 3,
// read at each run's end: the first runs' extra CPU is V8 warming up (bench/README, sixth round);
// and over the warm-up run and the first 3 together (runs 0-3: V8's compiling moves between the
// warm-up and runs 1-3 with the warm-up's length, so a change that shortens it can raise the
// first runs' figure; bench/README, fourteenth round).
// And run 0's wall from the job's submission to its first run's end (the program's start, the
// workers binding task threads and importing the bundle, run 0's tasks) and that run's CPU (since perf17).
// Node options for the worker processes (e.g. to profile them and their task threads):
//   SLUICE_BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node --cpu-prof bench/scheduler.js 12 2 4 narrow
// SLUICE_BENCH_THREADS=1 (in either mode) also splits all processes' CPU a task over the first 3 runs and the last 3 by
// thread: the driver's main thread, its job thread, its helpers (V8's compiling and GC, libuv); the workers' main threads,
// their task threads, their helpers (/proc/<pid>/task at each run's end; bench/thread-mark.cjs, preloaded into every process
// and thread, names the JavaScript threads; a thread that exits before a run's end drops out of that run).
// SLUICE_BENCH_MARKS=1 prints the monotonic clock at the job's submission and at each run's end (and the driver's pid) on
// standard error, to cut a `perf record -k CLOCK_MONOTONIC` of the run by run: bench/perf-runs.js.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === 'compare') {
  const [rounds, workers, cores] = process.argv.slice(3, 6).map(Number);
  let checkouts = process.argv.slice(6);
  let repeats = 3;
  let part = 'narrow';
  let ready = false;
  for (;;) {
    if (checkouts[0] === '--ready') {
      ready = true;
      checkouts = checkouts.slice(1);
      continue;
    }
    if (checkouts[0] === '--repeats') repeats = Number(checkouts[1]);
    else if (checkouts[0] === '--part') part = checkouts[1];
    else break;
    checkouts = checkouts.slice(2);
  }
  if (!(rounds > 0) || !(workers > 0) || !(cores > 0) || !(repeats >= 3) || !['narrow', 'cached', 'fair'].includes(part) || checkouts.length === 0) {
    console.error('usage: node bench/scheduler.js compare <rounds> <workers> <cores> [--repeats N>=3] [--part narrow|cached|fair] [--ready] <checkout> [checkout ...]');
    process.exit(2);
  }
  const rows = new Map(checkouts.map((c) => [c, []]));
  console.log(`${part}: ${repeats} timed runs of 2,000 tasks a job after one warm-up; tasks/s: the median of the job's first 3, warm: of its last 3${ready ? "; each job submitted once the workers' spare threads are ready (--ready)" : ''}`);
  console.log('checkout                         load   tasks/s      warm   driver CPU/task   workers CPU/task   all CPU/task first  warm   runs 0-3   run 0: wall    CPU');
  for (let r = 0; r < rounds; r++) {
    for (const c of checkouts) {
      const load = os.loadavg()[0];
      const [spec, ...nodeArgs] = c.split('+');
      const [dir, ...options] = spec.split(',');
      // `--ready` and `--prior-job` among a checkout's options are the bench's, not the workers'.
      const workerArgs = options.filter((o) => o !== '--ready' && o !== '--prior-job' && o !== '--prior-job-same');
      const priorHere = options.includes('--prior-job-same') ? 'same' : options.includes('--prior-job') ? '1' : undefined;
      const readyHere = ready || options.includes('--ready');
      const nodeEnv = nodeArgs.length > 0 ? { SLUICE_BENCH_WORKER_NODE_ARGS: [process.env.SLUICE_BENCH_WORKER_NODE_ARGS ?? '', ...nodeArgs].join(' ').trim() } : {};
      const threadDir = process.env.SLUICE_BENCH_THREADS === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-threads-')) : undefined;
      const res = spawnSync(process.execPath, [...nodeArgs, fileURLToPath(import.meta.url), String(repeats), String(workers), String(cores), part, ...workerArgs], {
        env: { ...process.env, ...nodeEnv, ...(threadDir !== undefined ? threadEnv(threadDir) : {}), SLUICE_BENCH_CHECKOUT: path.resolve(dir), ...(readyHere ? { SLUICE_BENCH_READY: '1' } : {}), ...(priorHere !== undefined ? { SLUICE_BENCH_PRIOR_JOB: priorHere } : {}) },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const m = /: ([\d,]+) tasks\/s .*warm ([\d,]+) tasks\/s.*driver CPU ([\d.]+) ms per task, workers' CPU ([\d.]+) ms per task; all CPU ([\d.]+) ms per task first, ([\d.]+) warm/.exec(res.stdout);
      if (res.status !== 0 || !m) throw new Error(`${c}: the bench failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
      const num = (x) => Number(x.replace(/,/g, ''));
      const start = /runs 0-3 ([\d.]+) ms per task/.exec(res.stdout);
      const run0 = /run 0 (\d+) ms from submission, CPU (\d+) ms/.exec(res.stdout);
      const row = { load, tps: num(m[1]), warm: num(m[2]), driver: Number(m[3]), workers: Number(m[4]), cpuFirst: Number(m[5]), cpuWarm: Number(m[6]), cpuStart: start ? Number(start[1]) : NaN, run0: run0 ? Number(run0[1]) : NaN, run0Cpu: run0 ? Number(run0[2]) : NaN };
      if (threadDir !== undefined) fs.rmSync(threadDir, { recursive: true, force: true });
      const threads = /^  threads: (.*)$/m.exec(res.stdout);
      row.threads = threads ? threads[1] : undefined;
      rows.get(c).push(row);
      console.log(`${c.padEnd(32)} ${row.load.toFixed(1).padStart(5)} ${String(row.tps).padStart(9)} ${String(row.warm).padStart(9)} ${row.driver.toFixed(3).padStart(11)} ms ${row.workers.toFixed(3).padStart(14)} ms ${row.cpuFirst.toFixed(3).padStart(14)} ${row.cpuWarm.toFixed(3).padStart(6)} ms ${row.cpuStart.toFixed(3).padStart(9)} ms ${String(row.run0).padStart(6)} ms ${String(row.run0Cpu).padStart(6)} ms`);
      if (row.threads !== undefined) console.log(`  threads: ${row.threads}`);
    }
  }
  for (const [c, rs] of rows) {
    console.log(`median ${c}: ${median(rs.map((x) => x.tps))} tasks/s (warm ${median(rs.map((x) => x.warm))}), driver ${median(rs.map((x) => x.driver)).toFixed(3)} ms, workers ${median(rs.map((x) => x.workers)).toFixed(3)} ms per task, all CPU ${median(rs.map((x) => x.cpuFirst)).toFixed(3)} ms a task first, ${median(rs.map((x) => x.cpuWarm)).toFixed(3)} warm, ${median(rs.map((x) => x.cpuStart)).toFixed(3)} over runs 0-3, run 0 ${median(rs.map((x) => x.run0))} ms from submission (CPU ${median(rs.map((x) => x.run0Cpu))} ms) (load ${Math.min(...rs.map((x) => x.load)).toFixed(1)}-${Math.max(...rs.map((x) => x.load)).toFixed(1)})`);
  }
  for (const [c, rs] of rows) {
    const parsed = rs.filter((x) => x.threads !== undefined).map((x) => Object.fromEntries(x.threads.split(', ').map((kv) => { const m = /^(.*) ([\d.]+)\/([\d.]+)$/.exec(kv); return [m[1], [Number(m[2]), Number(m[3])]]; })));
    if (parsed.length > 0) console.log(`median ${c} by thread, us of CPU a task first/warm: ${Object.keys(parsed[0]).map((k) => `${k} ${median(parsed.map((p) => p[k][0])).toFixed(0)}/${median(parsed.map((p) => p[k][1])).toFixed(0)}`).join(', ')}`);
  }
  process.exit(0);
}

/** The environment that has every process and thread of a run mark its JavaScript threads in `dir` (SLUICE_BENCH_THREADS=1). */
function threadEnv(dir) {
  return { SLUICE_BENCH_THREAD_DIR: dir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(here, 'thread-mark.cjs')}`.trim() };
}

// SLUICE_BENCH_THREADS=1 outside compare: run again with every thread marking itself (its workers and threads inherit the environment).
if (process.env.SLUICE_BENCH_THREADS === '1' && process.env.SLUICE_BENCH_THREAD_DIR === undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-threads-'));
  const res = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { env: { ...process.env, ...threadEnv(dir) }, stdio: 'inherit' });
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(res.status ?? 1);
}

// The checkout whose build runs (compare mode sets it; this one by default).
const checkout = process.env.SLUICE_BENCH_CHECKOUT ?? path.dirname(here);
const { LocalCluster, bundleJob, createRootLogger } = await import(pathToFileURL(path.join(checkout, 'packages/cli/dist/src/index.js')).href);
const REPEATS = Number(process.argv[2] ?? 5);
const WORKERS = Number(process.argv[3] ?? 2);
const CORES = Number(process.argv[4] ?? 2);
const PARTS = (process.argv[5] ?? 'narrow,shuffle200,shuffle2000').split(',');

const log = createRootLogger('warn', { pretty: false });
const workerNodeArgs = process.env.SLUICE_BENCH_WORKER_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
const cluster = new LocalCluster({ workers: WORKERS, coresPerWorker: CORES, logLevel: 'warn', log, workerArgs: process.argv.slice(6), ...(workerNodeArgs.length > 0 ? { workerExecArgv: workerNodeArgs } : {}) });
const bundle = await bundleJob(path.join(checkout, 'bench/scheduler-job.ts'));

/** The driver's CPU (this process: scheduler, gRPC, the job's thread) over the last run() call, ms. */
let lastCpuMs = 0;
/** The worker processes' CPU (user + system, every thread) over the last run() call, ms. */
let lastWorkerCpuMs = 0;

/** CPU time of the worker processes so far (ms), from /proc (0 where there is none). */
function workersCpuMs() {
  let ticks = 0;
  for (const p of cluster.workerProcesses) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const f = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // Not Linux, or the process is gone.
    }
  }
  return ticks * 10;
}

/** CPU of the driver and the workers (ms) at the end of each run of the last run() call: the first is at the job's submission. */
let lastRunCpuMs = [];
/** Wall ms from the job's submission to its first run's end (its program's start, the threads' binding, run 0). */
let lastRun0WallMs = NaN;

/** The CPU (ms) of each kind of thread of the driver and the workers so far (SLUICE_BENCH_THREADS=1), from /proc/<pid>/task. */
function threadCpuMs() {
  const dir = process.env.SLUICE_BENCH_THREAD_DIR;
  const js = new Set(fs.readdirSync(dir).filter((t) => !t.startsWith('.') && fs.readFileSync(path.join(dir, t), 'utf8') === 'thread')); // not a mark being written
  const out = {};
  for (const [who, pid] of [['driver', process.pid], ...cluster.workerProcesses.map((p) => ['workers', p.pid])]) {
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const kind = `${who} ${Number(tid) === pid ? 'main' : js.has(tid) ? (who === 'driver' ? 'job thread' : 'task threads') : 'helpers'}`;
        out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) * 10;
      } catch {
        // The thread exited meanwhile.
      }
    }
  }
  return out;
}
/** threadCpuMs() at the job's submission and at each run's end (SLUICE_BENCH_THREADS=1). */
const threadCpuByRun = [];

function allCpuMs() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000 + workersCpuMs();
}

/** A line for bench/perf-runs.js: on standard error, or with SLUICE_BENCH_MARKS=stdout on standard output (beside --trace-opt's lines, in order). */
function mark(text) {
  (process.env.SLUICE_BENCH_MARKS === 'stdout' ? console.log : console.error)(`MARK ${text}`);
}
if (process.env.SLUICE_BENCH_MARKS) mark(`driver pid ${process.pid}`);

async function run(args, job0 = bundle, measured = true) {
  const cpu0 = process.cpuUsage();
  const workers0 = workersCpuMs();
  lastRunCpuMs = [allCpuMs()];
  threadCpuByRun.length = 0;
  if (process.env.SLUICE_BENCH_THREAD_DIR) threadCpuByRun.push(threadCpuMs());
  const submitted = performance.now();
  lastRun0WallMs = NaN;
  // The job's first tasks (its run 0) begin here: bench/perf-runs.js cuts them from this mark to the first run's end.
  if (process.env.SLUICE_BENCH_MARKS && measured) mark(`job submit ${process.hrtime.bigint()}`);
  const job = cluster.driver.submit({ name: job0.name, code: job0.code, sourceMap: job0.sourceMap, args });
  const lines = [];
  job.on('output', (l) => {
    lines.push(l);
    // Read as each run's line arrives (a few ms after the run ends: the job's output is streamed).
    if (l.startsWith('BENCH ')) {
      if (Number.isNaN(lastRun0WallMs)) lastRun0WallMs = performance.now() - submitted;
      lastRunCpuMs.push(allCpuMs());
      if (process.env.SLUICE_BENCH_THREAD_DIR) threadCpuByRun.push(threadCpuMs());
      // The monotonic clock (perf's -k CLOCK_MONOTONIC, --cpu-prof's) at each run's end, to cut profiles by run (bench/perf-runs.js).
      if (process.env.SLUICE_BENCH_MARKS && measured) mark(`run end ${process.hrtime.bigint()}`);
    }
  });
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}\n${err?.stack}`);
  const cpu = process.cpuUsage(cpu0);
  lastCpuMs = (cpu.user + cpu.system) / 1000;
  lastWorkerCpuMs = workersCpuMs() - workers0;
  return lines.filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6)));
}

/**
 * Resolves once the worker processes have been idle (their CPU, every thread, up by at most
 * 20 ms over 300 ms, three windows in a row; /proc's ticks are 10 ms): their spare task threads
 * have loaded Sluice's thread bundle (what bench/first-tasks.js waits for from the workers'
 * debug log, which would cost every task a log line here). Gives up after 30 s. Returns the wait, ms.
 */
async function waitIdle() {
  const t0 = performance.now();
  let quiet = 0;
  let last = workersCpuMs();
  while (quiet < 3 && performance.now() - t0 < 30_000) {
    await new Promise((r) => setTimeout(r, 300));
    const now = workersCpuMs();
    quiet = now - last <= 20 ? quiet + 1 : 0;
    last = now;
  }
  return performance.now() - t0;
}

await cluster.start();
const out = [];
if (process.env.SLUICE_BENCH_READY === '1') out.push(`  spare task threads ready (the workers idle) ${(await waitIdle()).toFixed(0)} ms after the cluster's start`);
if (process.env.SLUICE_BENCH_PRIOR_JOB === '1' || process.env.SLUICE_BENCH_PRIOR_JOB === 'same') {
  // Another sha256, so the measured job gets no thread of this one (a thread serves later jobs of its own bundle only); or the same.
  const same = process.env.SLUICE_BENCH_PRIOR_JOB === 'same';
  const prior = same ? bundle : { ...bundle, name: `${bundle.name}-prior`, code: Buffer.concat([bundle.code, Buffer.from('\n// a prior job of another bundle (bench/scheduler.js --prior-job)\n')]) };
  const t0 = performance.now();
  const runs = await run(['narrow', '2000', '0', '6'], prior, false);
  if (runs.length !== 6 || runs.some((r) => r.result !== 2000)) throw new Error(`the prior job's counts: ${runs.map((r) => r.result).join(', ')}, expected 6 of 2000`);
  out.push(`  a prior job of ${same ? 'the same' : 'another'} bundle (6 runs of 2,000 tasks) took ${(performance.now() - t0).toFixed(0)} ms; the workers idle again ${(await waitIdle()).toFixed(0)} ms after it`);
}
try {
  for (const [kind, n] of PARTS.filter((p) => p === 'narrow' || p === 'cached' || p === 'fair').map((p) => [p, 2000])) {
    const runs = (await run([kind, String(n), '0', String(REPEATS + 1)])).slice(1);
    for (const r of runs) if (r.result !== n) throw new Error(`${kind} count ${r.result}, expected ${n}`);
    // The job's first timed runs (what the bench always reported) and its last three (warm).
    const ms = median(runs.slice(0, 3).map((r) => r.ms));
    const warmMs = median(runs.slice(-3).map((r) => r.ms));
    // The warm-up run included: the driver's CPU per task over every task of the job.
    const cpuPerTask = lastCpuMs / (n * (REPEATS + 1));
    const workerCpuPerTask = lastWorkerCpuMs / (n * (REPEATS + 1));
    // All processes' CPU a run (the warm-up first), and a task's over the first 3 timed runs and the last 3.
    const runCpu = lastRunCpuMs.slice(1).map((c, i) => c - lastRunCpuMs[i]);
    const timedCpu = runCpu.slice(1);
    const cpuFirst = (timedCpu.slice(0, 3).reduce((a, b) => a + b, 0) / (3 * n)).toFixed(3);
    const cpuWarm = (timedCpu.slice(-3).reduce((a, b) => a + b, 0) / (3 * n)).toFixed(3);
    // The warm-up run and the first 3 together: V8's compiling that runs beside a long warm-up lands in runs 1-3 after a short one (bench/README, fourteenth round).
    const cpuStart = (runCpu.slice(0, 4).reduce((a, b) => a + b, 0) / (4 * n)).toFixed(3);
    if (threadCpuByRun.length > 4) {
      // us of CPU a task by kind of thread, over timed runs 1-3 and the last 3.
      const over = (a, b, k) => ((threadCpuByRun[b][k] ?? 0) - (threadCpuByRun[a][k] ?? 0)) * 1000 / ((b - a) * n);
      const last = threadCpuByRun.length - 1;
      const kinds = ['driver main', 'driver job thread', 'driver helpers', 'workers main', 'workers task threads', 'workers helpers'];
      out.push(`  threads: ${kinds.map((k) => `${k} ${over(1, 4, k).toFixed(0)}/${over(last - 3, last, k).toFixed(0)}`).join(', ')}`);
      out.push(`  CPU a run by thread, ms (run 0 first): ${kinds.map((k) => `${k} ${threadCpuByRun.slice(1).map((t, i) => (t[k] ?? 0) - (threadCpuByRun[i][k] ?? 0)).join(' ')}`).join('; ')}`);
    }
    out.push(
      `  ${kind}, ${n.toLocaleString('en-US')} one-record tasks${kind === 'cached' ? ' over cached partitions' : kind === 'fair' ? ' under FAIR (two actions of 1,000 at once, pools a and b)' : ''}: ${Math.round((n / ms) * 1000).toLocaleString('en-US')} tasks/s (${ms.toFixed(0)} ms), warm ${Math.round((n / warmMs) * 1000).toLocaleString('en-US')} tasks/s (${warmMs.toFixed(0)} ms; runs ${runs.map((r) => r.ms.toFixed(0)).join(' ')}); driver CPU ${cpuPerTask.toFixed(3)} ms per task, workers' CPU ${workerCpuPerTask.toFixed(3)} ms per task; all CPU ${cpuFirst} ms per task first, ${cpuWarm} warm (CPU a run, ms: ${runCpu.map((c) => c.toFixed(0)).join(' ')}); runs 0-3 ${cpuStart} ms per task; run 0 ${lastRun0WallMs.toFixed(0)} ms from submission, CPU ${runCpu[0].toFixed(0)} ms`,
    );
  }
  for (const n of PARTS.filter((p) => /^shuffle\d+$/.test(p)).map((p) => Number(p.slice('shuffle'.length)))) {
    const [m, r] = [n, n];
    // 1,000 x 1,000 and more run once (a warm-up would double a long run).
    const big = m >= 1000;
    // The job measures each run's CPU: its own process's (the driver's) and the workers' (by pid).
    const pids = cluster.workerProcesses.map((c) => String(c.pid));
    const all = await run(['shuffle', String(m), String(r), String(big ? 1 : REPEATS + 1), ...pids]);
    const runs = big ? all : all.slice(1);
    for (const x of runs) if (x.result !== r) throw new Error(`shuffle gave ${x.result} keys, expected ${r}`);
    const ms = median(runs.map((x) => x.ms));
    const cpu = median(runs.map((x) => x.cpuMs));
    out.push(
      `  shuffle ${m} x ${r} (map stage + reduce stage, ${(m * r).toLocaleString('en-US')} segments): ${(ms / 1000).toFixed(2)} s, CPU ${(cpu / 1000).toFixed(2)} s (runs ${runs.map((x) => `${(x.ms / 1000).toFixed(2)}/${(x.cpuMs / 1000).toFixed(2)}`).join(' ')}; wall/CPU s)`,
    );
  }
} finally {
  await cluster.stop();
}
console.log(`scheduler, driver + ${WORKERS} workers x ${CORES} cores, median of ${REPEATS} runs after one warm-up (1,000 x 1,000 and larger: one run)`);
for (const l of out) console.log(l);
