// Bad input through the real `sluice` CLI: each mistake gives a clear message on stderr,
// a non-zero exit, and no hang.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { CLI_BIN, fixture, jsonLine, runCli, withCluster, type CliResult, freePort, lineOf, pollUntil } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** A failure as a user should see it: non-zero exit, no hang, `pattern` on stderr. */
function assertFails(r: CliResult, pattern: RegExp): void {
  assert.equal(r.timedOut, false, `the command hung\n${show(r)}`);
  assert.notEqual(r.code, 0, `the command succeeded\n${show(r)}`);
  assert.ok(r.code !== null, `the command died of a signal\n${show(r)}`);
  assert.match(r.stderr, pattern, show(r));
}

/** A job file `name` in the test's folder, of `lines`, and the 1-based number of the line holding `marker`. */
function writeJob(name: string, lines: readonly string[], marker?: string): { file: string; line: number } {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, [...lines, ''].join('\n'));
  return { file, line: marker === undefined ? 0 : lines.findIndex((l) => l.includes(marker)) + 1 };
}

/** `file:line:column` of the `.map(` call on `line` of `job` (V8's 1-based column of `map`; not a filter's before it). */
function mapCallSite(job: string, line: number): string {
  return `${job}:${line}:${fs.readFileSync(job, 'utf8').split('\n')[line - 1]!.indexOf('.map(') + 2}`;
}

/** The stack under the failure on stderr has frames, all of them the job's: none of Sluice's. */
function assertOnlyJobFrames(r: CliResult, job: string): void {
  const frames = r.stderr.split('\n').filter((l) => /^\s+at /.test(l));
  assert.ok(frames.length > 0, show(r));
  assert.deepEqual(frames.filter((l) => !l.includes(job)), [], `only the job's frames\n${show(r)}`);
}

const NO_SECRET_FILE = { SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };
let tmp: string;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bad-input-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('sluice run of a job file that does not exist', async () => {
  const missing = path.join(tmp, 'no-such-job.ts');
  const r = await runCli(['run', '--workers', '1', missing], { timeoutMs: 30_000 });
  assertFails(r, /SLUICE_JOB_FILE_NOT_FOUND.*no-such-job\.ts' does not exist/);
});

test("sluice run of a job file named without its extension, or of a job project's directory, names the file meant", async () => {
  const project = path.join(tmp, 'my-job');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'job.ts'), 'export default async function () {}\n');
  fs.writeFileSync(path.join(project, 'other.ts'), 'export default async function () {}\n');
  const cases: [string[], string][] = [
    [['run', '--workers', '1', 'my-job/job'], "job file 'my-job/job' does not exist (looked at " + path.join(project, 'job') + "); did you mean 'my-job/job.ts'?"],
    [['run', '--typecheck', 'my-job/other'], "did you mean 'my-job/other.ts'?"],
    [['run', '--workers', '1', 'my-job'], `job file 'my-job' is a directory (${project}): give the job file in it ('my-job/job.ts')`],
  ];
  for (const [args, said] of cases) {
    const r = await runCli(args, { cwd: tmp, timeoutMs: 30_000 });
    assertFails(r, /SLUICE_JOB_FILE_NOT_FOUND/);
    assert.ok(r.stderr.includes(said), `stderr says ${said}\n${show(r)}`);
  }
});

test('sluice run of a job file with a TypeScript syntax error names file:line', async () => {
  const file = path.join(tmp, 'bad-syntax.ts');
  fs.writeFileSync(file, ["import type { SluiceContext } from '@sluice/core';", '', 'export default async function (sc: SluiceContext) {', '  const x = ;', '  console.log(x, sc);', '}', ''].join('\n'));
  const r = await runCli(['run', '--workers', '1', file], { timeoutMs: 30_000 });
  assertFails(r, /SLUICE_JOB_COMPILE/);
  assert.ok(r.stderr.includes(`${file}:4:`), `stderr names ${file}:4\n${show(r)}`);
});

test('sluice run of a job that throws while loading shows its message and line', async () => {
  const file = fixture('throws-at-load.ts');
  const r = await runCli(['run', '--workers', '1', file], { timeoutMs: 60_000 });
  assertFails(r, /SLUICE_JOB_LOAD.*fixture config is missing: set FIXTURE_CONFIG before loading/);
  assert.ok(r.stderr.includes(`${file}:${lineOf(file, 'throw new Error(')}:`), show(r));
  assert.doesNotMatch(r.stdout, /UNREACHABLE/);
});

