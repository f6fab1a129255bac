// JobSandbox's batched hop, with real threads that play a task thread from a script: the
// tasks a thread is given in one turn go in one message (an idle thread's and the one
// waiting behind it), each task ends once with its own outcome; killing a task that waits
// in a thread, a thread that exits and a thread that retires each end at most the task
// they concern, and the tasks the thread held behind it run on another thread; a tiny
// stage's tasks run on as few threads as answer them, and go to another one when those stop
// answering. (The same
// on a cluster, with the real task thread: packages/cli/test/task-stream.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker as Thread } from 'node:worker_threads';
import { pino } from 'pino';
import { JobSandbox, TASKS_PER_THREAD, TINY_BEHIND_MS, TINY_STREAK, TINY_TASK_MS, type SandboxHost } from '../../src/executor/job-sandbox.js';
import type { MainToThread, ThreadOutcome } from '../../src/executor/thread-protocol.js';

/**
 * A task thread's stand-in: runs the tasks it is given one at a time, in order; what a task
 * does is its stage key: `quick` ends at once with [partition], `hold` too but its outcome
 * waits to go with the next task's, if one waits (as task-thread.ts does after a tiny task), `slow` after
 * 300 ms, `block` never, `tiny` and `long` at once saying they ran 0.1 and 50 ms (`tiny`'s
 * partition 99 never ends), `exit` ends the thread (`early`: as soon as it is given the task, before it
 * starts), `retire` fails itself and retires the thread
 * (as an unhandled error in the job's code does). It shows the task it runs in the sandbox's
 * running-task cell, as the real thread does.
 */
const FAKE_THREAD = `
const { parentPort } = require('node:worker_threads');
const pending = [];
let running = false;
/** The running-task cell (run.running): the number of the task running, 0 between tasks. */
let cell;
let started = 0;
/** Outcomes not sent yet ('hold'): they go with the next task's. */
let unsent = [];
function next() {
  if (running || pending.length === 0) return;
  const t = pending.shift();
  running = true;
  if (cell) Atomics.store(cell, 0, ++started);
  const end = (outcome, send = true) => {
    running = false;
    if (cell) Atomics.store(cell, 0, 0);
    unsent.push({ taskId: t.taskId, outcome });
    if (send || pending.length === 0) {
      parentPort.postMessage({ type: 'done', ended: unsent });
      unsent = [];
    }
    setImmediate(next);
  };
  const result = { kind: 'result', value: new Uint8Array([t.partition]), shuffleReadBytes: 0 };
  if (t.stageKey === 'tiny' || t.stageKey === 'long') {
    // Ends at once, saying it ran 0.1 ms ('tiny') or 50 ms ('long'); partition 99 of 'tiny' blocks.
    if (t.stageKey === 'tiny' && t.partition === 99) return setInterval(() => undefined, 1000);
    return setImmediate(() => {
      running = false;
      if (cell) Atomics.store(cell, 0, 0);
      parentPort.postMessage({ type: 'done', ended: [{ taskId: t.taskId, outcome: result, ms: t.stageKey === 'tiny' ? 0.1 : 50 }] });
      setImmediate(next);
    });
  }
  if (t.stageKey === 'quick') setImmediate(() => end(result));
  else if (t.stageKey === 'hold') setImmediate(() => end(result, false));
  else if (t.stageKey === 'slow') setTimeout(() => end(result), 300);
  else if (t.stageKey === 'block') setInterval(() => undefined, 1000);
  else if (t.stageKey === 'exit') process.exit(3);
  else if (t.stageKey === 'retire') {
    parentPort.postMessage({ type: 'done', ended: [{ taskId: t.taskId, outcome: { kind: 'error', code: 'SLUICE_TASK_FAILED', message: 'left unhandled', stack: '' } }] });
    parentPort.postMessage({ type: 'retire', reason: 'test' });
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'run') {
    if (m.running) cell = new Int32Array(m.running);
    if (m.tasks[0]?.stageKey === 'early') process.exit(4);
    pending.push(...m.tasks);
    next();
  }
});
`;

