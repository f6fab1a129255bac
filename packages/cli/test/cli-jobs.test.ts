import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { test } from 'node:test';
import { CLI_BIN, fixture, freePort, lineOf, runCli, sleep } from './harness.js';

const env = { SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '' };

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
}

/** The row of `sluice jobs` for one job, as columns. */
async function jobRow(driver: string, jobId: string): Promise<string[] | undefined> {
  const r = await runCli(['jobs', '--driver', driver], { env, timeoutMs: 60_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith(jobId));
  return line?.split(/\s{2,}/);
}

/** Runs the CLI with its standard output a pipe closed before it writes (`sluice jobs | head -0`): its exit code, signal and stderr. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return withClosed('stdout', args);
}

/** Runs the CLI with `which` a pipe closed before it writes and the other read: its exit code, signal and what the other got. */
function withClosed(which: 'stdout' | 'stderr', args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child[which]!.destroy();
  let stderr = '';
  child[which === 'stdout' ? 'stderr' : 'stdout']!.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stderr });
    }),
  );
}

test('sluice submit --detach, sluice jobs, sluice stop --graceful, and a failing output reported with file:line', async () => {
  const port = await freePort();
  const driver = `127.0.0.1:${port}`;
  const procs = [start(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'warn'])];
  try {
    procs.push(start(['worker', '--driver', driver, '--cores', '2', '--log-level', 'warn']));
    for (let i = 0; i < 100; i++) {
      const w = await runCli(['workers', '--driver', driver], { env, timeoutMs: 60_000 });
      if (/worker-/.test(w.stdout)) break;
      await sleep(200);
    }

    const submitted = await runCli(['submit', fixture('stream-cli.ts'), '--driver', driver, '--detach', '--', 'ok'], { env, timeoutMs: 60_000 });
    assert.equal(submitted.code, 0, submitted.stderr);
    const jobId = /submitted \S+ as (\S+)/.exec(submitted.stderr)?.[1];
    assert.ok(jobId, submitted.stderr);
    // The id alone on standard output, for `JOB=$(sluice submit --detach ...)`.
    assert.equal(submitted.stdout, `${jobId}\n`, 'submit --detach prints the job id on stdout');
    let row: string[] | undefined;
    for (let i = 0; i < 100; i++) {
      row = await jobRow(driver, jobId!);
      if (row && Number(row[3]) >= 3) break;
      await sleep(200);
    }
    // JOB NAME STATE BATCHES LAST-PROCESSING LAST-TOTAL-DELAY LAST-RECORDS
    assert.equal(row?.[1], 'stream-cli.ts');
    assert.equal(row?.[2], 'running');
    assert.ok(Number(row?.[3]) >= 3, `batches done: ${row}`);
    assert.match(row?.[4] ?? '', /^\d+ ms$/);
    assert.match(row?.[5] ?? '', /^\d+ ms$/);

    // sluice attach: the detached job's output, the lines printed before it attached (kept by
    // the driver) then the live ones, until the job ends (user58: a detached job's console
    // lines had no command to read them).
    const attachedLater = runCli(['attach', jobId!, '--driver', driver], { env, timeoutMs: 60_000 });
    const stopped = await runCli(['stop', jobId!, '--driver', driver, '--graceful'], { env, timeoutMs: 60_000 });
    assert.equal(stopped.code, 0, stopped.stderr);
    const attachedOut = await attachedLater;
    assert.equal(attachedOut.code, 0, attachedOut.stderr);
    const sums = attachedOut.stdout.split('\n').filter((l) => l !== '');
    assert.ok(sums.length >= 3, `the lines of the ${row?.[3]} batches done before attaching: ${attachedOut.stdout}`);
    assert.deepEqual([...new Set(sums)], ['SUM 10'], attachedOut.stdout);
    assert.equal(attachedOut.stderr, `job ${jobId} was stopped (sluice stop --graceful)\n`);
    const attachUnknown = await runCli(['attach', 'job-nope', '--driver', driver], { env, timeoutMs: 60_000 });
    assert.equal(attachUnknown.code, 1, attachUnknown.stderr);
    assert.equal(attachUnknown.stderr, `error [SLUICE_BAD_ARGUMENT]: the driver at ${driver} has no job 'job-nope': 'job-nope' is not a job id: ids look like job-0001-5b6f72, as sluice submit and sluice jobs print them; \`sluice jobs --driver ${driver}\` lists the jobs it has\n`);
    for (let i = 0; i < 100 && row?.[2] === 'running'; i++) {
      await sleep(200);
      row = await jobRow(driver, jobId!);
    }
    // Stopped, not succeeded: the job did not finish its work, it was stopped (Spark: KILLED).
    assert.equal(row?.[2], 'stopped');
    // Stopped again: it has already ended, and says so (not 'stop requested'), as Spark's
    // Master answers a kill of a finished driver.
    const again = await runCli(['stop', jobId!, '--driver', driver], { env, timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, `job ${jobId} has already ended (stopped): nothing to stop; \`sluice jobs\` shows how it ended\n`);

    // A non-graceful stop of a job whose `sluice submit` is attached: the job is `stopped`
    // too, and the attached submit says so once and exits 0 (the stop was asked for).
    const attached = runCli(['submit', '--driver', driver, fixture('stream-cli.ts'), 'ok'], { env, timeoutMs: 60_000 });
    let nowId: string | undefined;
    for (let i = 0; i < 100 && !nowId; i++) {
      await sleep(200);
      const jobs = await runCli(['jobs', '--driver', driver], { env, timeoutMs: 60_000 });
      nowId = jobs.stdout.split('\n').find((l) => /\srunning\s+[1-9]/.test(l))?.split(/\s+/)[0];
    }
    assert.ok(nowId, 'the attached job runs batches');
    const stopNow = await runCli(['stop', nowId!, '--driver', driver], { env, timeoutMs: 60_000 });
    assert.equal(stopNow.code, 0, stopNow.stderr);
    const ended = await attached;
    assert.equal(ended.timedOut, false, ended.stderr);
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /^SUM 10$/m);
    assert.equal(ended.stderr.match(/was stopped/g)?.length, 1, ended.stderr);
    assert.match(ended.stderr, new RegExp(`job ${nowId} was stopped \\(sluice stop\\)\n`));
    assert.doesNotMatch(ended.stderr, /failed|SLUICE_/, ended.stderr);
    assert.equal((await jobRow(driver, nowId!))?.[2], 'stopped');

    const unknown = await runCli(['stop', 'job-nope', '--driver', driver], { env, timeoutMs: 60_000 });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no job 'job-nope'/);

    // An output operation that throws: the submitting terminal and `sluice jobs` show the user's file:line.
    const line = lineOf(fixture('stream-cli.ts'), 'output exploded');
    const failed = await runCli(['submit', fixture('stream-cli.ts'), '--driver', driver, '--', 'throws'], { env, timeoutMs: 60_000 });
    assert.equal(failed.timedOut, false);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /output exploded at batch two/);
    // Once: not also as the job's own stderr (forwarded to stdout) or a second summary.
    assert.equal((failed.stdout + failed.stderr).match(/output exploded at batch two/g)?.length, 1, `${failed.stdout}\n${failed.stderr}`);
    assert.match(failed.stderr, new RegExp(`stream-cli\\.ts:${line}:`));
    const jobs = await runCli(['jobs', '--driver', driver], { env, timeoutMs: 60_000 });
    assert.match(jobs.stdout, /stream-cli\.ts\s+failed/);
    const failedId = /^(job-\S+)\s+stream-cli\.ts\s+failed/m.exec(jobs.stdout)![1]!;
    const stopFailed = await runCli(['stop', failedId, '--driver', driver, '--graceful'], { env, timeoutMs: 60_000 });
    assert.equal(stopFailed.code, 0, stopFailed.stderr);
    assert.match(stopFailed.stderr, new RegExp(`^job ${failedId} has already ended \\(failed\\): nothing to stop`));
    assert.doesNotMatch(stopFailed.stderr, /stop requested/);
    assert.match(jobs.stdout, new RegExp(`failed: Error: output exploded at batch two[\\s\\S]*stream-cli\\.ts:${line}:`));
    // The message once, then the user's frames (its stack's header, which repeats it, left out), as submit prints it.
    assert.equal(jobs.stdout.match(/output exploded at batch two/g)?.length, 1, jobs.stdout);

    // A batch action whose job fails: submit and `sluice jobs` print the task's frames, then
    // Spark's "Driver stacktrace:" naming the program's line that called collect() (its column
    // at `collect`, as V8 names a method call), once each.
    const actionFile = fixture('action-fails.ts');
    const actionLine = lineOf(actionFile, '.collect()');
    const actionColumn = fs.readFileSync(actionFile, 'utf8').split('\n')[actionLine - 1]!.indexOf('collect()') + 1;
    const parseLine = lineOf(actionFile, 'JSON.parse(s)');
    const driverFrames = new RegExp(`\\n {4}at parseRecord \\(\\S*action-fails\\.ts:${parseLine}:\\d+\\)\\n[\\s\\S]*\\nDriver stacktrace:\\n {4}at \\S+ \\(\\S*action-fails\\.ts:${actionLine}:${actionColumn}\\)\\n`);
    const actionFailed = await runCli(['submit', '--driver', driver, actionFile], { env, timeoutMs: 60_000 });
    assert.notEqual(actionFailed.code, 0, actionFailed.stderr);
    assert.match(actionFailed.stderr, driverFrames, actionFailed.stderr);
    assert.equal(actionFailed.stderr.match(/Driver stacktrace:/g)?.length, 1, actionFailed.stderr);
    const afterAction = await runCli(['jobs', '--driver', driver], { env, timeoutMs: 60_000 });
    assert.match(afterAction.stdout, driverFrames, afterAction.stdout);
    assert.equal(afterAction.stdout.match(/Driver stacktrace:/g)?.length, 1, afterAction.stdout);

    // Standard output a pipe whose reader has gone (`sluice jobs | head -1`): the command ends
    // quietly with 0, as a C program killed by SIGPIPE would end, not with Node's unhandled
    // EPIPE stack and 1. An attached submit leaves its job running on the driver.
    for (const args of [['jobs', '--driver', driver], ['workers', '--driver', driver], ['submit', '--driver', driver, fixture('stream-cli.ts'), 'ok']]) {
      const closed = await withClosedStdout(args);
      assert.deepEqual([closed.code, closed.signal], [0, null], `sluice ${args[0]} into a closed pipe: ${closed.stderr}`);
      assert.doesNotMatch(closed.stderr, /EPIPE|Unhandled|^\s+at /m, closed.stderr);
    }
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
});