test('a closure capturing a socket fails at submission, naming the variable and the call site, before any task runs', async () => {
  const file = fixture('captures-socket.ts');
  const callSite = `${file}:${lineOf(file, 'numbers.map(')}:`;
  const started = Date.now();
  const r = await runCli(['run', '--workers', '1', file], { timeoutMs: 60_000 });
  assertFails(r, /SLUICE_TASK_NOT_SERIALIZABLE/);
  assert.match(r.stderr, /Task not serializable: rdd\.map at .*captures 'conn' \(a Socket\)/, show(r));
  assert.ok(r.stderr.includes(callSite), `stderr names the call site ${callSite}\n${show(r)}`);
  // The stack under the message is the program's: Sluice's frames above the call (the
  // capture's checks) neither fill V8's frames before it nor show.
  const frames = r.stderr.split('\n').filter((l) => /^\s+at /.test(l));
  assert.ok(frames.some((l) => l.includes(`(${callSite}`)), `a frame at the call site ${callSite}\n${show(r)}`);
  assert.deepEqual(frames.filter((l) => !l.includes(file)), [], `only the job's frames\n${show(r)}`);
  assert.ok(Date.now() - started < 30_000, 'it failed quickly');

  // The same job on a cluster we can inspect: no action was sent and no task ran.
  await withCluster({ workers: 1, logLevel: 'error' }, async (h) => {
    const run = await h.run(file);
    assert.equal(run.ok, false);
    assert.equal(run.failure?.code, 'SLUICE_TASK_NOT_SERIALIZABLE');
    assert.match(run.failure?.message ?? '', /'conn'/);
    assert.ok(run.failure?.message.includes(callSite), run.failure?.message);
    assert.equal(h.cluster.driver.jobs.get(run.jobId!)?.actionsRun, 0);
    assert.deepEqual(
      h.cluster.driver.registry.all().map((w) => w.tasksCompleted),
      [0],
    );
  });
});

test('sluice run of a good job exits 0 and prints its output', async () => {
  const r = await runCli(['run', '--workers', '2', fixture('wordcount-check.ts'), '1000'], { timeoutMs: 60_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 0, show(r));
  const counts = new Map(jsonLine<[string, number][]>(r.stdout.split('\n'), 'RESULT '));
  assert.deepEqual(counts, new Map([['a', 400], ['b', 400], ['c', 400], ['d', 400], ['e', 400]]));
  // Ending the local cluster is no failure: its driver and workers stop without a warning
  // (workers losing the driver they were told to leave, 'worker lost', ...).
  const warnings = r.stderr.split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  assert.deepEqual(warnings, [], show(r));
});

/** `sluice driver` as a child process; resolves once it listens. */
async function startDriver(port: number, secret: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI_BIN, 'driver', '--port', String(port), '--log-level', 'info'], {
    env: { ...process.env, ...NO_SECRET_FILE, SLUICE_SECRET: secret },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sluice driver did not start within 20 s:\n${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('driver listening')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`sluice driver exited (${code}) before listening:\n${err}`));
    });
  }).catch(async (e: unknown) => {
    await stopProcess(child);
    throw e;
  });
  child.stderr!.resume();
  return child;
}

function stopProcess(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    c.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    c.kill('SIGTERM');
  });
}

test('a wrong cluster secret is refused with a clear message (worker, submit, workers)', async () => {
  const port = await freePort();
  const secretA = crypto.randomBytes(16).toString('hex');
  const driver = await startDriver(port, secretA);
  try {
    const addr = `127.0.0.1:${port}`;
    const env = { ...NO_SECRET_FILE, SLUICE_SECRET: crypto.randomBytes(16).toString('hex') };
    const [worker, submit, workers] = await Promise.all([
      runCli(['worker', '--driver', addr], { env, timeoutMs: 30_000 }),
      runCli(['submit', '--driver', addr, fixture('wordcount-check.ts')], { env, timeoutMs: 30_000 }),
      runCli(['workers', '--driver', addr], { env, timeoutMs: 30_000 }),
    ]);
    for (const r of [worker, submit, workers]) assertFails(r, /SLUICE_UNAUTHENTICATED.*wrong cluster secret/);
    // The exact words, each said once (the worker's once read "refused this worker: refused: wrong ...").
    const fix = 'wrong cluster secret; set SLUICE_SECRET (or --secret-file) to the same value as the driver';
    assert.ok(worker.stderr.includes(`the driver at ${addr} refused this worker: ${fix}`), show(worker));
    for (const r of [submit, workers]) assert.ok(r.stderr.includes(`the driver at ${addr} refused: ${fix}`), show(r));
    for (const r of [worker, submit, workers]) assert.doesNotMatch(r.stderr, /refused.*refused/, show(r));
    // The right secret works against the same driver (the refusals were about the secret).
    const ok = await runCli(['workers', '--driver', addr], { env: { ...NO_SECRET_FILE, SLUICE_SECRET: secretA }, timeoutMs: 30_000 });
    assert.equal(ok.code, 0, show(ok));
    assert.match(ok.stdout, /^WORKER\s+ADDRESS/, show(ok));
  } finally {
    await stopProcess(driver);
  }
});

