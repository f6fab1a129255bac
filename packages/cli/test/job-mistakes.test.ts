// Mistakes in a streaming job caught where they are made (issue 10, item 3), through the
// real CLI: `sluice submit` to a standing driver with 2 worker processes (and `sluice run`
// for the two a new user meets first). For each: the error code and message, the user's
// file:line, and where it shows — stderr of the command, `sluice jobs`, the driver's log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, lineOf, runCli, sleep, type CliResult } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const FIX = fixture('job-mistakes.ts');
const mark = (name: string): number => lineOf(FIX, `// MARK ${name}`);
/** `file:line:` of a marked line, as stacks and call sites name it. */
const at = (name: string): string => `${FIX}:${mark(name)}:`;

let secret: string;
let driver: SluiceProcess & { readonly address: string };
const workers: SluiceProcess[] = [];
let env: NodeJS.ProcessEnv;

before(async () => {
  secret = randomSecret();
  env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  driver = await startDriverProcess(secret);
  for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(driver.address, secret));
});

after(async () => {
  for (const w of workers) await w.stop();
  await driver?.stop();
});

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function submit(mistake: string, extra: readonly string[] = []): Promise<CliResult> {
  return runCli(['submit', '--driver', driver.address, ...extra, FIX, mistake], { env, timeoutMs: 90_000 });
}

function jobIdOf(r: CliResult): string {
  const m = /submitted job-mistakes\.ts as (\S+)/.exec(r.stderr);
  assert.ok(m, `no job id in stderr\n${show(r)}`);
  return m[1]!;
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly jobId?: string;
  readonly [k: string]: unknown;
}

function driverLog(jobId: string): LogLine[] {
  return driver.logLines.flatMap((l) => {
    try {
      const o = JSON.parse(l) as LogLine;
      return o.jobId === jobId ? [o] : [];
    } catch {
      return [];
    }
  });
}

/** Poll until the driver logged a line for `jobId` that `pred` accepts (bounded: 90 s, where 20 s could lapse under load). */
async function waitForLog(jobId: string, pred: (l: LogLine) => boolean, what: string): Promise<LogLine> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const l = driverLog(jobId).find(pred);
    if (l) return l;
    if (Date.now() > deadline) throw new Error(`the driver did not log ${what} for ${jobId}:\n${driver.logLines.slice(-30).join('\n')}`);
    await sleep(50);
  }
}

/**
 * A mistake as the user sees it: the submit fails (no hang) with `code` and every pattern on
 * stderr, including the user's `file:line`; `sluice jobs` shows the job failed with the same
 * message and place; the driver logged the failure at warn.
 */
async function assertMistake(mistake: string, code: string, patterns: readonly RegExp[], place: string): Promise<{ r: CliResult; id: string }> {
  const r = await submit(mistake);
  assert.equal(r.timedOut, false, `the submit hung\n${show(r)}`);
  assert.equal(r.code, 1, show(r));
  const id = jobIdOf(r);
  assert.ok(r.stderr.includes(`failed [${code}]`), `stderr names ${code}\n${show(r)}`);
  for (const p of patterns) assert.match(r.stderr, p, show(r));
  assert.ok(r.stderr.includes(place), `stderr names ${place}\n${show(r)}`);
  assert.match(r.stdout, /^DEFINING$/m, show(r));
  assert.doesNotMatch(r.stdout, /^BATCH/m, `no batch ran\n${show(r)}`);

  const jobs = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(jobs.code, 0, show(jobs));
  const row = jobs.stdout.split('\n').find((l) => l.startsWith(`${id} `));
  assert.match(row ?? '', /\bfailed\b/, `sluice jobs shows ${id} failed\n${show(jobs)}`);
  const failure = jobs.stdout.slice(jobs.stdout.indexOf(`\n${id} failed: `));
  assert.ok(failure.startsWith(`\n${id} failed: `), `sluice jobs prints the failure of ${id}\n${show(jobs)}`);
  for (const p of patterns) assert.match(failure, p, show(jobs));
  assert.ok(failure.includes(place), `sluice jobs names ${place}\n${show(jobs)}`);

  const logged = await waitForLog(id, (l) => l.msg === 'job failed', "'job failed'");
  assert.equal(logged.level, 40, JSON.stringify(logged));
  assert.equal(logged.code, code, JSON.stringify(logged));
  for (const p of patterns) assert.match(String(logged.message), p, JSON.stringify(logged));
  return { r, id };
}

