// Start-up benchmark (not a test), two parts, each given several checkouts run alternately
// (a round runs each once) so builds are compared under the same load; medians printed.
//
// 1. `sluice run startup-job.ts`: bundling, the local cluster's start (driver + 2 worker
//    processes x 1 core), one tiny action, and the stop — what a user waits for beyond the
//    job's own work: wall time, and CPU time of the process tree (GNU time; the CLI reaps
//    its workers).
// 2. A worker's own start: `sluice worker` started against a driver already listening (one
//    driver per checkout, started first): wall time from spawn to its 'worker registered'
//    log line, and at that moment the CPU time of its main thread and of its whole process
//    (spare task threads, V8's helper threads), read from /proc.
// 3. The phases of `sluice run startup-job.ts --log-level debug`, from its log lines' times
//    (one clock, all processes) against the spawn: every worker registered; the job's
//    first action submitted (its driver program loaded and ran); the job ended (and, within
//    it, from the first task's launch to its start on the slower worker); the process
//    exited — so a change that moves work off the critical path shows even where the CPU
//    it costs does not change.
// 4. The job's bundle: CPU with the job bundle cache off and warm (checkouts that have it).
// Also the floors: `node -e 0` and `node -e "require('@grpc/grpc-js')"`.
//
//   node bench/startup.js [rounds=5] [checkout ...]     (default checkout: this one)
//   node bench/startup.js timeline [checkout]           one run's timeline, nothing else
//   node bench/startup.js flags [rounds] [checkout] VARIANT...   Node/V8 options on a worker's start
//   node bench/startup.js breakdown [rounds] [checkout ...]      where each process's CPU goes, medians
//
// flags: a local worker's start as `sluice run` spawns it (its entry, its GC options), with
// each VARIANT's options (comma-separated, `none` for none) put before them, against one
// driver already listening; variants alternated (the order reversed every other round), one
// unmeasured start of each first (a new set of V8 options gets a code cache file of its own,
// written by that start); the process's CPU at 'sluice code loaded', 'worker registered',
// 'spare task thread ready' and at its exit (SIGTERM once registered and its spare ready),
// from bench/startup-marks.cjs, medians and quartiles.
//
// The timeline: one `sluice run startup-job.ts --log-level debug` with bench/startup-marks.cjs
// preloaded in each process; every process's start, the moment Node had bootstrapped, its
// log lines and its exit, in ms from the spawn, each with the CPU that process had spent by
// then (whole process / main thread; at the exit, each thread's).
//
// breakdown: `rounds` such marked runs of each checkout (alternated); for the run process and
// the workers (both workers' figures pooled), the process's CPU by phase (Node's bootstrap; to
// 'sluice code loaded'; to 'driver listening' or 'worker registered'; to 'job ended'; to its
// exit), the same for its main thread alone (/proc's 10 ms ticks), at its exit its main
// thread's, its JavaScript thread's (the driver's job thread, a
// worker's task thread: CPU read just before it was terminated) and the rest (V8's and libuv's
// helper threads, and what /proc's 10 ms ticks leave out of each thread's figure); and the walls of the run's phases (spawn to each process's bootstrap, to the
// last worker registered, to 'job ended', to the exit seen). Medians (quartiles).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TIME_CPU, cpuOf, freePort, spawnTimed, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
if (process.argv[2] === 'timeline') {
  await timeline(path.resolve(process.argv[3] ?? path.dirname(here)));
  process.exit(0);
}
if (process.argv[2] === 'breakdown') {
  await breakdown(Number(process.argv[3] ?? 7), process.argv.length > 4 ? process.argv.slice(4).map((c) => path.resolve(c)) : [path.dirname(here)]);
  process.exit(0);
}
const ROUNDS = Number(process.argv[2] ?? 5);
const checkouts = process.argv.length > 3 ? process.argv.slice(3) : [path.dirname(here)];
const job = path.join(here, 'startup-job.ts');
// bin/sluice.js, as a user runs it (it runs the bundled command where the checkout has a fresh one).
const main = (checkout) => path.join(checkout, 'packages/cli/bin/sluice.js');

async function sluiceRun(checkout) {
  const r = await spawnTimed('/usr/bin/time', [...TIME_CPU, process.execPath, main(checkout), 'run', '--no-progress', job]);
  if (r.code !== 0 || !r.out.includes('BENCH {"count":4}')) throw new Error(`${checkout}: sluice run exited ${r.code}: ${r.out}${r.err}`);
  return { ms: r.wallMs, cpuMs: r.cpuMs ?? NaN };
}