test('a driver address where nothing listens fails clearly, saying the connection was refused (submit, worker, workers)', async () => {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const env = { ...NO_SECRET_FILE, SLUICE_SECRET: crypto.randomBytes(16).toString('hex') };
  const t0 = Date.now();
  let submitMs = 0;
  const [submit, worker, workers] = await Promise.all([
    runCli(['submit', '--driver', addr, fixture('wordcount-check.ts')], { env, timeoutMs: 30_000 }).finally(() => (submitMs = Date.now() - t0)),
    // A worker keeps trying a driver that does not answer (16 retries by default, as Spark's): two here, then the same error.
    runCli(['worker', '--driver', addr, '--max-registration-retries', '2', '--registration-retry-interval', '500ms'], { env, timeoutMs: 30_000 }),
    runCli(['workers', '--driver', addr], { env, timeoutMs: 30_000 }),
  ]);
  for (const r of [submit, worker, workers]) assertFails(r, new RegExp(`SLUICE_UNREACHABLE.*no Sluice driver answers at ${addr.replace(/\./g, '\\.')}`));
  // Each says why: it tried a plain TCP connection after gRPC had none (not gRPC's own details).
  for (const r of [submit, worker, workers]) assert.doesNotMatch(r.stderr, /Waiting for LB pick|Deadline exceeded after/, show(r));
  for (const r of [submit, worker, workers]) assert.ok(r.stderr.includes(`: nothing listens on port ${port} of 127.0.0.1 (connection refused): is \`sluice driver\` running there, on that port?`), show(r));
  // As spark-submit's: a refused connection fails at once, not after the wait (5 s) a silent address gets.
  for (const r of [submit, workers]) assert.ok(r.stderr.includes(`no Sluice driver answers at ${addr}: nothing listens`), show(r));
  for (const r of [submit, workers]) assert.doesNotMatch(r.stderr, /no gRPC connection within/, show(r));
  console.log(`# submit failed in ${submitMs} ms`);
});

test('sluice driver --retained-batches 0 is refused, naming the option and the value', async () => {
  const r = await runCli(['driver', '--retained-batches', '0', '--port', '0', '--web-port', '0'], { env: { ...NO_SECRET_FILE, SLUICE_SECRET: crypto.randomBytes(16).toString('hex') }, timeoutMs: 20_000 });
  assert.equal(r.timedOut, false, r.stderr);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /SLUICE_BAD_ARGUMENT.*--retained-batches\) must be a whole number of batches >= 1, got 0/);
});