const host: SandboxHost = {
  onCachePut: () => undefined,
  cacheGet: () => undefined,
  broadcasts: () => Promise.resolve({}),
  blockGet: () => Promise.resolve({ misses: [] }),
  fetch: () => Promise.reject(new Error('no shuffles here')),
};

/** A sandbox of `threads` fake threads; `runs` lists each 'run' message: the thread's number and its task ids. */
function sandbox(threads: number): { box: JobSandbox; runs: { thread: number; tasks: string[] }[]; started: () => number } {
  const runs: { thread: number; tasks: string[] }[] = [];
  let n = 0;
  const box = new JobSandbox(
    'job-1',
    'sha-1',
    () => {
      const thread = new Thread(FAKE_THREAD, { eval: true });
      const id = n++;
      const post = thread.postMessage.bind(thread);
      thread.postMessage = (msg: MainToThread, transfer?: readonly ArrayBuffer[]) => {
        if (msg.type === 'run') runs.push({ thread: id, tasks: msg.tasks.map((t) => t.taskId) });
        post(msg, transfer as ArrayBuffer[]);
      };
      return thread;
    },
    threads,
    host,
    pino({ level: 'silent' }),
  );
  return { box, runs, started: () => n };
}

const run = (box: JobSandbox, taskId: string, partition: number, kind: string): Promise<ThreadOutcome | 'killed'> =>
  box.run(taskId, partition, kind, new Uint8Array([1, 2, 3]), new Uint8Array(0));