const secret = crypto.randomBytes(16).toString('hex');
const env = { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
if (process.argv[2] === 'flags') {
  await flags(Number(process.argv[3] ?? 9), path.resolve(process.argv[4] ?? path.dirname(here)), process.argv.slice(5));
  process.exit(0);
}

async function startDriver(checkout) {
  const port = await freePort();
  const child = spawn(process.execPath, [main(checkout), 'driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('driver listening')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`${checkout}: sluice driver exited ${code}: ${err}`)));
  });
  child.stderr.resume();
  return { child, address: `127.0.0.1:${port}` };
}

function workerStart(checkout, driver) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [main(checkout), 'worker', '--driver', driver, '--log-level', 'info', '--local-dir', os.tmpdir()], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let result;
    child.stderr.on('data', (d) => {
      err += d;
      if (result || !err.includes('worker registered')) return;
      const ms = performance.now() - t0;
      result = { ms, mainCpuMs: cpuOf(child.pid, child.pid), cpuMs: cpuOf(child.pid) };
      child.kill('SIGTERM');
    });
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${checkout}: sluice worker exited ${code} before registering: ${err}`))));
  });
}

function floor(args) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, ...args], { cwd: path.join(checkouts[0], 'packages/core'), encoding: 'utf8' });
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms: performance.now() - t0, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN };
}

const fmt = (xs, key) => Math.round(median(xs.map((x) => x[key])));

console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const runs = new Map(checkouts.map((c) => [c, []]));
for (let r = 0; r < ROUNDS; r++) for (const c of checkouts) runs.get(c).push(await sluiceRun(c));
console.log(`sluice run of a one-action job (driver + 2 workers x 1 core): wall time and CPU time of the process tree (user + system), median of ${ROUNDS} alternating rounds`);
for (const [c, xs] of runs) console.log(`  ${c}: wall ${fmt(xs, 'ms')} ms, CPU ${fmt(xs, 'cpuMs')} ms (wall of each run ${xs.map((x) => Math.round(x.ms)).join(' ')})`);

/** Phases of one `sluice run --log-level debug` (ms from the spawn), from its JSON log lines. */
function phases(checkout) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [main(checkout), 'run', '--no-progress', '--log-level', 'debug', job], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const exit = Date.now() - t0;
      if (code !== 0) return reject(new Error(`${checkout}: sluice run exited ${code}: ${err.slice(-2000)}`));
      const logs = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const at = (msg) => logs.filter((l) => l.msg === msg).map((l) => l.time - t0);
      const registered = at('worker registered');
      // Each worker's first task thread: a spare that had loaded Sluice (ready) or not.
      const bound = logs.filter((l) => l.msg === 'task thread bound to a job');
      // The first task's launch by the driver to its start on the slower worker (the job's bundle on the worker's disk by then).
      const toStart = Math.max(...at('task started')) - Math.min(...at('launching task'));
      resolve({ registered: Math.max(...registered), action: at('action submitted')[0], ended: at('job ended')[0], exit, toStart, readySpares: bound.filter((l) => l.ready === true).length, bound: bound.length });
    });
  });
}
const phaseRuns = new Map(checkouts.map((c) => [c, []]));
for (let r = 0; r < ROUNDS; r++) for (const c of checkouts) phaseRuns.get(c).push(await phases(c));
console.log(`phases of sluice run --log-level debug (ms from the spawn; job end to exit is the stop), median of ${ROUNDS} alternating rounds`);
for (const [c, xs] of phaseRuns) {
  const stop = xs.map((x) => ({ stop: x.exit - x.ended }));
  const job = xs.map((x) => ({ job: x.ended - x.action }));
  const ready = xs.reduce((n, x) => n + x.readySpares, 0);
  const bound = xs.reduce((n, x) => n + x.bound, 0);
  console.log(`  ${c}: workers registered ${fmt(xs, 'registered')}, first action submitted ${fmt(xs, 'action')}, job ended ${fmt(xs, 'ended')} (action to end ${fmt(job, 'job')}; a task's launch to its start on the slower worker ${fmt(xs, 'toStart')}), exited ${fmt(xs, 'exit')} (stop ${fmt(stop, 'stop')}); first task threads already loaded (ready spares): ${ready} of ${bound}`);
}

const drivers = new Map();
try {
  for (const c of checkouts) drivers.set(c, await startDriver(c));
  const starts = new Map(checkouts.map((c) => [c, []]));
  for (let r = 0; r < ROUNDS; r++) for (const c of checkouts) starts.get(c).push(await workerStart(c, drivers.get(c).address));
  console.log(`a worker's start (sluice worker, 1 core, driver already listening): spawn to 'worker registered', median of ${ROUNDS} alternating rounds`);
  for (const [c, xs] of starts) {
    console.log(`  ${c}: wall ${fmt(xs, 'ms')} ms, main thread CPU ${fmt(xs, 'mainCpuMs')} ms, process CPU ${fmt(xs, 'cpuMs')} ms (wall of each ${xs.map((x) => Math.round(x.ms)).join(' ')})`);
  }
} finally {
  for (const d of drivers.values()) d.child.kill('SIGTERM');
}
// 4. The job's bundle alone (checkouts with the job bundle cache): CPU of a process that
//    has loaded core (as the CLI has) and then bundles startup-job.ts with the cache off
//    (esbuild loaded, its service started) or takes it from a warm cache, less the same
//    process that only loads core.
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'startup-bench-cache-'));
try {
  for (const c of checkouts) {
    const cacheModule = path.resolve(c, 'packages/cli/dist/src/job-bundle-cache.js');
    if (!fs.existsSync(cacheModule)) continue;
    const script = `await import(${JSON.stringify(path.resolve(c, 'packages/core/dist/src/internal.js'))});
const m = await import(${JSON.stringify(cacheModule)});
if (process.env.MODE !== 'none' && (await m.cachedBundleJob(${JSON.stringify(job)})).code.length < 10) throw new Error('no bundle');`;
    const once = (mode) => {
      const env = { ...process.env, MODE: mode, SLUICE_CACHE_DIR: cacheDir, SLUICE_JOB_CACHE: mode === 'off' ? '0' : '1' };
      const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, '--input-type=module', '-e', script], { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${c}: bundling failed: ${r.stderr}`);
      const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
      return { cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 };
    };
    once('warm'); // fills the cache
    const xs = { none: [], off: [], warm: [] };
    for (let r = 0; r < ROUNDS; r++) for (const mode of Object.keys(xs)) xs[mode].push(once(mode));
    console.log(`the job's bundle in ${c}: process CPU, median of ${ROUNDS} alternating: core only ${fmt(xs.none, 'cpuMs')} ms; + bundling (cache off) ${fmt(xs.off, 'cpuMs')} ms; + from the cache ${fmt(xs.warm, 'cpuMs')} ms`);
  }
} finally {
  fs.rmSync(cacheDir, { recursive: true, force: true });
}

const floors = { 'node -e 0': [], "node -e \"require('@grpc/grpc-js')\"": [] };
for (let r = 0; r < ROUNDS; r++) {
  floors['node -e 0'].push(floor(['-e', '0']));
  floors["node -e \"require('@grpc/grpc-js')\""].push(floor(['-e', "require('@grpc/grpc-js')"]));
}
console.log('floors, median of ' + ROUNDS);
for (const [k, xs] of Object.entries(floors)) console.log(`  ${k}: wall ${fmt(xs, 'ms')} ms, CPU ${fmt(xs, 'cpuMs')} ms`);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

/** One `sluice run --log-level debug startup-job.ts` of `checkout` with bench/startup-marks.cjs in each process: its marks, the spawn's and the exit's times. */
function markedRun(checkout) {
  const marksFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'startup-marks-')), 'marks.jsonl');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(checkout, 'packages/cli/bin/sluice.js'), 'run', '--no-progress', '--log-level', 'debug', path.join(here, 'startup-job.ts')], {
    env: { ...process.env, STARTUP_MARKS: marksFile, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(here, 'startup-marks.cjs')}` },
    encoding: 'utf8',
  });
  const t1 = Date.now();
  if (r.status !== 0 || !r.stdout.includes('BENCH {"count":4}')) throw new Error(`${checkout}: sluice run exited ${r.status}: ${r.stdout}${r.stderr.slice(-2000)}`);
  const marks = fs.readFileSync(marksFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  fs.rmSync(path.dirname(marksFile), { recursive: true, force: true });
  return { marks, t0, t1 };
}

/** `node bench/startup.js breakdown` (see the top). */
async function breakdown(rounds, checkouts) {
  const loads = [];
  const results = new Map(checkouts.map((c) => [c, { run: [], worker: [], wall: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const c of r % 2 === 0 ? checkouts : [...checkouts].reverse()) {
      loads.push(os.loadavg()[0]);
      const { marks, t0, t1 } = markedRun(c);
      const res = results.get(c);
      const jsThreads = new Set(marks.filter((m) => m.thread !== undefined).map((m) => m.thread));
      const byPid = new Map();
      for (const m of marks) if (m.thread === undefined) byPid.set(m.pid, [...(byPid.get(m.pid) ?? []), m]);
      const wall = { registered: -Infinity };
      for (const ms of byPid.values()) {
        const role = ms[0].role;
        if (role !== 'run' && role !== 'worker') continue;
        const at = (msg) => ms.find((m) => m.msg === msg);
        const boot = ms.find((m) => m.origin !== undefined);
        const exit = ms.find((m) => m.exit !== undefined);
        const up = at(role === 'run' ? 'driver listening' : 'worker registered');
        const ended = role === 'run' ? at('job ended') : at('first task of the job on this worker done');
        const js = exit.threads.filter((t) => jsThreads.has(t.tid)).reduce((n, t) => n + t.ms, 0);
        res[role].push({
          boot: boot.cpu,
          loaded: at('sluice code loaded').cpu - boot.cpu,
          up: up.cpu - at('sluice code loaded').cpu,
          ended: ended.cpu - up.cpu,
          exit: exit.cpu - ended.cpu,
          mBoot: boot.main,
          mLoaded: at('sluice code loaded').main - boot.main,
          mUp: up.main - at('sluice code loaded').main,
          mEnded: ended.main - up.main,
          mExit: exit.main - ended.main,
          total: exit.cpu,
          main: exit.main,
          js,
          helpers: exit.cpu - exit.main - js,
        });
        if (role === 'run') Object.assign(wall, { runBoot: boot.at - t0, ended: ended.at - t0, exit: t1 - t0 });
        else {
          wall.workerBoot = Math.max(wall.workerBoot ?? -Infinity, boot.at - t0);
          wall.registered = Math.max(wall.registered, up.at - t0);
        }
      }
      res.wall.push(wall);
    }
  }
  const q = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (f) => Math.round(s[Math.min(s.length - 1, Math.floor(f * (s.length - 1) + 0.5))]);
    return `${at(0.5)} (${at(0.25)}-${at(0.75)})`;
  };
  console.log(`where sluice run's CPU goes (startup-job.ts, driver + 2 workers x 1 core), ms of process CPU, median (quartiles) of ${rounds} marked runs a checkout, alternated; load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  for (const [c, res] of results) {
    console.log(c);
    for (const role of ['run', 'worker']) {
      const xs = res[role];
      const f = (k) => q(xs.map((x) => x[k]));
      const up = role === 'run' ? 'driver listening' : 'registered';
      const ended = role === 'run' ? 'job ended' : 'its first task done';
      console.log(`  ${role.padEnd(6)} process: bootstrap ${f('boot')}, code loaded +${f('loaded')}, ${up} +${f('up')}, ${ended} +${f('ended')}, exit +${f('exit')}; total ${f('total')} = main thread ${f('main')} + ${role === 'run' ? 'job' : 'task'} thread ${f('js')} + helpers ${f('helpers')}`);
      console.log(`  ${''.padEnd(6)} main thread: bootstrap ${f('mBoot')}, code loaded +${f('mLoaded')}, ${up} +${f('mUp')}, ${ended} +${f('mEnded')}, exit +${f('mExit')}`);
    }
    const w = (k) => q(res.wall.map((x) => x[k]));
    const tree = res.run.map((r, i) => r.total + res.worker[2 * i].total + res.worker[2 * i + 1].total);
    console.log(`  walls from the spawn: run bootstrapped ${w('runBoot')}, last worker bootstrapped ${w('workerBoot')}, last registered ${w('registered')}, job ended ${w('ended')}, exit seen ${w('exit')}; tree CPU ${q(tree)}`);
  }
}

