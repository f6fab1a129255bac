// How `sluice run` starts its local cluster fast, and that each shortcut falls back
// correctly: cli-entry prestarts the worker processes before the command's code loads
// (adopted only when they match what the parsed command asks for; otherwise ended and
// replaced), and the driver starts its job's thread ahead (a spare bound to the first
// job only). Real processes on loopback; expected sums computed here from the input.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { WORKER_MALLOC_ENV } from '@sluice/worker';
import { bundleJob } from '../src/bundle-job.js';
import { LocalCluster } from '../src/local-cluster.js';
import { bundleLine } from '../src/local-bundle-line.js';
import { LOCAL_WORKER_MALLOC_ENV, localWorkerGcArgs, prestartLocalWorkers, prestartPlan, spawnLocalWorker, takePrestartedWorkers, type PrestartedWorkers } from '../src/local-worker-process.js';
import { CLI_BIN, CLI_DIR, REPO_DIR, fixture, processAlive, runCli, within } from './harness.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PROBE = fixture('driver-thread-probe.ts');
const CLI_ENTRY = path.join(CLI_DIR, 'dist', 'src', 'cli-entry.js');
/** Sum of x*x for x in 0..n-1, computed here. */
const squares = (n: number): number => Array.from({ length: n }, (_, i) => i * i).reduce((a, b) => a + b, 0);

interface Probe {
  job: string;
  threadId: number;
  runs: number;
  sum: number;
}
interface LogLine {
  msg: string;
  pid?: number;
  adopted?: boolean;
  workers?: number;
  jobId?: string;
  cores?: number;
}

function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function probeOf(stdout: string): Probe {
  const l = stdout.split('\n').find((x) => x.startsWith('DRIVER_PROBE '));
  assert.ok(l, `no DRIVER_PROBE line in:\n${stdout}`);
  return JSON.parse(l.slice('DRIVER_PROBE '.length)) as Probe;
}

test('the prestart reads only the run options it knows, before the job file; anything else starts nothing', () => {
  const dflt = { workers: 2, cores: 1, logLevel: 'warn', workerArgs: ['--no-replace-spare-threads'] };
  assert.deepEqual(prestartPlan(['job.ts'], {}), dflt);
  assert.deepEqual(prestartPlan(['job.ts'], { SLUICE_LOG_LEVEL: 'info' }), { ...dflt, logLevel: 'info' });
  assert.deepEqual(prestartPlan(['--workers', '3', '--cores', '2', '--log-level', 'debug', '--no-progress', '--typecheck', 'job.ts', 'a', '--workers', '9'], {}), {
    workers: 3,
    cores: 2,
    logLevel: 'debug',
    workerArgs: ['--no-replace-spare-threads'],
  });
  assert.deepEqual(prestartPlan(['--shuffle-spill-records', '100', '--task-timeout', '1m', '--web-port', '0', 'job.ts'], {}), { ...dflt, workerArgs: ['--no-replace-spare-threads', '--shuffle-spill-records', '100'] });
  // A driver-side flag: the workers are the same, so they are prestarted.
  assert.deepEqual(prestartPlan(['--stop-gracefully-on-shutdown', 'job.ts'], {}), dflt);
  // --shuffle-compress is the workers': they are prestarted with it (and only with it before the job file).
  assert.deepEqual(prestartPlan(['--shuffle-compress', 'job.ts'], {}), { ...dflt, workerArgs: ['--no-replace-spare-threads', '--shuffle-compress'] });
  assert.deepEqual(prestartPlan(['job.ts', '--shuffle-compress'], {}), dflt);
  // The command refuses --workers 0 and --cores 0: no worker is prestarted for them.
  for (const args of [['--workers', '0', 'job.ts'], ['--cores', '0', 'job.ts'], [], ['--workers', '2'], ['--help', 'job.ts'], ['-h'], ['--workers=3', 'job.ts'], ['--workers', 'two', 'job.ts'], ['--workers', '400', 'job.ts'], ['--cores', '-1', 'job.ts'], ['--shuffle-spill-records', '1e3', 'job.ts'], ['--unknown', 'job.ts']]) {
    assert.equal(prestartPlan(args, {}), undefined, `prestart for ${JSON.stringify(args)}`);
  }
});