/** The end of this turn of the event loop (the sandbox gives a turn's tasks to threads then). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function valueOf(o: ThreadOutcome | 'killed'): number | string {
  if (o === 'killed') return 'killed';
  if (o.kind === 'result') return o.value[0];
  if (o.kind === 'error') return `error: ${o.message}`;
  return o.kind;
}

test('tasks given to threads in one turn go in one message each; each task ends once with its own outcome', { timeout: 60_000 }, async () => {
  assert.equal(TASKS_PER_THREAD, 2);
  const { box, runs } = sandbox(2);
  try {
    const outcomes = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((p) => run(box, `t${p}`, p, 'quick')));
    assert.deepEqual(outcomes.map(valueOf), [0, 1, 2, 3, 4, 5, 6]);
    // The first turn: two threads started, each given a running task and the next in one message.
    assert.deepEqual(runs.slice(0, 2), [
      { thread: 0, tasks: ['t0', 't2'] },
      { thread: 1, tasks: ['t1', 't3'] },
    ]);
    const given = runs.flatMap((r) => r.tasks).sort();
    assert.deepEqual(given, ['t0', 't1', 't2', 't3', 't4', 't5', 't6'], 'every task given to a thread once');
    assert.ok(runs.every((r) => r.thread < 2), 'no thread beyond the two');
  } finally {
    box.close();
  }
});

test('killing a task that waits in a thread: it ends killed, the thread goes, the task it ran runs again on another', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(1);
  try {
    const slow = run(box, 'slow', 7, 'slow');
    const waiting = run(box, 'waiting', 8, 'quick');
    await turn();
    assert.deepEqual(runs, [{ thread: 0, tasks: ['slow', 'waiting'] }]);
    assert.equal(box.kill('waiting'), true);
    assert.equal(valueOf(await waiting), 'killed');
    assert.equal(valueOf(await slow), 7, 'the task the killed one waited behind ran again and ended');
    assert.deepEqual(runs.slice(1), [{ thread: 1, tasks: ['slow'] }]);
    assert.deepEqual(box.runningTaskIds, []);
    assert.equal(valueOf(await run(box, 'after', 9, 'quick')), 9);
  } finally {
    box.close();
  }
});

test('killing the running task of a thread: the task held behind it runs on another thread', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(1);
  try {
    const stuck = run(box, 'stuck', 1, 'block');
    const next = run(box, 'next', 2, 'quick');
    await turn();
    assert.deepEqual(runs, [{ thread: 0, tasks: ['stuck', 'next'] }]);
    assert.equal(box.kill('stuck'), true);
    assert.equal(valueOf(await stuck), 'killed');
    assert.equal(valueOf(await next), 2);
    assert.deepEqual(runs.slice(1), [{ thread: 1, tasks: ['next'] }]);
  } finally {
    box.close();
  }
});

test('a thread that exits fails the task it ran only; the task it held next succeeds on another thread', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(1);
  try {
    const dies = run(box, 'dies', 1, 'exit');
    const next = run(box, 'next', 2, 'quick');
    assert.match(String(valueOf(await dies)), /^error: the task thread died: exited with code 3/);
    assert.equal(valueOf(await next), 2);
    assert.deepEqual(runs, [
      { thread: 0, tasks: ['dies', 'next'] },
      { thread: 1, tasks: ['next'] },
    ]);
  } finally {
    box.close();
  }
});

test('a thread that exits while the outcome of the task before is not sent yet: only the task it ran fails; the other runs again', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(1);
  try {
    const held = run(box, 'held', 4, 'hold');
    const dies = run(box, 'dies', 5, 'exit');
    assert.match(String(valueOf(await dies)), /^error: the task thread died: exited with code 3/);
    assert.equal(valueOf(await held), 4, 'the task that ended before, its outcome lost with the thread, ran again on another thread');
    assert.deepEqual(runs, [
      { thread: 0, tasks: ['held', 'dies'] },
      { thread: 1, tasks: ['held'] },
    ]);
  } finally {
    box.close();
  }
});

test('a thread that dies before it starts a task fails the first task it held, once (not given to thread after thread)', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(1);
  try {
    const early = run(box, 'early', 1, 'early');
    const next = run(box, 'next', 2, 'quick');
    assert.match(String(valueOf(await early)), /^error: the task thread died: exited with code 4/);
    assert.equal(valueOf(await next), 2);
    assert.deepEqual(runs, [
      { thread: 0, tasks: ['early', 'next'] },
      { thread: 1, tasks: ['next'] },
    ]);
  } finally {
    box.close();
  }
});

test('a thread that retires: its failed task ends once, the task it held next runs on another thread', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(1);
  try {
    const bad = run(box, 'bad', 1, 'retire');
    const next = run(box, 'next', 2, 'quick');
    assert.equal(valueOf(await bad), 'error: left unhandled');
    assert.equal(valueOf(await next), 2);
    assert.deepEqual(runs, [
      { thread: 0, tasks: ['bad', 'next'] },
      { thread: 1, tasks: ['next'] },
    ]);
  } finally {
    box.close();
  }
});

test('close(): running, held and queued tasks all end killed', { timeout: 60_000 }, async () => {
  const { box } = sandbox(1);
  const all = ['a', 'b', 'c'].map((id, p) => run(box, id, p, 'block'));
  box.close();
  assert.deepEqual((await Promise.all(all)).map(valueOf), ['killed', 'killed', 'killed']);
});

test('close(giveBack): idle threads are handed back, alive and with no listener of the sandbox; a busy one is terminated and its tasks end killed', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(2);
  // Two threads: one ends its task (idle), the other keeps running one.
  const quick = run(box, 'quick', 1, 'quick');
  const busy = run(box, 'busy', 2, 'block');
  assert.equal(valueOf(await quick), 1);
  assert.deepEqual(runs, [
    { thread: 0, tasks: ['quick'] },
    { thread: 1, tasks: ['busy'] },
  ]);
  const given: Thread[] = [];
  box.close((t) => given.push(t));
  assert.equal(valueOf(await busy), 'killed');
  assert.equal(given.length, 1, 'one idle thread handed back');
  const idle = given[0];
  assert.equal(idle.listenerCount('message'), 0, "the sandbox's message listener left on the thread handed back");
  assert.equal(idle.listenerCount('exit'), 0, "the sandbox's exit listener left on the thread handed back");
  assert.equal(idle.listenerCount('error'), 0, "the sandbox's error listener left on the thread handed back");
  // Alive: it still answers (the fake thread runs a task given to it directly).
  const answered = new Promise<unknown>((r) => idle.once('message', r));
  idle.postMessage({ type: 'run', tasks: [{ taskId: 'direct', partition: 5, stageKey: 'quick' }] } satisfies MainToThread);
  assert.ok(await answered, 'the thread handed back answers');
  await idle.terminate();
});

/** After the sandbox gave the tasks launched so far to threads (its pump runs in a nextTick), before any thread could answer. */
const launched = (): Promise<void> => new Promise((r) => process.nextTick(r));