test("a job submitted to a driver no worker joined: the driver warns as Spark's starvation timer does, saying no worker is registered; a worker joins and the job completes", { timeout: 180_000 }, async () => {
  const secret = randomSecret();
  const driver = await startDriverProcess(secret, ['--starvation-timeout-ms', '1000']);
  let worker: SluiceProcess | undefined;
  try {
    const submit = runCli(['submit', '--driver', driver.address, fixture('wordcount-check.ts'), '100'], { env: { ...NO_SECRET_FILE, SLUICE_SECRET: secret }, timeoutMs: 150_000 });
    const warning = await pollUntil(() => driver.logLines.find((l) => l.includes('Initial job has not accepted any resources')), 60_000, "the driver's starvation warning");
    const w = JSON.parse(warning) as { level: number; msg: string; workers: number };
    assert.equal(w.level, 40, warning);
    assert.match(w.msg, /\(job job-\S+, stage \d+: none of its \d+ tasks? launched in \d+ s; no worker is registered with this driver: start one with `sluice worker --driver HOST:PORT`/, warning);
    assert.equal(w.workers, 0, warning);
    worker = await startWorkerProcess(driver.address, secret);
    const r = await submit;
    assert.equal(r.code, 0, show(r));
    // The counts of 100 generated lines, computed here as the fixture's countWords defines them.
    const words = ['a', 'b', 'c', 'd', 'e'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) for (const x of [words[i % 5], words[(i * 3) % 5]]) counts.set(x, (counts.get(x) ?? 0) + 1);
    assert.ok(r.stdout.includes(`RESULT ${JSON.stringify([...counts].sort())}`), show(r));
  } finally {
    await worker?.stop();
    await driver.stop();
  }
});

test("a checkpoint directory that cannot be made beside a parent that exists (/proc/...) fails the job at ssc.checkpoint, naming it, instead of spinning in Node's recursive mkdir", { skip: !fs.existsSync('/proc/self') && 'no /proc here' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-checkpoint-proc-'));
  try {
    const job = path.join(dir, 'job.ts');
    const where = `/proc/sluice-nope-${process.pid}/cp`;
    fs.writeFileSync(job, [
      "import { StreamingContext, type SluiceContext } from '@sluice/core';",
      'export default async function (sc: SluiceContext, args: string[]) {',
      "  const ssc = new StreamingContext(sc, '1s');",
      '  ssc.checkpoint(args[0]);',
      '}',
      '',
    ].join('\n'));
    const r = await runCli(['run', '--workers', '1', job, where], { timeoutMs: 60_000 });
    assert.equal(r.timedOut, false, `the run hung\n${show(r)}`);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, new RegExp(`failed \\[SLUICE_CHECKPOINT\\]: ssc\\.checkpoint: cannot create the checkpoint directory '${where}': ENOENT`), show(r));
    assert.match(r.stderr, /job\.ts:4:\d+\)/, show(r));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint directory that is a file (or under one) fails at ssc.checkpoint, naming the file and what to do', async () => {
  const file = path.join(tmp, 'checkpoint-is-a-file');
  fs.writeFileSync(file, 'not a directory\n');
  const { file: job } = writeJob('checkpoint-file-job.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext, args: string[]) {',
    "  const ssc = new StreamingContext(sc, '1s');",
    '  ssc.checkpoint(args[0]);',
    '}',
  ]);
  for (const dir of [file, path.join(file, 'cp')]) {
    const r = await runCli(['run', '--workers', '1', job, dir], { timeoutMs: 60_000 });
    assertFails(r, /failed \[SLUICE_CHECKPOINT\]: ssc\.checkpoint: cannot create the checkpoint directory/);
    assert.ok(r.stderr.includes(`'${file}' is a file, not a directory`), show(r));
    assert.match(r.stderr, /give a directory path/, show(r));
    assert.match(r.stderr, /checkpoint-file-job\.ts:4:\d+\)/, show(r));
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory\n', 'the file is left as it was');
  }
});

test("a task's error with a cause is reported with each cause once (a batch job and a streaming batch)", async () => {
  const job = fixture('throws-with-cause.ts');
  const wrap = `${job}:${lineOf(job, '// MARK wrap')}:`;
  const parse = `${job}:${lineOf(job, '// MARK parse')}:`;
  for (const args of [['batch'], []]) {
    const r = await runCli(['run', '--workers', '1', job, ...args], { timeoutMs: 60_000 });
    assertFails(r, /failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: .*: bad record: \{x/);
    const lines = r.stderr.split('\n');
    // The cause, computed here: what JSON.parse says of the record.
    let said = '';
    try {
      JSON.parse('{x');
    } catch (e) {
      said = (e as Error).message;
    }
    assert.deepEqual(lines.filter((l) => l.startsWith('Caused by: ')), [`Caused by: SyntaxError: ${said}`], show(r));
    assert.equal(lines.filter((l) => l.includes('bad record: {x')).length, 1, `the message once\n${show(r)}`);
    assert.equal(lines.filter((l) => l.includes(`(${wrap}`)).length, 1, `the throw's frame once\n${show(r)}`);
    assert.equal(lines.filter((l) => l.includes(`(${parse}`)).length, 1, `the cause's frame once\n${show(r)}`);
  }
});

test("a task's error of a class extending Error that sets no name is reported by its class's name, its cause's too; a name the class sets is kept", async () => {
  const job = fixture('throws-subclass.ts');
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assertFails(r, /failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: .*\): RecordRejected: bad record 2\n/);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('Caused by: ')), ['Caused by: ParseProblem: not a number'], show(r));
  const named = await runCli(['run', '--workers', '1', job, 'named'], { timeoutMs: 60_000 });
  assertFails(named, /failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: .*\): Error: named Error on purpose\n/);
});