test('SLUICE_NO_PRESTART=1 turns the prestart off, and only `run` prestarts', () => {
  const before = process.env.SLUICE_NO_PRESTART;
  process.env.SLUICE_NO_PRESTART = '1';
  try {
    // Nothing is spawned: a spawn of a missing entry would still return children.
    assert.equal(prestartLocalWorkers('/nonexistent/cli-entry.js', ['run', 'job.ts']), undefined);
  } finally {
    if (before === undefined) delete process.env.SLUICE_NO_PRESTART;
    else process.env.SLUICE_NO_PRESTART = before;
  }
  assert.equal(prestartLocalWorkers('/nonexistent/cli-entry.js', ['submit', 'job.ts']), undefined);
  assert.equal(takePrestartedWorkers(), undefined);
});

test("the prestart's workers start with the V8 options a LocalCluster gives its own (localWorkerGcArgs)", { timeout: 60_000 }, async () => {
  // An entry that only writes the options it was started with, one file a process.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prestart-args-'));
  const entry = path.join(dir, 'entry.cjs');
  fs.writeFileSync(entry, "require('node:fs').writeFileSync(require('node:path').join(process.env.PRESTART_ARGS_DIR, String(process.pid)), JSON.stringify(process.execArgv));\n");
  process.env.PRESTART_ARGS_DIR = dir;
  try {
    const pre = prestartLocalWorkers(entry, ['run', '--workers', '2', '--cores', '1', 'job.ts']);
    assert.ok(pre, 'the prestart started workers');
    assert.equal(takePrestartedWorkers(), pre);
    await Promise.all(pre.children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))));
    for (const c of pre.children) {
      const args = JSON.parse(fs.readFileSync(path.join(dir, String(c.pid)), 'utf8')) as string[];
      assert.deepEqual(args, localWorkerGcArgs(2, 1));
    }
    assert.ok(localWorkerGcArgs(2, 1).includes('--initial-old-space-size=64'));
  } finally {
    delete process.env.PRESTART_ARGS_DIR;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the prestart's allocator settings are the worker package's", () => {
  assert.deepEqual(LOCAL_WORKER_MALLOC_ENV, WORKER_MALLOC_ENV);
});