test('a DStream map capturing a class instance with methods fails at the map call (sluice run and submit), naming the variable, dstream.map and the line', async () => {
  const patterns = [/Task not serializable: dstream\.map at /, /captures 'client' \(a MetricsClient\), which cannot be sent to workers/, /Create it inside the function, or use mapPartitions/];
  const run = await runCli(['run', '--workers', '2', FIX, 'dstream-client'], { env, timeoutMs: 90_000 });
  assert.equal(run.timedOut, false, show(run));
  assert.equal(run.code, 1, show(run));
  assert.ok(run.stderr.includes('failed [SLUICE_TASK_NOT_SERIALIZABLE]'), show(run));
  for (const p of patterns) assert.match(run.stderr, p, show(run));
  assert.ok(run.stderr.includes(`dstream.map at ${at('client-map')}`), `names the call ${at('client-map')}\n${show(run)}`);
  // At the call: before the next line of the program, so before start() and any batch.
  assert.doesNotMatch(run.stdout, /^(DEFINED|STARTED|BATCH)/m, show(run));
  assert.doesNotMatch(run.stderr, /rdd\.map|<unknown>/, show(run));

  await assertMistake('dstream-client', 'SLUICE_TASK_NOT_SERIALIZABLE', patterns, `dstream.map at ${at('client-map')}`);
});

test('a DStream reduceByKey capturing a socket fails at the call, naming conn, dstream.reduceByKey and the line', async () => {
  await assertMistake(
    'dstream-socket',
    'SLUICE_TASK_NOT_SERIALIZABLE',
    [/Task not serializable: dstream\.reduceByKey at /, /captures 'conn' \(a Socket\)/],
    `dstream.reduceByKey at ${at('socket-reduce')}`,
  );
});

test('a DStream map given a bound native function fails at the call, naming it and the fix (wrap it in an arrow function)', async () => {
  await assertMistake(
    'dstream-native',
    'SLUICE_TASK_NOT_SERIALIZABLE',
    [/Task not serializable: dstream\.map at .* was given the function 'bound sqrt', which is native or bound and has no source to send to workers/, /Wrap it in an arrow function written in the job/],
    `dstream.map at ${at('native-map')}`,
  );
});

test('`this` inside a shipped function fails at definition with the fix: copy the field into a local', async () => {
  await assertMistake(
    'this-field',
    'SLUICE_TASK_NOT_SERIALIZABLE',
    [/uses `this` \(this\.factor\), which does not travel with a shipped function/, /Copy the field into a local before the call and use the local inside the function: const factor = this\.factor;/],
    `dstream.map at ${at('this-map')}`,
  );
});

test('a receiver class defined inside the job function fails at start(), before any receiver is placed', async () => {
  const { r, id } = await assertMistake(
    'nested-receiver',
    'SLUICE_TASK_NOT_SERIALIZABLE',
    [/receiverStream\(Ticker\) at /, /the receiver class Ticker is not defined at the top level of the job file or of a module it imports/, /Move class Ticker to the top level of its module/],
    `receiverStream(Ticker) at ${at('nested-receiver')}`,
  );
  // The streams were defined; start() threw.
  assert.match(r.stdout, /^DEFINED$/m, show(r));
  assert.doesNotMatch(r.stdout, /^STARTED$/m, show(r));
  assert.deepEqual(driverLog(id).filter((l) => l.msg === 'starting receiver'), [], 'no receiver was placed on a worker');
});