test("sluice workers shows a worker's memory as it registers, before its first heartbeat", async () => {
  const port = await freePort();
  const driver = `127.0.0.1:${port}`;
  // Heartbeats every 30 s (a worker is lost only after 5 minutes without one): what `sluice
  // workers` shows in the first seconds came with the registration.
  const procs = [start(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'warn', '--heartbeat-ms', '30000', '--worker-timeout-ms', '300000'])];
  try {
    procs.push(start(['worker', '--driver', driver, '--cores', '1', '--memory', '48m', '--log-level', 'warn']));
    let row: string[] | undefined;
    for (let i = 0; i < 300 && row === undefined; i++) {
      const w = await runCli(['workers', '--driver', driver], { env, timeoutMs: 60_000 });
      row = w.stdout.split('\n').find((l) => l.startsWith('worker-'))?.split(/\s{2,}/);
      if (row === undefined) await sleep(100);
    }
    assert.ok(row, 'the worker registered');
    // WORKER ADDRESS CORES RUNNING COMPLETED RECEIVERS HEARTBEAT BLOCKS MEMORY DISK RSS STATE: 48m is 48 MiB.
    assert.equal(row[8], '0 MiB of 48 MiB', row.join(' | '));
    assert.equal(row[7], '0/0/0', row.join(' | '));
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
});