test('sluice run adopts the workers it prestarted and runs its job on the spare driver-program thread', { timeout: 120_000 }, async () => {
  const n = 3000;
  const r = await runCli(['run', '--no-progress', '--log-level', 'debug', '--workers', '3', PROBE, String(n)], { timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  const probe = probeOf(r.stdout);
  assert.equal(probe.sum, squares(n));
  assert.equal(probe.runs, 1);
  const logs = logLines(r.stderr);
  const pre = logs.find((l) => l.msg === 'prestarted workers');
  assert.deepEqual([pre?.adopted, pre?.workers], [true, 3], 'the 3 prestarted workers were adopted');
  assert.equal(logs.filter((l) => l.msg === 'worker registered').length, 3, 'three workers registered, no more');
  // Every worker process that logged is one the driver's process spawned once: three pids besides the driver's.
  const driverPid = logs.find((l) => l.msg === 'prestarted workers')?.pid;
  assert.equal(new Set(logs.filter((l) => l.pid !== driverPid).map((l) => l.pid)).size, 3);
  const bound = logs.find((l) => l.msg === 'spare job thread bound to a job');
  assert.equal(bound?.jobId, probe.job, 'the job ran on the spare job thread');
  // Each worker had the job's bundle from its standard input, none fetched it from the driver.
  assert.equal(new Set(logs.filter((l) => l.msg === 'job bundle given by the parent process').map((l) => l.pid)).size, 3);
  assert.equal(logs.filter((l) => l.msg === 'fetching a job bundle from the driver').length, 0);
});

test('an option form the prestart does not read (--workers=3) starts nothing ahead: the command starts its own workers', { timeout: 120_000 }, async () => {
  const n = 2000;
  const r = await runCli(['run', '--no-progress', '--log-level', 'debug', '--workers=3', PROBE, String(n)], { timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr.slice(-3000));
  assert.equal(probeOf(r.stdout).sum, squares(n));
  const logs = logLines(r.stderr);
  assert.equal(logs.find((l) => l.msg === 'prestarted workers'), undefined);
  assert.equal(logs.filter((l) => l.msg === 'worker registered').length, 3);
});

/** `sluice <args>` to the end of its output: 'close' waits for every process holding its stderr (its workers inherit it). */
function runToClose(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => reject(new Error(`sluice ${args.join(' ')}: its output did not end within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

test("sluice run's output reaches a reader slow to take it whole: the run exits only once its stdout has taken every line", { timeout: 120_000 }, async () => {
  // 40,000 lines (~600 KB, many times a pipe's buffer) printed at the job's end. This test
  // does not read them until the workers are gone and then until the run exits or 3 s pass,
  // so a run that exited with lines still queued for its stdout would lose them.
  const n = 40_000;
  const child = spawn(process.execPath, [CLI_BIN, 'run', '--no-progress', '--log-level', 'debug', fixture('many-lines.ts'), String(n)], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pause();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const chunks: Buffer[] = [];
  const stdoutEnded = new Promise<void>((resolve) => child.stdout.on('end', resolve));
  try {
    const workerPids = async (): Promise<number[]> => {
      for (;;) {
        const pids = [...new Set(logLines(stderr).filter((l) => l.msg === 'worker registered').map((l) => l.pid!))];
        if (pids.length === 2 && stderr.includes('"msg":"job ended"')) return pids;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const pids = await within(workerPids(), 90_000, `the job to end:\n${stderr.slice(-3000)}`);
    await within((async () => { while (pids.some(processAlive)) await new Promise((r) => setTimeout(r, 100)); })(), 30_000, 'the workers to exit');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  } finally {
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stdout.resume();
  }
  assert.equal(await within(exited, 60_000, 'sluice run to exit'), 0, stderr.slice(-3000));
  await stdoutEnded;
  const lines = Buffer.concat(chunks).toString().split('\n').filter((l) => l.startsWith('LINE ') || l === 'LAST');
  assert.equal(lines.length, n + 1, `every line and LAST (got ${lines.length}, the last: ${lines.at(-1)})`);
  for (let i = 0; i < n; i++) if (lines[i] !== `LINE ${i} ${i * 7}`) assert.fail(`line ${i}: ${lines[i]}`);
  assert.equal(lines[n], 'LAST');
});

test('a run that fails before its cluster exists (here --typecheck of a missing file) leaves its prestarted workers to exit quietly', { timeout: 60_000 }, async () => {
  const r = await runToClose(['run', '--no-progress', '--typecheck', 'no-such-job-file.ts'], 50_000);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SLUICE_JOB_FILE_NOT_FOUND.*no-such-job-file\.ts/);
  assert.doesNotMatch(r.stderr, /standard input|SLUICE_BAD_ARGUMENT/, 'a prestarted worker reported its parent leaving');
});

test('a run whose job file is missing stops the prestarted workers it adopted', { timeout: 60_000 }, async () => {
  const r = await runToClose(['run', '--no-progress', 'no-such-job-file.ts'], 50_000);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SLUICE_JOB_FILE_NOT_FOUND.*no-such-job-file\.ts/);
  assert.doesNotMatch(r.stderr, /standard input|SLUICE_BAD_ARGUMENT/);
});

test('prestarted workers that do not match the cluster are ended and replaced; a second job does not get the spare job thread', { timeout: 120_000 }, async () => {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  // Started as a cluster of 2 cores a worker would be: this cluster wants 1 core each.
  const secret = 'p'.repeat(32);
  const spec = { cores: 2, logLevel: 'warn', workerArgs: [] };
  const children = [spawnLocalWorker(CLI_ENTRY, spec, secret), spawnLocalWorker(CLI_ENTRY, spec, secret)];
  const prestarted: PrestartedWorkers = { ...spec, workers: 2, secret, children };
  const exited = (c: ChildProcess): Promise<number | null> => new Promise((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log, prestarted, driver: { spareJobThread: true } });
  try {
    assert.equal(cluster.usesPrestartedWorkers, false);
    assert.notEqual(cluster.secret, secret);
    // Ended (their standard input closed before any address came): they exit 0, quietly.
    assert.deepEqual(await within(Promise.all(children.map(exited)), 30_000, 'the unmatched prestarted workers to exit'), [0, 0]);
    await cluster.start();
    assert.deepEqual(
      cluster.driver.registry.all().map((w) => w.cores),
      [1, 1],
    );
    assert.ok(cluster.workerProcesses.every((c) => !children.includes(c)));
    const bundle = await bundleJob(PROBE);
    const run = async (n: number): Promise<Probe> => {
      const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [String(n)] });
      const out: string[] = [];
      job.on('output', (l) => out.push(l));
      const [state, err] = await within(new Promise<[string, unknown]>((resolve) => job.once('end', (s, e) => resolve([s, e]))), 90_000, 'the job');
      assert.equal(state, 'succeeded', String((err as Error | undefined)?.message));
      return probeOf(out.join('\n'));
    };
    const a = await run(1000);
    const b = await run(1500);
    assert.deepEqual([a.sum, b.sum], [squares(1000), squares(1500)]);
    // Each program in a thread of its own: the spare served the first job only.
    assert.notEqual(a.threadId, b.threadId);
    assert.deepEqual([a.runs, b.runs], [1, 1]);
    const bound = lines.filter((l) => l.msg === 'spare job thread bound to a job').map((l) => l.jobId);
    assert.deepEqual(bound, [a.job]);
  } finally {
    await cluster.stop();
  }
});

// The job bundle cache (job-bundle-cache.ts), through `sluice run` as a user runs it: a job
// run twice unchanged takes its bundle from the cache the second time; an edit of a file
// the job imports, or of the job file, is bundled again (same sizes: content, not size or
// mtime, decides). Sums computed here from the job's input; each run's processes (every
// pid in its debug log) are gone when `sluice run` has exited.
test('sluice run: an unchanged job comes from the bundle cache, an edited job or imported file is bundled again, and no process outlives the run', { timeout: 200_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-job-cache-'));
  const env = { SLUICE_CACHE_DIR: path.join(dir, 'cache') };
  const jobFile = path.join(dir, 'job.ts');
  const helper = path.join(dir, 'factor.ts');
  const writeJob = (offset: number): void =>
    fs.writeFileSync(
      jobFile,
      `import type { SluiceContext } from '@sluice/core';\nimport { FACTOR } from './factor.js';\nexport default async function (sc: SluiceContext): Promise<void> {\n  const sum = await sc.parallelize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 2).map((x) => x * FACTOR + ${offset}).reduce((a, b) => a + b);\n  console.log('CACHE_PROBE ' + JSON.stringify({ sum }));\n}\n`,
    );
  /** Sum over 1..10 of x * factor + offset, computed here. */
  const expected = (factor: number, offset: number): number => Array.from({ length: 10 }, (_, i) => (i + 1) * factor + offset).reduce((a, b) => a + b, 0);
  const run = async (): Promise<{ sum: number; cached: boolean }> => {
    const r = await runCli(['run', '--no-progress', '--log-level', 'debug', jobFile], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `sluice run failed:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    const logs = logLines(r.stderr);
    const fromCache = logs.filter((l) => l.msg === 'job bundle from the cache').length;
    const bundled = logs.filter((l) => l.msg === 'job bundled').length;
    assert.equal(fromCache + bundled, 1, 'one bundle a run');
    // Whether it came from the cache (usually before the driver listens) or from esbuild
    // (after): each worker was given it on its standard input and fetched nothing.
    assert.equal(logs.filter((l) => l.msg === 'job bundle given by the parent process').length, 2, 'both workers were given the bundle');
    assert.equal(logs.filter((l) => l.msg === 'fetching a job bundle from the driver').length, 0, 'a worker fetched the bundle');
    const pids = [...new Set(logs.map((l) => l.pid).filter((p): p is number => typeof p === 'number'))];
    assert.ok(pids.length >= 3, `driver and 2 workers logged: ${pids.join(' ')}`);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} of the run is still alive`);
    const line = r.stdout.split('\n').find((l) => l.startsWith('CACHE_PROBE '));
    assert.ok(line, `no CACHE_PROBE line in:\n${r.stdout}`);
    return { sum: (JSON.parse(line.slice('CACHE_PROBE '.length)) as { sum: number }).sum, cached: fromCache === 1 };
  };
  try {
    fs.writeFileSync(helper, 'export const FACTOR = 3;\n');
    writeJob(1);
    assert.deepEqual(await run(), { sum: expected(3, 1), cached: false });
    assert.deepEqual(await run(), { sum: expected(3, 1), cached: true });
    fs.writeFileSync(helper, 'export const FACTOR = 7;\n');
    assert.deepEqual(await run(), { sum: expected(7, 1), cached: false });
    writeJob(5);
    assert.deepEqual(await run(), { sum: expected(7, 5), cached: false });
    assert.deepEqual(await run(), { sum: expected(7, 5), cached: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// A worker of `sluice run` (`--driver -`) starts its task threads while it waits for the
// driver's address, so the first task finds a thread that has loaded Sluice: here the
// address is written only after the spare thread said it was ready, and the job's first
// task on the worker is bound to that ready spare. The worker then registers and runs the
// job (sum computed here), and exits 0 when its standard input closes.
test('sluice worker --driver - starts its task threads before the address comes; the first task gets the ready spare', { timeout: 120_000 }, async () => {
  const lines: LogLine[] = [];
  const cluster = new LocalCluster({ workers: 0, coresPerWorker: 1, logLevel: 'warn', log: pino({ level: 'warn' }) });
  await cluster.start();
  const worker = spawnLocalWorker(CLI_ENTRY, { cores: 1, logLevel: 'debug', workerArgs: [] }, cluster.secret, { stderr: 'pipe' });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  let buf = '';
  const waiters: { msg: string; resolve: () => void }[] = [];
  worker.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const l = JSON.parse(line) as LogLine;
      lines.push(l);
      for (const w of waiters.filter((x) => x.msg === l.msg)) w.resolve();
    }
  });
  const logged = (msg: string): Promise<void> =>
    lines.some((l) => l.msg === msg) ? Promise.resolve() : new Promise((resolve) => waiters.push({ msg, resolve }));
  try {
    await within(logged('spare task thread ready'), 60_000, "the worker's spare task thread to be ready before it has the driver's address");
    assert.ok(!lines.some((l) => l.msg === 'worker registered'), 'registered before it was given the address');
    assert.equal(cluster.driver.registry.all().length, 0);
    worker.stdin!.write(`${cluster.driver.address}\n`);
    await cluster.waitForWorkers(1, 30_000);
    const bundle = await bundleJob(PROBE);
    const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['700'] });
    const out: string[] = [];
    job.on('output', (l) => out.push(l));
    const [state, err] = await within(new Promise<[string, unknown]>((resolve) => job.once('end', (st, e) => resolve([st, e]))), 90_000, 'the job');
    assert.equal(state, 'succeeded', String((err as Error | undefined)?.message));
    assert.equal(probeOf(out.join('\n')).sum, squares(700));
    const bound = lines.filter((l) => l.msg === 'task thread bound to a job') as (LogLine & { spare?: boolean; ready?: boolean })[];
    assert.ok(bound.length >= 1, 'the worker bound a task thread to the job');
    assert.deepEqual([bound[0]!.spare, bound[0]!.ready], [true, true]);
  } finally {
    worker.stdin!.end();
    await cluster.stop();
  }
  assert.equal(await within(exited, 30_000, 'the worker to exit'), 0);
});

// A local worker takes a bundle given on its standard input only when its bytes have the
// sha256 it was given with: here the line names the job's bundle but carries other code
// (a job whose sum would differ), and a line that is no bundle comes first. The worker
// refuses the bundle, fetches the real one from the driver, and the job's sum is the
// one computed here.
test('a local worker given a bundle whose bytes do not match its sha256 fetches the real one from the driver', { timeout: 120_000 }, async () => {
  const lines: (LogLine & { got?: string })[] = [];
  const cluster = new LocalCluster({ workers: 0, coresPerWorker: 1, logLevel: 'warn', log: pino({ level: 'warn' }) });
  await cluster.start();
  const worker = spawnLocalWorker(CLI_ENTRY, { cores: 1, logLevel: 'debug', workerArgs: [] }, cluster.secret, { stderr: 'pipe' });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  let buf = '';
  worker.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) if (l.startsWith('{')) lines.push(JSON.parse(l) as LogLine);
  });
  try {
    const bundle = await bundleJob(PROBE);
    const other = await bundleJob(fixture('wordcount-check.ts'));
    worker.stdin!.write(`${cluster.driver.address}\nnot a bundle\n${bundleLine({ sha256: bundle.sha256, code: other.code, sourceMap: other.sourceMap })}`);
    await cluster.waitForWorkers(1, 60_000);
    const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['900'] });
    const out: string[] = [];
    job.on('output', (l) => out.push(l));
    const [state, err] = await within(new Promise<[string, unknown]>((resolve) => job.once('end', (st, e) => resolve([st, e]))), 90_000, 'the job');
    assert.equal(state, 'succeeded', String((err as Error | undefined)?.message));
    assert.equal(probeOf(out.join('\n')).sum, squares(900));
    const refused = lines.find((l) => l.msg.startsWith('a job bundle given by the parent process does not have the sha256'));
    assert.equal(refused?.got, other.sha256, 'the worker said it refused the bundle, naming the sha256 of what it got');
    assert.equal(lines.filter((l) => l.msg === 'job bundle given by the parent process').length, 0);
    assert.equal(lines.filter((l) => l.msg === 'fetching a job bundle from the driver').length, 1);
    assert.equal(lines.filter((l) => l.msg === 'a line on standard input that is not a job bundle: ignored').length, 1);
  } finally {
    worker.stdin!.end();
    await cluster.stop();
  }
  assert.equal(await within(exited, 30_000, 'the worker to exit'), 0);
});

// `sluice run`'s workers serve one job: the spare task thread the job takes is not
// replaced (a replacement would load Sluice beside the job's tasks and never be used).
// Each task here runs 2 s, past the 1 s after which a worker replaces a spare taken; the
// debug log must show each worker start its one spare only. Sum computed here.
test('sluice run: a spare task thread taken by the job is not replaced while it runs', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spares-'));
  const jobFile = path.join(dir, 'job.ts');
  fs.writeFileSync(
    jobFile,
    `import type { SluiceContext } from '@sluice/core';\nexport default async function (sc: SluiceContext): Promise<void> {\n  const sum = await sc.parallelize([1, 2, 3, 4], 2).map((x) => { const end = Date.now() + 2000; while (Date.now() < end); return x * 10; }).reduce((a, b) => a + b);\n  console.log('SPARES_PROBE ' + JSON.stringify({ sum }));\n}\n`,
  );
  try {
    const r = await runCli(['run', '--no-progress', '--log-level', 'debug', jobFile], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `sluice run failed:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    const line = r.stdout.split('\n').find((l) => l.startsWith('SPARES_PROBE '));
    assert.ok(line, `no SPARES_PROBE line in:\n${r.stdout}`);
    assert.equal((JSON.parse(line.slice('SPARES_PROBE '.length)) as { sum: number }).sum, [1, 2, 3, 4].reduce((a, x) => a + x * 10, 0));
    const logs = logLines(r.stderr);
    const bound = logs.filter((l) => l.msg === 'task thread bound to a job');
    assert.ok(bound.length >= 1, 'a worker bound a task thread to the job');
    const started = new Map<number, number>();
    for (const l of logs.filter((x) => x.msg === 'spare task thread started')) started.set(l.pid!, (started.get(l.pid!) ?? 0) + 1);
    assert.equal(started.size, 2, 'both workers started their spare');
    assert.deepEqual([...started.values()], [1, 1], 'a worker started a spare beyond its first');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