test('a program that returns without starting its StreamingContext fails (sluice run and submit), naming where the context was made', async () => {
  const patterns = [/the job's program returned without starting the StreamingContext created at /, /1 stream\(s\)|\d+ stream\(s\)/, /output operations: foreachRDD/, /Call ssc\.start\(\)/];
  const place = `created at ${at('new-context')}`;
  const run = await runCli(['run', '--workers', '2', FIX, 'never-started'], { env, timeoutMs: 90_000 });
  assert.equal(run.timedOut, false, show(run));
  assert.equal(run.code, 1, show(run));
  assert.ok(run.stderr.includes('failed [SLUICE_NOT_STARTED]'), show(run));
  for (const p of patterns) assert.match(run.stderr, p, show(run));
  assert.ok(run.stderr.includes(place), show(run));

  const { r } = await assertMistake('never-started', 'SLUICE_NOT_STARTED', patterns, place);
  assert.match(r.stdout, /^DEFINED$/m, show(r));
});

test('awaitTermination() on a StreamingContext never started fails at once instead of waiting forever', async () => {
  const started = Date.now();
  const { r } = await assertMistake(
    'await-unstarted',
    'SLUICE_NOT_STARTED',
    [/ssc\.awaitTermination\(\): the StreamingContext created at .* was never started, so it would wait forever/, /call ssc\.start\(\) before ssc\.awaitTermination\(\)/],
    `created at ${at('new-context')}`,
  );
  // The stack printed under the message points at the user's await.
  assert.ok(r.stderr.includes(at('await-unstarted')), `the stack names ${at('await-unstarted')}\n${show(r)}`);
  assert.ok(Date.now() - started < 60_000);
});

test('a batch-only job (no StreamingContext) still succeeds', async () => {
  const r = await submit('batch-only');
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^SUM 55$/m, show(r));
});

test('a shipped function writing to a captured driver variable: the driver variable is unchanged, and one warning names the variable, the write and the line', async () => {
  const r = await submit('mutates-capture');
  assert.equal(r.code, 0, show(r));
  const id = jobIdOf(r);
  // Three batches ran with the queue's records; the driver's total stayed 0 (1+...+7 = 28 went to worker copies).
  assert.deepEqual(
    r.stdout.split('\n').filter((l) => l.startsWith('BATCH')).map((l) => l.replace(/^BATCH \d+ /, '')).map((j) => (JSON.parse(j) as number[]).sort((a, b) => a - b)),
    [[1, 2, 3, 4], [5, 6], [7]],
    show(r),
  );
  assert.match(r.stdout, /^TOTAL 0$/m, show(r));
  // The accumulator the README recommends brought the sum back: 1 + 2 + ... + 7.
  assert.match(r.stdout, new RegExp(`^ACC ${[1, 2, 3, 4, 5, 6, 7].reduce((a, b) => a + b)}$`, 'm'), show(r));
  await waitForLog(id, (l) => l.msg === 'job ended', "'job ended'");
  const warnings = driverLog(id).filter((l) => l.msg.startsWith('a shipped function writes to a captured driver variable'));
  // Once, though the function is shipped at the call and again for each of the 3 batches.
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  const w = warnings[0]!;
  assert.equal(w.level, 40);
  assert.equal(w.variable, 'total');
  assert.equal(w.write, 'total += n');
  assert.equal(w.operator, 'dstream.map');
  assert.ok(String(w.callSite).startsWith(at('mutate-map')), JSON.stringify(w));
  assert.match(String(w.hint), /accumulator/);
});