test('a .gz file that is not gzip in a file stream fails the job naming the file, what is wrong and what to do; the stack is not repeated as its own cause', async () => {
  const dir = path.join(tmp, 'corrupt-in');
  const staged = path.join(tmp, 'corrupt-staged');
  fs.mkdirSync(dir);
  fs.mkdirSync(staged);
  fs.writeFileSync(path.join(staged, 'broken.gz'), 'plain text, not gzip\n');
  const r = await runCli(['run', '--workers', '1', fixture('stream-corrupt-file.ts'), dir, staged], { timeoutMs: 60_000 });
  const bad = path.join(dir, 'broken.gz');
  assertFails(r, /failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: /);
  assert.ok(r.stderr.includes(`textFileStream(${dir}): '${bad}' is not a whole gzip stream`), show(r));
  assert.match(r.stderr, /move it into the directory once whole; replace this one with a whole file, or remove it/, show(r));
  const lines = r.stderr.split('\n');
  // zlib's words for it, computed here.
  let said = '';
  try {
    zlib.gunzipSync(Buffer.from('plain text, not gzip\n'));
  } catch (e) {
    said = (e as Error).message;
  }
  assert.deepEqual(lines.filter((l) => l.startsWith('Caused by: ')), [`Caused by: Error: ${said}`], show(r));
  assert.equal(lines.filter((l) => l.includes('is not a whole gzip stream')).length, 1, `the message once\n${show(r)}`);
  assert.ok(fs.existsSync(bad), 'the file is left where it was');
});

test("ssc.start() twice: the second warns as Spark's does, naming its line, and the job runs as with one", async () => {
  const { file: job, line: second } = writeJob('start-twice.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext) {',
    "  const ssc = new StreamingContext(sc, '500ms');",
    '  let counted!: () => void;',
    '  const seen = new Promise<void>((resolve) => (counted = resolve));',
    "  ssc.queueStream([sc.parallelize([1, 2, 3], 2)]).foreachRDD(async (rdd) => { const n = await rdd.count(); if (n > 0) { console.log('COUNT ' + n); counted(); } });",
    '  ssc.start();',
    '  ssc.start(); // the second',
    '  await seen;',
    '  await ssc.stop();',
    '}',
  ], '// the second');
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('COUNT ')), ['COUNT 3'], show(r));
  const warned = r.stderr.split('\n').filter((l) => l.includes('StreamingContext has already been started'));
  assert.equal(warned.length, 1, show(r));
  assert.ok(warned[0]!.includes(`${job}:${second}:`), `the second start's line\n${show(r)}`);
});

test("a StreamingContext with concurrentJobs 0 (or not a whole number >= 1) fails at the call, naming it and the fix, instead of running no batch's output for good", async () => {
  const { file: job, line } = writeJob('concurrent-jobs.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext, args: string[]) {',
    "  const ssc = new StreamingContext(sc, '500ms', { concurrentJobs: JSON.parse(args[0]!) as number }); // the call",
    '  ssc.queueStream([sc.parallelize([1, 2, 3], 1)]).count().print();',
    '  ssc.start();',
    '  await ssc.awaitTerminationOrTimeout(3000);',
    '}',
  ], '// the call');
  for (const given of ['0', '-1', '1.5', '"2"']) {
    const r = await runCli(['run', '--workers', '1', job, given], { timeoutMs: 60_000 });
    assertFails(r, /SLUICE_BAD_ARGUMENT/);
    assert.ok(r.stderr.includes(`StreamingContext: concurrentJobs must be a whole number of batches run at once >= 1, got ${given}; leave it out for 1 (each batch's outputs end before the next batch's start), or for example { concurrentJobs: 2 } (Spark's spark.streaming.concurrentJobs)`), show(r));
    assert.match(r.stderr, new RegExp(`concurrent-jobs\\.ts:${line}:\\d+`), `the call's line\n${show(r)}`);
  }
  // The control: 2 runs, its batch counted.
  const ok = await runCli(['run', '--workers', '1', job, '2'], { timeoutMs: 60_000 });
  assert.equal(ok.code, 0, show(ok));
  assert.match(ok.stdout, /^3$/m, show(ok));
});