test('sluice run into a closed pipe stops its job as Ctrl-C does and exits 0', async () => {
  // A streaming job printing every 300 ms, its output read by nothing: the first line's EPIPE
  // stops the job (a SIGTERM to itself) and the local cluster, where Node's stack ended it with 1.
  const closed = await withClosedStdout(['run', '--workers', '1', fixture('stream-cli.ts'), 'ok']);
  assert.deepEqual([closed.code, closed.signal], [0, null], closed.stderr);
  assert.doesNotMatch(closed.stderr, /EPIPE|Unhandled|^\s+at /m, closed.stderr);
});

test('sluice run whose stderr alone is a closed pipe stops its job as Ctrl-C does at its first log line there, and exits 0', async () => {
  // `sluice run ... 2>&1 >out | head -1`: its log (at debug, a line a task) goes to the closed
  // pipe. pino dropped every line after the EPIPE without a word, and the streaming job, whose
  // output still had a reader, ran on for ever (killed at the 60 s bound); a C program writing
  // its log there dies of SIGPIPE. Its stdout is read here: the job printed, then stopped.
  const closed = await withClosed('stderr', ['run', '--workers', '1', '--log-level', 'debug', fixture('stream-cli.ts'), 'ok']);
  assert.deepEqual([closed.code, closed.signal], [0, null], closed.stderr);
});