/** One marked `sluice run` of `checkout` (see the top): its timeline, printed. */
async function timeline(checkout) {
  const { marks, t0, t1 } = markedRun(checkout);
  const shown = new Set(['sluice code loaded', 'prestarted workers', 'job bundle from the cache', 'job bundled', 'driver listening', 'spare task thread started', 'spare task thread ready', 'job bundle given by the parent process', 'fetching a job bundle from the driver', 'worker joined', 'worker registered', 'job started', 'action submitted', 'launching task', 'task started', 'first task of the job on this worker done', 'job ended']);
  const rows = [[t1 - t0, '', '', '', '', 'sluice run exited (seen by its parent)']];
  for (const m of marks) {
    if (m.thread !== undefined) rows.push([m.at - t0, '', m.pid, '', '', `JavaScript thread ${m.threadId} (tid ${m.thread}) started`]);
    else if (m.origin !== undefined) rows.push([m.origin - t0, m.role, m.pid, '', '', 'process start (V8 time origin)'], [m.at - t0, m.role, m.pid, m.cpu, m.main, 'Node bootstrapped (first JavaScript of the process)']);
    else if (m.exit !== undefined) rows.push([m.exit - t0, m.role, m.pid, m.cpu, m.main, `exit; CPU of its threads ${m.threads.filter((t) => t.ms > 0).map((t) => `${t.ms}${t.gone ? '*' : ''}`).join(' / ')} ms (*: a terminated thread's, read just before its terminate())`]);
    else if (shown.has(m.msg)) rows.push([m.at - t0, m.role, m.pid, m.cpu, m.main, m.msg]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  console.log(`timeline of sluice run startup-job.ts (${checkout}), ms from the spawn; CPU ms so far of that process / its main thread; load average ${os.loadavg()[0].toFixed(1)}`);
  for (const [t, role, pid, c, main, what] of rows) console.log(`${String(Math.round(t)).padStart(6)}  ${String(role).padEnd(6)} ${String(pid).padEnd(7)} ${String(c).padStart(5)} ${String(main ?? '').padStart(5)}  ${what}`);
}

/** `node bench/startup.js flags` (see the top): a worker's start under each variant's options. */
async function flags(rounds, checkout, variants) {
  if (variants.length === 0) variants = ['none'];
  const dist = path.join(checkout, 'packages/cli/dist');
  const entry = fs.existsSync(path.join(dist, 'sluice-entry.cjs')) ? path.join(dist, 'sluice-entry.cjs') : path.join(dist, 'src/cli-entry.js');
  const { localWorkerGcArgs, LOCAL_WORKER_MALLOC_ENV } = await import(path.join(dist, 'src/local-worker-process.js'));
  const gcArgs = localWorkerGcArgs(2, 1); // sluice run's default cluster: 2 workers x 1 core
  const marksDir = fs.mkdtempSync(path.join(os.tmpdir(), 'startup-flags-'));
  const driver = await startDriver(checkout);
  const start = (variant) =>
    new Promise((resolve, reject) => {
      const marks = path.join(marksDir, 'marks.jsonl');
      fs.rmSync(marks, { force: true });
      const options = variant === 'none' ? [] : variant.split(',');
      const child = spawn(process.execPath, [...options, ...gcArgs, entry, 'worker', '--driver', driver.address, '--cores', '1', '--log-level', 'debug', '--no-replace-spare-threads'], {
        env: { ...LOCAL_WORKER_MALLOC_ENV, ...env, STARTUP_MARKS: marks, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(here, 'startup-marks.cjs')}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      let stopping = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.stderr.on('data', (d) => {
        err += d;
        if (!stopping && err.includes('worker registered') && err.includes('spare task thread ready')) {
          stopping = true;
          child.kill('SIGTERM');
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (!stopping) return reject(new Error(`${variant}: the worker exited ${code} before registering: ${err.slice(-2000)}`));
        const ms = fs.readFileSync(marks, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.role === 'worker');
        const at = (msg) => ms.find((m) => m.msg === msg)?.cpu;
        resolve({ loaded: at('sluice code loaded'), registered: at('worker registered'), ready: at('spare task thread ready'), exit: ms.find((m) => m.exit !== undefined)?.cpu });
      });
    });
  const results = new Map(variants.map((v) => [v, []]));
  try {
    for (const v of variants) await start(v);
    for (let r = 0; r < rounds; r++) for (const v of r % 2 === 0 ? variants : [...variants].reverse()) results.get(v).push(await start(v));
  } finally {
    driver.child.kill('SIGTERM');
    fs.rmSync(marksDir, { recursive: true, force: true });
  }
  const q = (xs, key) => {
    const s = xs.map((x) => x[key]).sort((a, b) => a - b);
    return `${Math.round(median(s))} (${s[Math.floor((s.length - 1) / 4)]}-${s[Math.ceil((3 * (s.length - 1)) / 4)]})`;
  };
  console.log(`a local worker's start under other Node options (${checkout}; ${gcArgs.join(' ')} and the variant's before them), process CPU ms at each mark, median (quartiles) of ${rounds} alternated starts; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [v, xs] of results) console.log(`  ${v.padEnd(32)} code loaded ${q(xs, 'loaded')}, registered ${q(xs, 'registered')}, spare thread ready ${q(xs, 'ready')}, exit ${q(xs, 'exit')}`);
}