test("a batch interval given as a small number (PySpark's StreamingContext(sc, 2), in seconds there) is warned of once: milliseconds here, with the fix and the line", async () => {
  const r = await submit('seconds-as-number');
  assert.equal(r.code, 0, show(r));
  const id = jobIdOf(r);
  // It ran as asked, in 2 ms batches: the queue's three RDDs, one a batch.
  assert.deepEqual(
    r.stdout.split('\n').filter((l) => l.startsWith('BATCH')).map((l) => (JSON.parse(l.replace(/^BATCH \d+ /, '')) as number[]).sort((a, b) => a - b)),
    [[1, 2, 3, 4], [5, 6], [7]],
    show(r),
  );
  await waitForLog(id, (l) => l.msg === 'job ended', "'job ended'");
  const warnings = driverLog(id).filter((l) => l.msg.startsWith('the batch interval is a number under 20'));
  assert.equal(warnings.length, 1, JSON.stringify(driverLog(id).slice(0, 20)));
  const w = warnings[0]!;
  assert.equal(w.level, 40);
  assert.equal(w.batchIntervalMs, 2);
  assert.ok(String(w.callSite).startsWith(at('new-context')), JSON.stringify(w));
  assert.match(String(w.hint), /PySpark's StreamingContext\(sc, 2\) is 2 seconds: write Seconds\(2\) or '2s'/);
  // A context of 1000 (a second, as meant) is not warned of.
  const other = await submit('mutates-capture');
  await waitForLog(jobIdOf(other), (l) => l.msg === 'job ended', "'job ended'");
  assert.deepEqual(driverLog(jobIdOf(other)).filter((l) => l.msg.startsWith('the batch interval')), []);
});

test('receiver errors are logged at warn with their reason and shown in sluice jobs with how long ago', async () => {
  const r = await submit('receiver-errors', ['--detach']);
  assert.equal(r.code, 0, show(r));
  const id = jobIdOf(r);
  try {
    const logged = await waitForLog(id, (l) => l.msg === 'receiver reported an error', "'receiver reported an error'");
    assert.equal(logged.level, 40, JSON.stringify(logged));
    assert.match(String(logged.reason), /^sensor 7 offline: checksum mismatch #\d+$/, JSON.stringify(logged));

    const deadline = Date.now() + 90_000;
    let jobs: CliResult;
    for (;;) {
      jobs = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 });
      assert.equal(jobs.code, 0, show(jobs));
      if (jobs.stdout.includes(`${id} last receiver error`) || Date.now() > deadline) break;
      await sleep(200);
    }
    const m = new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} last receiver error, (\\d+\\.\\d) s ago: stream \\d+ \\(FlakySensor\\) on \\S+: sensor 7 offline: checksum mismatch #(\\d+)$`, 'm').exec(jobs.stdout);
    assert.ok(m, `sluice jobs shows the last receiver error\n${show(jobs)}`);
    // Reported every 200 ms: the last one is recent (10x loose).
    assert.ok(Number(m[1]) < 10, show(jobs));
  } finally {
    const stop = await runCli(['stop', id, '--driver', driver.address], { env, timeoutMs: 30_000 });
    assert.equal(stop.code, 0, show(stop));
    await waitForLog(id, (l) => l.msg === 'job ended' || l.msg === 'job failed', 'the end of the job');
  }
});

test("a job file whose default export is not its program fails saying what it exports and how to make it the program, with no frame of Sluice's", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-no-main-'));
  try {
    const cases: [string, string, string][] = [
      ['named.ts', "export const version = 2;\nexport async function main(sc: unknown) { return sc; }\n", "the job file has no default export; it exports the function 'main' by name: make the program the default export (`export default async function main(sc: SluiceContext) { ... }`)"],
      ['number.ts', 'export default 42;\n', "the job file's default export is a value of type number, not a function: export the program as `export default async function (sc: SluiceContext) { ... }`"],
      ['nothing.ts', 'export const rate = 5;\n', "the job file has no default export (it exports 'rate'): export the program as `export default async function (sc: SluiceContext) { ... }`"],
    ];
    for (const [file, text, message] of cases) {
      fs.writeFileSync(path.join(dir, file), text);
      const r = await runCli(['submit', '--driver', driver.address, path.join(dir, file)], { env, timeoutMs: 90_000 });
      assert.equal(r.code, 1, show(r));
      assert.ok(r.stderr.includes(`failed [SLUICE_JOB_NO_MAIN]: ${message}\n`), `${file}: the message\n${show(r)}`);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${file}: no stack frame (none is the user's)\n${show(r)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
