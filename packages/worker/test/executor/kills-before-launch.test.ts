// A task the driver killed before its launch reached the executor does not start: KillTask
// and RunTasks are separate gRPC streams, so the kill of a task sent just before its job was
// cancelled can come first, or while the launch waits for the job's bundle. Such a task ran
// to its end in a slot the driver counted free (a cancelled job's task holding a thread for a
// minute, seen in core-spark-suites' job tags). Here on a real Executor with a real task
// thread and a bundle source the test holds; plus KillsBeforeLaunch's bounds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { BUNDLE_EVAL_EXPORT } from '@sluice/core/internal';
import { Executor, type TaskToRun } from '../../src/executor/executor.js';
import { KillsBeforeLaunch } from '../../src/executor/kills-before-launch.js';
import type { BlockManager } from '../../src/storage/block-manager.js';
import type { IndexShuffleBlockResolver } from '../../src/shuffle/index-shuffle-block-resolver.js';
import type { ShuffleClient } from '../../src/shuffle/shuffle-client.js';
import type { ReportStreamOpener } from '../../src/receiver/receiver-reporter.js';

const log = pino({ level: 'silent' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kill-before-launch-'));
const bundle = path.join(dir, 'bundle.mjs');
fs.writeFileSync(bundle, `export const ${BUNDLE_EVAL_EXPORT} = (s) => eval(s);\n`);

/** Bundle requests, each answered when the test says (`answer`, or `answerWith` another path), with whether the bundle was to be looked for on disk. */
const asked: { jobId: string; onDisk: boolean; answer: () => void; answerWith: (file: string) => void }[] = [];
const executor = new Executor(
  1,
  // No block is read here: only what the constructor calls (decoded copies' drop notices, aafc1505).
  { onDecodedDropped: () => undefined } as unknown as BlockManager,
  {} as IndexShuffleBlockResolver,
  {} as ShuffleClient,
  (jobId, _sha, onDisk) => new Promise<string>((resolve) => asked.push({ jobId, onDisk, answer: () => resolve(bundle), answerWith: resolve })),
  log,
  'w-test',
  () => '127.0.0.1:1',
  () => Promise.reject(new Error('no broadcasts here')),
  { shuffleSpillRecords: 1000 },
  (() => {
    throw new Error('no receivers here');
  }) as ReportStreamOpener,
  log,
  1,
  false,
);
after(() => {
  executor.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A task of job `jobId` whose stage payload is no TaskPayload: run, it fails in its thread. */
const task = (taskId: string, jobId: string): TaskToRun => ({
  taskId,
  jobId,
  bundleSha256: 'sha-of-the-bundle',
  stageId: 0,
  shuffleId: -1,
  stageKey: `${jobId}.s0`,
  stagePayload: new Uint8Array([0xff, 0xfe, 0xfd]),
  partition: 0,
  taskData: new Uint8Array(0),
});

async function until(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a kill that comes before its task: the task never starts, not even its bundle is asked for', { timeout: 30_000 }, async () => {
  assert.equal(executor.kill('job-a.t0'), false, 'nothing of that id runs here');
  const outcome = await executor.launch(task('job-a.t0', 'job-a'));
  assert.deepEqual(outcome, { killed: true });
  assert.equal(asked.length, 0, 'the bundle was fetched for a task killed before it came');
  assert.deepEqual(executor.runningTaskIds, []);
});

test("a kill while the launch waits for the job's bundle: the task never starts; another task of the job runs", { timeout: 60_000 }, async () => {
  const killed = executor.launch(task('job-b.t0', 'job-b'));
  await until(() => asked.length === 1, 'the bundle asked for');
  // Heartbeats report a task from its arrival, before its bundle: the driver takes a task
  // that no heartbeat lists, past a bound, for one that never reached the worker.
  assert.deepEqual(executor.runningTaskIds, ['job-b.t0'], 'a task waiting for its bundle is reported');
  assert.equal(executor.kill('job-b.t0'), false, 'the task is not running yet');
  asked[0]!.answer();
  assert.deepEqual(await killed, { killed: true });
  assert.deepEqual(executor.runningTaskIds, []);
  // The control: a task of the same job not killed runs in a thread (and fails there, its payload being none).
  const ran = executor.launch(task('job-b.t1', 'job-b'));
  await until(() => asked.length === 2, 'the bundle asked for again');
  asked[1]!.answer();
  const outcome = await ran;
  assert.ok(outcome.error !== undefined && outcome.error !== null, `the control task did not run to an error: ${JSON.stringify(outcome)}`);
});

test("the job's bundle is looked for on disk only for a task that may start a thread (which loads it), not for every task", { timeout: 60_000 }, async () => {
  // One task thread: the job's first task starts it; the next ones run in it, which loaded the bundle already.
  const from = asked.length;
  for (let i = 0; i < 3; i++) {
    const ran = executor.launch(task(`job-c.t${i}`, 'job-c'));
    await until(() => asked.length === from + i + 1, `the bundle asked for by task ${i}`);
    asked[from + i]!.answer();
    await ran;
  }
  assert.deepEqual(asked.slice(from, from + 3).map((a) => [a.jobId, a.onDisk]), [['job-c', true], ['job-c', false], ['job-c', false]]);
});

test('a task whose thread could not load the bundle (gone from disk) has it looked for again, and its retry runs in a thread that loads it', { timeout: 60_000 }, async () => {
  const from = asked.length;
  const file = path.join(dir, 'removed', 'bundle.mjs');
  const ran = executor.launch(task('job-d.t0', 'job-d'));
  await until(() => asked.length === from + 1, 'the bundle asked for');
  // Removed between the check and the thread's import of it.
  asked[from]!.answerWith(file);
  const outcome = await ran;
  assert.equal(outcome.error?.code, 'SLUICE_JOB_LOAD', JSON.stringify(outcome));
  assert.match(outcome.error?.message ?? '', /^the job bundle failed to load on this worker: /);
  await until(() => asked.length === from + 2, 'the bundle asked for again');
  assert.deepEqual([asked[from + 1]!.jobId, asked[from + 1]!.onDisk], ['job-d', true]);
  // Fetched again (as WorkerNode.bundleGone does), at its path.
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(bundle, file);
  asked[from + 1]!.answerWith(file);
  // The retry: the thread that failed to load it was retired (once the answer's callbacks ran), so a new one starts and loads it.
  await new Promise((r) => setImmediate(r));
  const retried = executor.launch(task('job-d.t1', 'job-d'));
  await until(() => asked.length === from + 3, 'the bundle asked for by the retry');
  assert.equal(asked[from + 2]!.onDisk, true, 'the retry may start a thread');
  asked[from + 2]!.answerWith(file);
  const again = await retried;
  assert.ok(again.error !== undefined && again.error !== null, JSON.stringify(again));
  assert.notEqual(again.error.code, 'SLUICE_JOB_LOAD', `the retry ran in a thread that loaded the bundle (it fails on its payload): ${again.error.message}`);
});

test('KillsBeforeLaunch: each kill taken once; kept for its time to live, at most its maximum, the oldest forgotten first', () => {
  const k = new KillsBeforeLaunch(1000, 3);
  k.add('a', 0);
  assert.equal(k.take('a'), true);
  assert.equal(k.take('a'), false, 'taken twice');
  k.add('b', 0);
  k.add('c', 500);
  k.add('d', 1001); // b is past its time to live
  assert.equal(k.take('b'), false, 'kept past its time to live');
  k.add('e', 1002);
  k.add('f', 1003); // four kept: the oldest (c) goes
  assert.equal(k.size, 3);
  assert.equal(k.take('c'), false, 'the oldest kept past the maximum');
  assert.deepEqual(['d', 'e', 'f'].map((id) => k.take(id)), [true, true, true]);
});