/** `p`, or a failure naming `what` after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test("a tiny stage's tasks run on one thread while it answers; a stage of longer tasks spreads over the threads", { timeout: 60_000 }, async () => {
  assert.ok(TINY_TASK_MS > 0.1 && TINY_TASK_MS < 50, 'the fake thread reports 0.1 ms (tiny) and 50 ms (not)');
  for (const [stage, threads] of [
    ['tiny', [0]],
    ['long', [0, 1, 2, 3]],
  ] as const) {
    const { box, runs } = sandbox(4);
    try {
      // One at a time: each on the first thread; afterwards the stage has a record of TINY_STREAK tasks.
      for (let p = 0; p < TINY_STREAK; p++) assert.equal(valueOf(await run(box, `w${p}`, p, stage)), p);
      const before = runs.length;
      const outcomes = Promise.all([10, 11, 12, 13, 14, 15, 16, 17].map((p) => run(box, `t${p}`, p, stage)));
      await launched();
      // The turn the eight were launched in: which threads were given tasks.
      const firstTurn = runs.slice(before);
      assert.deepEqual([...new Set(firstTurn.map((r) => r.thread))].sort(), threads, `${stage}: threads given tasks in the launch's turn`);
      if (stage === 'tiny') assert.deepEqual(firstTurn, [{ thread: 0, tasks: ['t10', 't11'] }], 'two to the thread, the others wait for it');
      assert.deepEqual((await outcomes).map(valueOf), [10, 11, 12, 13, 14, 15, 16, 17]);
      const given = runs.slice(before).flatMap((r) => r.tasks).sort();
      assert.deepEqual(given, ['t10', 't11', 't12', 't13', 't14', 't15', 't16', 't17'], 'every task given to a thread once');
    } finally {
      box.close();
    }
  }
});

test('tiny tasks waiting for a thread that stops answering go to another thread after TINY_BEHIND_MS; the one it held runs again once it is killed', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(4);
  try {
    for (let p = 0; p < TINY_STREAK; p++) assert.equal(valueOf(await run(box, `w${p}`, p, 'tiny')), p);
    const before = runs.length;
    const t0 = performance.now();
    const stuck = run(box, 'stuck', 99, 'tiny');
    const behind = run(box, 'behind', 10, 'tiny');
    const later = [11, 12, 13].map((p) => run(box, `t${p}`, p, 'tiny'));
    await launched();
    assert.deepEqual(runs.slice(before), [{ thread: 0, tasks: ['stuck', 'behind'] }]);
    // The thread holding 'stuck' never answers: the three waiting are given to another thread.
    assert.deepEqual((await within(Promise.all(later), 5_000, 'the tasks waiting behind a thread that does not answer')).map(valueOf), [11, 12, 13]);
    assert.ok(performance.now() - t0 >= TINY_BEHIND_MS - 1, 'they waited for the thread first');
    assert.ok(runs.slice(before + 1).every((r) => r.thread !== 0), 'none of them on the thread that does not answer');
    assert.ok(box.kill('stuck'));
    assert.equal(await stuck, 'killed');
    assert.equal(valueOf(await within(behind, 5_000, 'the task held behind the killed one')), 10);
  } finally {
    box.close();
  }
});