test("socketTextStream without its host (a job argument not given) or with a port out of range fails at the call, naming it, instead of a receiver restarting every 2 s", async () => {
  const { file: job, line: line } = writeJob('socket-args.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext, args: string[]) {',
    "  const ssc = new StreamingContext(sc, '1s');",
    '  ssc.socketTextStream(args[0]!, Number(args[1])).print(); // the call',
    '  ssc.start();',
    '  await ssc.awaitTermination();',
    '}',
  ], '// the call');
  const cases: [string[], string][] = [
    [[], "ssc.socketTextStream: the host must be the name or address of the machine the source listens on (e.g. 'localhost'), got undefined (missing: a job argument not given?"],
    [['127.0.0.1', '99999'], 'ssc.socketTextStream(127.0.0.1, ...): the port must be a whole number from 1 to 65535 (the TCP port the source listens on), got 99999'],
  ];
  for (const [args, said] of cases) {
    const r = await runCli(['run', '--workers', '1', job, ...args], { timeoutMs: 60_000 });
    assertFails(r, /failed \[SLUICE_BAD_ARGUMENT\]/);
    assert.ok(r.stderr.includes(said), `stderr says ${said}\n${show(r)}`);
    assert.ok(r.stderr.includes(`${job}:${line}:`), `the call's line\n${show(r)}`);
    assert.doesNotMatch(r.stderr, /receiver restarting/, show(r));
  }
});

test("a record holding Node's own object (a Socket) fails naming the class as Node's and what to do, not 'move it to the top level'", async () => {
  const { file: job } = writeJob('socket-record.ts', [
    "import net from 'node:net';",
    "import type { SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext) {',
    '  await sc.parallelize([1, 2], 2).map((n) => ({ n, sock: new net.Socket() })).collect();',
    '}',
  ]);
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assertFails(r, /failed \[SLUICE_TASK_NOT_SERIALIZABLE\]/);
  assert.match(r.stderr, /records of class Socket cannot travel between processes: it is not a class of the job's code but Node's/, show(r));
  assert.match(r.stderr, /open them where they are used \(once per partition, in mapPartitions or foreachPartition\)/, show(r));
  assert.doesNotMatch(r.stderr, /Move class Socket to the top level/, show(r));
  assert.ok(r.stderr.includes(`(records of rdd.map at ${job}:4:`), `names the map and its line\n${show(r)}`);
});

test("a result that cannot be sent to the driver names the operator that made its records and the job's line, with only the job's frames", async () => {
  const { file: job, line } = writeJob('fn-result.ts', [
    "import type { SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext) {',
    '  const nums = sc.parallelize([1, 2, 3], 2);',
    '  const fns = nums.filter((x) => x > 0).map((x) => () => x); // the operator',
    '  console.log((await fns.collect()).length);',
    '}',
  ], '// the operator');
  const site = mapCallSite(job, line);
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assertFails(r, /failed \[SLUICE_TASK_NOT_SERIALIZABLE\]: Job aborted due to stage failure: Task \d+\.0 in stage \d+\.0 \(TID \S+\) had a not serializable result: /);
  assert.ok(r.stderr.includes(`had a not serializable result: the result of partition 0 (records of rdd.map at ${site}) cannot be sent to the driver: () => x could not be cloned.`), show(r));
  assertOnlyJobFrames(r, job);
});

test("records a shuffle or a cache cannot write name the operator that made them and the job's line, with none of Sluice's frames", async () => {
  const { file: job, line } = writeJob('fn-shuffle.ts', [
    "import type { SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext, args: string[]) {',
    '  const pairs = sc.parallelize([1, 2, 3], 2).map((x) => [x % 2, () => x] as [number, () => number]); // the operator',
    "  console.log(await (args[0] === 'cache' ? pairs.cache() : pairs.groupByKey()).count());",
    '}',
  ], '// the operator');
  const site = mapCallSite(job, line);
  for (const [arg, doing] of [['groupByKey', 'written for the shuffle'], ['cache', 'cached (MEMORY_ONLY)']] as const) {
    const r = await runCli(['run', '--workers', '1', job, arg], { timeoutMs: 60_000 });
    assertFails(r, /failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: Task \d+ in stage \d+\.0 failed 4 times, most recent failure: /);
    assert.ok(r.stderr.includes(`: records of rdd.map at ${site} cannot be ${doing}: () => x could not be cloned.`), show(r));
    assertOnlyJobFrames(r, job);
  }
});

