// SpareTaskThreads with real task threads: each thread is handed out once, spares are
// replaced after one is taken (once the worker has been idle for a while), a bound thread refuses a second job, and close() ends the
// spares; a thread given back after its job serves a later job of the same bundle only,
// importing the bundle afresh, and only if the job left nothing behind. (The cluster-level view — jobs' tasks on spares, no thread serving two jobs —
// is packages/cli/test/spare-task-threads.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Worker as Thread } from 'node:worker_threads';
import { pino } from 'pino';
import { BUNDLE_EVAL_EXPORT } from '@sluice/core/internal';
import { SPARE_REPLENISH_DELAY_MS, SpareTaskThreads } from '../../src/executor/spare-task-threads.js';
import type { MainToThread, ThreadToMain } from '../../src/executor/thread-protocol.js';

const log = pino({ level: 'silent' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spares-'));
const bundle = path.join(dir, 'bundle.mjs');
fs.writeFileSync(bundle, `export const ${BUNDLE_EVAL_EXPORT} = (s) => eval(s);\n`);
/** Each import of a probe bundle (probeBundle) appends `<name> <threadId>` here. */
const imports = path.join(dir, 'imports.log');
/** A bundle that logs each import of it, then runs `top` (its top-level code: what a job leaves behind). */
function probeBundle(name: string, top = ''): string {
  const file = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(
    file,
    `import fs from 'node:fs';\nimport { threadId } from 'node:worker_threads';\nfs.appendFileSync(${JSON.stringify(imports)}, ${JSON.stringify(name)} + ' ' + threadId + '\\n');\n${top}\nexport const ${BUNDLE_EVAL_EXPORT} = (s) => eval(s);\n`,
  );
  return file;
}
const importsOf = (name: string): number[] =>
  (fs.existsSync(imports) ? fs.readFileSync(imports, 'utf8') : '')
    .split('\n')
    .filter((l) => l.startsWith(`${name} `))
    .map((l) => Number(l.split(' ')[1]));
const taken: Thread[] = [];
after(async () => {
  for (const t of taken) await t.terminate();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function take(pool: SpareTaskThreads, jobId: string): Thread {
  const t = pool.take(jobId, 'sha-of-the-bundle', bundle);
  t.on('error', () => undefined);
  taken.push(t);
  return t;
}

test('each spare is handed out once, bound to one job, and replaced after a delay', { timeout: 120_000 }, async () => {
  const pool = new SpareTaskThreads(2, { shuffleSpillRecords: 1000 }, log);
  pool.start();
  pool.start(); // idempotent
  await until(() => pool.counts.ready === 2, 'two ready spares');
  assert.deepEqual(pool.counts, { spares: 2, ready: 2, reused: 0 });
  const a = take(pool, 'job-a');
  const b = take(pool, 'job-b');
  assert.notEqual(a.threadId, b.threadId, 'two jobs got the same thread');
  assert.deepEqual(pool.counts, { spares: 0, ready: 0, reused: 0 }, 'taken threads are no longer spares');
  const takenAt = Date.now();
  await until(() => pool.counts.ready === 2, 'the spares replaced');
  assert.ok(Date.now() - takenAt >= SPARE_REPLENISH_DELAY_MS * 0.9, 'replaced only after the delay');
  // With no spare left, take() starts a thread of its own; never one handed out before.
  const c = take(pool, 'job-c');
  const d = take(pool, 'job-d');
  const e = take(pool, 'job-e');
  const ids = [a, b, c, d, e].map((t) => t.threadId);
  assert.equal(new Set(ids).size, ids.length, `thread ids ${ids.join(', ')}`);
  pool.close();
  assert.deepEqual(pool.counts, { spares: 0, ready: 0, reused: 0 });
});

test('a taken spare is replaced only once the worker has run no task for the delay', { timeout: 120_000 }, async () => {
  const pool = new SpareTaskThreads(1, { shuffleSpillRecords: 1000 }, log);
  pool.start();
  await until(() => pool.counts.ready === 1, 'a ready spare');
  take(pool, 'job-a');
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  // One long task: nothing starts while it runs, however long past the delay.
  pool.taskStarted();
  await sleep(SPARE_REPLENISH_DELAY_MS * 2.5);
  assert.equal(pool.counts.spares, 0, 'a replacement started while a task ran');
  pool.taskEnded();
  // Then short tasks every 100 ms (a stream's batches): each pushes the replacement back.
  for (let i = 0; i < 15; i++) {
    await sleep(SPARE_REPLENISH_DELAY_MS / 10);
    pool.taskStarted();
    pool.taskEnded();
    assert.equal(pool.counts.spares, 0, `a replacement started ${i + 1} short tasks after a long one, each under the delay after the one before`);
  }
  const lastTaskAt = performance.now();
  await until(() => pool.counts.ready === 1, 'the spare replaced once the worker was idle');
  assert.ok(performance.now() - lastTaskAt >= SPARE_REPLENISH_DELAY_MS * 0.9, 'replaced before the worker had been idle for the delay');
  pool.close();
});

test('a thread bound to a job refuses a second one: it retires instead', { timeout: 60_000 }, async () => {
  const pool = new SpareTaskThreads(1, { shuffleSpillRecords: 1000 }, log);
  pool.start();
  await until(() => pool.counts.ready === 1, 'a ready spare');
  const t = take(pool, 'job-a');
  pool.close();
  const retired = new Promise<string>((resolve) =>
    t.on('message', (m: ThreadToMain) => {
      if (m.type === 'retire') resolve(m.reason);
    }),
  );
  t.postMessage({ type: 'bind', jobId: 'job-b', bundlePath: bundle } satisfies MainToThread);
  const reason = await Promise.race([retired, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the thread obeyed a second bind: no retire within 15 s')), 15_000).unref())]);
  assert.match(reason, /serves a job already; refused to serve job-b/);
});

test('close() terminates the spares', { timeout: 60_000 }, async () => {
  const pool = new SpareTaskThreads(2, { shuffleSpillRecords: 1000 }, log);
  pool.start();
  await until(() => pool.counts.ready === 2, 'two ready spares');
  const t = take(pool, 'job-a');
  const exited = new Promise<number>((r) => t.once('exit', r));
  pool.close();
  assert.deepEqual(pool.counts, { spares: 0, ready: 0, reused: 0 });
  // The taken thread is its job's to end, not the pool's: it still runs.
  const alive = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 300))]);
  assert.equal(alive, true, 'close() ended a thread a job owns');
});

test('a thread given back serves a later job of the same bundle only, which imports it afresh; one whose job left something behind is not kept', { timeout: 120_000 }, async () => {
  const clean = probeBundle('clean');
  const leaks = {
    timer: probeBundle('timer', 'setInterval(() => undefined, 60_000);'),
    global: probeBundle('global', 'globalThis.jobCounter = 1;'),
    builtin: probeBundle('builtin', 'Array.prototype.total = function () { return 0; };'),
    env: probeBundle('env', "process.env.JOB_SETTING = 'a';"),
  };
  const pool = new SpareTaskThreads(2, { shuffleSpillRecords: 1000 }, log, false);
  pool.start();
  await until(() => pool.counts.ready === 2, 'two ready spares');
  const bind = (jobId: string, sha: string, file: string): Thread => {
    const t = pool.take(jobId, sha, file);
    t.on('error', () => undefined);
    taken.push(t);
    return t;
  };
  const a = bind('job-a', 'sha-clean', clean);
  const b = bind('job-b', 'sha-clean', clean);
  await until(() => importsOf('clean').length === 2, 'both threads to import the bundle');
  pool.giveBack(a, 'job-a', 'sha-clean');
  pool.giveBack(b, 'job-b', 'sha-clean');
  await until(() => pool.counts.reused === 2, 'both threads kept');
  // Another bundle gets neither of them: a thread of its own (no spare is replaced here).
  const other = bind('job-c', 'sha-other', probeBundle('other'));
  assert.ok(![a.threadId, b.threadId].includes(other.threadId), 'a thread of another bundle was handed to job-c');
  assert.equal(pool.counts.reused, 2);
  // The same bundle gets them back, and each imports the bundle again (its module state is new).
  const again = [bind('job-d', 'sha-clean', clean), bind('job-e', 'sha-clean', clean)];
  assert.deepEqual(again.map((t) => t.threadId).sort(), [a.threadId, b.threadId].sort(), 'the threads given back were not reused');
  await until(() => importsOf('clean').length === 4, 'the bundle imported again by each reused thread');
  assert.deepEqual(importsOf('clean').sort(), [a.threadId, a.threadId, b.threadId, b.threadId].sort());

  // A job that left a timer, a global, a builtin's property or an environment variable: its thread is not kept.
  for (const [what, file] of Object.entries(leaks)) {
    const t = again[0];
    pool.giveBack(t, 'job-d', 'sha-clean');
    await until(() => pool.counts.reused === 1, `job-d's thread kept (${what})`);
    const u = bind(`job-${what}`, `sha-${what}`, file);
    // A fresh thread: the kept one is of another bundle.
    await until(() => importsOf(what).length === 1, `the ${what} bundle imported`);
    const exited = new Promise<void>((r) => u.once('exit', () => r()));
    pool.giveBack(u, `job-${what}`, `sha-${what}`);
    await within(exited, `the thread whose job left a ${what} to be terminated`);
    assert.equal(pool.counts.reused, 1, `the thread whose job left a ${what} was kept`);
    again[0] = bind('job-d', 'sha-clean', clean);
    assert.equal(again[0].threadId, t.threadId);
  }
  pool.close();
});

test('a fresh spare runs its warm-up of synthetic tasks while no job holds it and says so; a job taking it stops the warm-up, and the thread stays clean', { timeout: 120_000 }, async () => {
  const lines: { msg: string; tasks?: number; error?: string }[] = [];
  const debugLog = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const warmed = () => lines.filter((l) => l.msg === 'spare task thread warmed up');
  const pool = new SpareTaskThreads(2, { shuffleSpillRecords: 1000, warmUpTasks: 300 }, debugLog, false);
  pool.start();
  await until(() => warmed().length === 2, 'both spares to warm up');
  assert.deepEqual(
    warmed().map((l) => [l.tasks, l.error]),
    [
      [300, undefined],
      [300, undefined],
    ],
    'each spare ran all 300 synthetic tasks, none failed',
  );
  // A warmed thread serves a job and is kept after it: the warm-up left nothing ThreadBaseline sees.
  const t = pool.take('job-w', 'sha-warmed', probeBundle('warmed'));
  t.on('error', () => undefined);
  taken.push(t);
  await until(() => importsOf('warmed').length === 1, 'the bundle imported by the warmed thread');
  pool.giveBack(t, 'job-w', 'sha-warmed');
  await until(() => pool.counts.reused === 1, 'the warmed thread kept after its job');
  pool.close();

  // A warm-up of 100,000 tasks (many seconds) is under way when a job takes the spare: it stops.
  const long = new SpareTaskThreads(1, { shuffleSpillRecords: 1000, warmUpTasks: 100_000 }, debugLog, false);
  long.start();
  await until(() => long.counts.ready === 1, 'the spare ready');
  const u = long.take('job-l', 'sha-long', probeBundle('long'));
  u.on('error', () => undefined);
  taken.push(u);
  const warming = u.performance.eventLoopUtilization();
  await new Promise((r) => setTimeout(r, 300));
  // (Its loop busy before the bind was handled: the warm-up ran; an idle thread's is near 0.)
  const busyBefore = u.performance.eventLoopUtilization(warming).utilization;
  await until(() => importsOf('long').length === 1, 'the bundle imported by the thread taken during its warm-up');
  await new Promise((r) => setTimeout(r, 500));
  const from = u.performance.eventLoopUtilization();
  await new Promise((r) => setTimeout(r, 1000));
  const busyAfter = u.performance.eventLoopUtilization(from).utilization;
  assert.ok(busyAfter < 0.5, `the thread bound to a job went on with its warm-up (its event loop busy ${(busyAfter * 100).toFixed(0)}% of a second with no task; ${(busyBefore * 100).toFixed(0)}% while it was a spare)`);
  assert.equal(warmed().length, 2, 'a warm-up a job cut short said it warmed up');
  long.close();
});

async function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref())]);
}