test('an action not awaited in foreachRDD whose job fails ends the program saying a promise nobody awaited was rejected, and how to await it', async () => {
  const { file: job, line: line } = writeJob('not-awaited.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext) {',
    "  const ssc = new StreamingContext(sc, '500ms');",
    "  ssc.queueStream([sc.parallelize(['1', 'x'], 2)]).foreachRDD((rdd) => {",
    "    void rdd.foreach((s) => { if (s === 'x') throw new Error('bad ' + s); }); // the throw",
    '  });',
    '  ssc.start();',
    '  await ssc.awaitTermination();',
    '}',
  ], '// the throw');
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assertFails(r, /failed \[SLUICE_JOB_FAILED\]: the driver program crashed: a promise nobody awaited was rejected \(in a program, usually an action not awaited: write `stream\.foreachRDD\(async \(rdd\) => \{ await rdd\.foreach\(f\); \}\)`, await every action\): Job aborted due to stage failure: .*: bad x/);
  assert.ok(r.stderr.includes(`${job}:${line}:`), `the throw's line\n${show(r)}`);
});

test("a program's own throw on the driver prints its class, as a task's error and Spark's driver do ('QuotaExceeded: ...', 'TypeError: ...'), through `sluice run` and `sluice submit`; one thrown in a timer as well", { timeout: 180_000 }, async () => {
  const { file: job, line } = writeJob('own-throw.ts', [
    "import type { SluiceContext } from '@sluice/core';",
    'class QuotaExceeded extends Error {}',
    'export default async function (sc: SluiceContext, args: string[]) {',
    '  const n = await sc.parallelize([1, 2, 3], 1).count();',
    "  if (args[0] === 'type') { const o: { x?: { y: number } } = {}; console.log(o.x!.y + n); }",
    "  if (args[0] === 'timer') { setTimeout(() => { throw new RangeError(`thrown in a timer after ${n}`); }, 10); await new Promise((r) => setTimeout(r, 2000)); }",
    '  throw new QuotaExceeded(`over quota after ${n} records`); // the throw',
    '}',
  ], '// the throw');
  const failed = (r: CliResult, said: string): void => {
    assertFails(r, /failed \[SLUICE_JOB_FAILED\]/);
    assert.ok(r.stderr.includes(`failed [SLUICE_JOB_FAILED]: ${said}\n`), `stderr says ${said}\n${show(r)}`);
  };
  const own = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  failed(own, 'QuotaExceeded: over quota after 3 records');
  assert.ok(own.stderr.includes(`${job}:${line}:`), `the throw's line\n${show(own)}`);
  failed(await runCli(['run', '--workers', '1', job, 'type'], { timeoutMs: 60_000 }), "TypeError: Cannot read properties of undefined (reading 'y')");
  failed(await runCli(['run', '--workers', '1', job, 'timer'], { timeoutMs: 60_000 }), 'the driver program crashed: RangeError: thrown in a timer after 3');
  const secret = randomSecret();
  const driver = await startDriverProcess(secret);
  let worker: SluiceProcess | undefined;
  try {
    worker = await startWorkerProcess(driver.address, secret);
    const submitted = await runCli(['submit', '--driver', driver.address, job], { env: { ...NO_SECRET_FILE, SLUICE_SECRET: secret }, timeoutMs: 60_000 });
    failed(submitted, 'QuotaExceeded: over quota after 3 records');
  } finally {
    await worker?.stop();
    await driver.stop();
  }
});

test("the streaming guide's wrong foreachRDD pattern (a connection made on the driver, used in rdd.foreach not awaited) fails as Task not serializable naming the variable, under the program's frames only", async () => {
  const { file: job, line } = writeJob('guide-wrong-pattern.ts', [
    "import net from 'node:net';",
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext) {',
    "  const ssc = new StreamingContext(sc, '500ms');",
    "  ssc.queueStream([sc.parallelize(['a', 'b'], 2)]).foreachRDD((rdd) => {",
    '    const connection = new net.Socket(); // executed at the driver',
    '    void rdd.foreach((record) => { connection.write(record); }); // executed at the worker',
    '  });',
    '  ssc.start();',
    '  await ssc.awaitTermination();',
    '}',
  ], '// executed at the worker');
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assertFails(r, new RegExp(`failed \\[SLUICE_JOB_FAILED\\]: the driver program crashed: a promise nobody awaited was rejected .*: Task not serializable: rdd\\.foreach at ${job.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+ captures 'connection' \\(a Socket\\)`));
  // Since 2026-12-05 trimmed as the program's other errors are: before, ~30 of Sluice's frames around this one.
  assertOnlyJobFrames(r, job);
});

test("sc.textFile(path, -1) and ssc.textFileStream(dir, 4) are refused at the call with the rule and the fix (Spark passes the first to Hadoop unchecked, and the number was taken as no options); a block interval longer than the batch interval is warned of, naming both and the fix", { timeout: 120_000 }, async () => {
  fs.writeFileSync(path.join(tmp, 'lines.txt'), 'a\nb\nc\n');
  const { file: job, line } = writeJob('bad-partitions.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default async function (sc: SluiceContext, args: string[]) {',
    `  if (args[0] === 'textFile') console.log('LINES', await sc.textFile(${JSON.stringify(path.join(tmp, 'lines.txt'))}, Number(args[1])).count());`,
    "  if (args[0] === 'stream') (new StreamingContext(sc, '1s').textFileStream as (d: string, n: number) => unknown)(args[1]!, 4);",
    "  if (args[0] === 'block') {",
    "    const ssc = new StreamingContext(sc, '500ms', { blockInterval: '2s' }); // the context",
    '    ssc.queueStream([sc.parallelize([1, 2, 3], 1)]).count().print();',
    '    ssc.start();',
    '    await ssc.awaitTerminationOrTimeout(1200);',
    '    ssc.stop();',
    '  }',
    '}',
  ], '// the context');
  for (const bad of ['-1', '1.5']) {
    const r = await runCli(['run', '--workers', '1', job, 'textFile', bad], { timeoutMs: 60_000 });
    assertFails(r, /SLUICE_BAD_ARGUMENT/);
    // The default is min(defaultParallelism, 2): 1 or 2 by the worker's cores.
    const said = `sc.textFile(${JSON.stringify(path.join(tmp, 'lines.txt'))}, minPartitions): minPartitions must be a whole number >= 0, got ${bad}; it is the least number of partitions the files are split into (0 is taken as 1, as Hadoop's); leave it out for the default, `;
    assert.ok(r.stderr.includes(said), `stderr says ${said}\n${show(r)}`);
    assert.match(r.stderr.slice(r.stderr.indexOf(said) + said.length), /^[12] \(Spark's defaultMinPartitions, min\(defaultParallelism, 2\)\)\n/, show(r));
  }
  // 0 is Hadoop's 1: the file's 3 lines.
  const zero = await runCli(['run', '--workers', '1', job, 'textFile', '0'], { timeoutMs: 60_000 });
  assert.equal(zero.code, 0, show(zero));
  assert.ok(zero.stdout.includes('LINES 3'), show(zero));
  const stream = await runCli(['run', '--workers', '1', job, 'stream', tmp], { timeoutMs: 60_000 });
  assertFails(stream, /SLUICE_BAD_ARGUMENT/);
  const streamSaid = `textFileStream(${tmp}): got 4 after the directory, as sc.textFile's minPartitions; textFileStream takes no partition count (nor does Spark's): each batch's RDD has a partition per new file; to spread each batch over 4 partitions, write .repartition(4) on the stream`;
  assert.ok(stream.stderr.includes(streamSaid), `stderr says ${streamSaid}\n${show(stream)}`);
  const block = await runCli(['run', '--workers', '1', job, 'block'], { timeoutMs: 60_000 });
  assert.equal(block.code, 0, show(block));
  const warned = block.stderr.split('\n').filter((l) => l.includes('the block interval is longer than the batch interval'));
  assert.equal(warned.length, 1, show(block));
  assert.ok(warned[0]!.includes(`${job}:${line}:`), `the context's line\n${show(block)}`);
  assert.ok(warned[0]!.includes("every 2000 ms: of the 500 ms batches, those between two cuts get none of a receiver's records and the next gets them up to 1500 ms late"), show(block));
  assert.ok(warned[0]!.includes("give a block interval of at most the batch interval, such as { blockInterval: '200ms' }"), show(block));
});

test('a program that starts its StreamingContext and returns without awaiting it is warned, naming where the context was made', async () => {
  const { file: job, line: line } = writeJob('returns-at-once.ts', [
    "import { StreamingContext, type SluiceContext } from '@sluice/core';",
    'export default function (sc: SluiceContext): void {',
    "  const ssc = new StreamingContext(sc, '500ms'); // made here",
    '  ssc.queueStream([sc.parallelize([1, 2, 3], 1)]).count().print();',
    '  ssc.start();',
    '}',
  ], '// made here');
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 60_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 0, `it ends as a Spark driver whose main returned\n${show(r)}`);
  const warned = r.stderr.split('\n').filter((l) => l.includes("the job's program returned while the StreamingContext created at"));
  assert.equal(warned.length, 1, show(r));
  assert.ok(warned[0]!.includes(`${job}:${line}:`), show(r));
  assert.ok(warned[0]!.includes('await ssc.awaitTermination()'), show(r));
});
