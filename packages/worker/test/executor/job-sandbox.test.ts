// JobSandbox's batched hop, with real threads that play a task thread from a script: the
// tasks a thread is given in one turn go in one message (an idle thread's and the one
// waiting behind it), each task ends once with its own outcome; killing a task that waits
// in a thread, a thread that exits and a thread that retires each end at most the task
// they concern, and the tasks the thread held behind it run on another thread. (The same
// on a cluster, with the real task thread: packages/cli/test/task-stream.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker as Thread } from 'node:worker_threads';
import { pino } from 'pino';
import { JobSandbox, TASKS_PER_THREAD, THREAD_LOCALITY_WAIT_MS, type SandboxHost, type TaskKilled } from '../../src/executor/job-sandbox.js';
import type { MainToThread, ThreadOutcome } from '../../src/executor/thread-protocol.js';

/**
 * A task thread's stand-in: runs the tasks it is given one at a time, in order; what a task
 * does is its stage key: `quick` ends at once with [partition], `hold` too but its outcome
 * waits to go with the next task's, if one waits (as task-thread.ts does after a tiny task), `slow` after
 * 300 ms, `read` after reading its partition's cached block from the store, `keep` after reading it and keeping it decoded, `block` never, `exit` ends the thread (`early`: as soon as it is given the task, before it
 * starts), `retire` fails itself and retires the thread
 * (as an unhandled error in the job's code does); a key's task-stream prefix (`3:`) is ignored. It shows the task it runs in the sandbox's
 * running-task cell, as the real thread does, and a `block` or `slow` task's measurements (RunningMeasure: its compute's
 * start, 12 shuffle records read, 3 ms waited, 345 bytes, 678 input bytes in 9 records) after it.
 */
const FAKE_THREAD = `
const { parentPort } = require('node:worker_threads');
const pending = [];
let running = false;
/** The running-task cell (run.running): the number of the task running, 0 between tasks. */
let cell;
/** The running task's measurements (run.running from byte 8: task, compute start, records, wait, bytes, input bytes, input records). */
let measure;
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
  const kind = t.stageKey.replace(/^\\d+:/, '');
  if (measure && (kind === 'block' || kind === 'slow')) measure.set([started, performance.timeOrigin + performance.now(), 12, 3, 345, 678, 9]);
  if (kind === 'quick') setImmediate(() => end(result));
  else if (kind === 'hold') setImmediate(() => end(result, false));
  else if (kind === 'slow') setTimeout(() => end(result), 300);
  else if (kind === 'block') setInterval(() => undefined, 1000);
  else if (kind === 'exit') process.exit(3);
  else if (kind === 'read' || kind === 'keep') {
    // Reads its partition's cached block from the store (and keeps it decoded), as task-thread.ts does.
    const blockId = 'rdd_job-1_7_' + t.partition;
    parentPort.postMessage({ type: 'cacheGet', reqId: t.partition, blockId });
    if (kind === 'keep') parentPort.postMessage({ type: 'cacheDecoded', blockId, bytes: 100 });
    setImmediate(() => end(result));
  }
  else if (kind === 'retire') {
    parentPort.postMessage({ type: 'done', ended: [{ taskId: t.taskId, outcome: { kind: 'error', code: 'SLUICE_TASK_FAILED', message: 'left unhandled', stack: '' } }] });
    parentPort.postMessage({ type: 'retire', reason: 'test' });
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'run') {
    if (m.running) {
      cell = new Int32Array(m.running, 0, 1);
      measure = new Float64Array(m.running, 8, 7);
    }
    if (m.tasks[0]?.stageKey === 'early') process.exit(4);
    pending.push(...m.tasks);
    next();
  }
});
`;

const host: SandboxHost = {
  onCachePut: () => undefined,
  cacheGet: () => undefined,
  holdDecoded: () => false,
  releaseDecoded: () => undefined,
  broadcasts: () => Promise.resolve({}),
  blockGet: () => Promise.resolve({ misses: [] }),
  fetch: () => Promise.reject(new Error('no shuffles here')),
};

/** A store that has every cached block and room for every decoded copy. */
const storeHost: SandboxHost = { ...host, cacheGet: () => new Uint8Array(8), holdDecoded: () => true };

/** A sandbox of `threads` fake threads; `runs` lists each 'run' message: the thread's number and its task ids. */
function sandbox(threads: number, sandboxHost: SandboxHost = host): { box: JobSandbox; runs: { thread: number; tasks: string[] }[]; started: () => number; cells: SharedArrayBuffer[] } {
  const runs: { thread: number; tasks: string[] }[] = [];
  /** Each thread's running-task memory, as its first 'run' gave it. */
  const cells: SharedArrayBuffer[] = [];
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
        if (msg.type === 'run' && msg.running) cells[id] = msg.running;
        post(msg, transfer as ArrayBuffer[]);
      };
      return thread;
    },
    threads,
    sandboxHost,
    pino({ level: 'silent' }),
  );
  return { box, runs, started: () => n, cells };
}

const run = (box: JobSandbox, taskId: string, partition: number, kind: string): Promise<ThreadOutcome | TaskKilled> =>
  box.run(taskId, partition, kind, new Uint8Array([1, 2, 3]), new Uint8Array(0));

/** The end of this turn of the event loop (the sandbox gives a turn's tasks to threads then). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function valueOf(o: ThreadOutcome | TaskKilled): number | string {
  if (o.kind === 'killed') return 'killed';
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
  const { box, runs, cells } = sandbox(1);
  try {
    const slow = run(box, 'slow', 7, 'slow');
    const waiting = run(box, 'waiting', 8, 'quick');
    await turn();
    assert.deepEqual(runs, [{ thread: 0, tasks: ['slow', 'waiting'] }]);
    // Once the task it waits behind runs and has shown its measurements (RunningMeasure.Task: 1).
    const until = Date.now() + 30_000;
    while (new Float64Array(cells[0], 8, 5)[0] !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(box.kill('waiting'), true);
    // It had not started: nothing measured (the measurements there are the task it waited behind's).
    assert.deepEqual(await waiting, { kind: 'killed' });
    assert.equal(valueOf(await slow), 7, 'the task the killed one waited behind ran again and ended');
    assert.deepEqual(runs.slice(1), [{ thread: 1, tasks: ['slow'] }]);
    assert.deepEqual(box.runningTaskIds, []);
    assert.equal(valueOf(await run(box, 'after', 9, 'quick')), 9);
  } finally {
    box.close();
  }
});

test('killing the running task of a thread: the task held behind it runs on another thread', { timeout: 60_000 }, async () => {
  const { box, runs, cells } = sandbox(1);
  try {
    const stuck = run(box, 'stuck', 1, 'block');
    const next = run(box, 'next', 2, 'quick');
    await turn();
    assert.deepEqual(runs, [{ thread: 0, tasks: ['stuck', 'next'] }]);
    // Once the thread runs it and has shown its measurements (RunningMeasure.Task, from byte 8: its number).
    const until = Date.now() + 30_000;
    while (new Float64Array(cells[0], 8, 5)[0] !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(box.kill('stuck'), true);
    // What its thread had measured until the kill: its run time to now, its shuffle reads, its input read; nothing serialized or written.
    const killed = await stuck;
    assert.ok(killed.kind === 'killed' && killed.metrics !== undefined, JSON.stringify(killed));
    const [queuedMs, runMs, serializeMs, recordsRead, recordsWritten, fetchWaitMs, inputBytes, inputRecords, outputBytes, outputRecords] = killed.metrics;
    assert.deepEqual([queuedMs, serializeMs, recordsRead, recordsWritten, fetchWaitMs, killed.shuffleReadBytes, inputBytes, inputRecords, outputBytes, outputRecords], [0, 0, 12, 0, 3, 345, 678, 9, 0, 0]);
    assert.ok(runMs >= 0 && runMs < 60_000, `run time to the kill: ${runMs}`);
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

test("killStream: the tasks of one task stream (stage keys with its prefix) end killed, running, held or queued; another stream's go on", { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(2);
  try {
    // Thread 0 gets a stuck task of stream 1 and, behind it, a task of stream 2; thread 1 a
    // slow task of stream 2 and a stuck one of stream 1; one task of stream 1 stays queued.
    const outcomes = [
      run(box, 'a', 1, '1:block'),
      run(box, 'b', 2, '2:slow'),
      run(box, 'c', 3, '2:quick'),
      run(box, 'd', 4, '1:block'),
      run(box, 'e', 5, '1:quick'),
    ];
    await turn();
    assert.deepEqual(runs, [
      { thread: 0, tasks: ['a', 'c'] },
      { thread: 1, tasks: ['b', 'd'] },
    ]);
    // '1:' does not take stream 11's tasks.
    const other = run(box, 'f', 6, '11:slow');
    assert.equal(box.killStream('1:'), 3);
    assert.deepEqual((await Promise.all([...outcomes, other])).map(valueOf), ['killed', 2, 3, 'killed', 'killed', 6]);
    // Both threads held a killed task: both were replaced, and stream 2's tasks ran on new ones.
    assert.ok(runs.slice(2).every((r) => r.thread >= 2), JSON.stringify(runs));
    assert.deepEqual(runs.slice(2).flatMap((r) => r.tasks).sort(), ['b', 'c', 'f']);
    assert.deepEqual(box.runningTaskIds, []);
    assert.equal(box.killStream('1:'), 0);
  } finally {
    box.close();
  }
});

test('a task goes to the free thread that keeps its cached partition decoded, or read it, whatever the order the tasks came in', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(2, storeHost);
  try {
    // Thread 0 keeps partition 0 decoded and thread 1 partition 1; thread 1 reads partition 2, thread 0 partition 3.
    assert.deepEqual((await Promise.all([run(box, 'a', 0, 'keep'), run(box, 'b', 1, 'keep')])).map(valueOf), [0, 1]);
    assert.deepEqual((await Promise.all([run(box, 'c', 3, 'read'), run(box, 'd', 2, 'read')])).map(valueOf), [3, 2]);
    assert.deepEqual(runs, [
      { thread: 0, tasks: ['a'] },
      { thread: 1, tasks: ['b'] },
      { thread: 0, tasks: ['c'] },
      { thread: 1, tasks: ['d'] },
    ]);
    // In the reverse order: the first task of a turn went to the first free thread.
    assert.deepEqual((await Promise.all([run(box, 'e', 1, 'quick'), run(box, 'f', 0, 'quick')])).map(valueOf), [1, 0]);
    assert.deepEqual((await Promise.all([run(box, 'g', 2, 'quick'), run(box, 'h', 3, 'quick')])).map(valueOf), [2, 3]);
    const byTask = (rs: typeof runs): typeof runs => [...rs].sort((x, y) => x.tasks[0].localeCompare(y.tasks[0]));
    assert.deepEqual(byTask(runs.slice(4)), [
      { thread: 1, tasks: ['e'] },
      { thread: 0, tasks: ['f'] },
      { thread: 1, tasks: ['g'] },
      { thread: 0, tasks: ['h'] },
    ]);
  } finally {
    box.close();
  }
});

test('a task whose partition a busy thread keeps decoded waits for it while another thread is free, at most THREAD_LOCALITY_WAIT_MS, then runs there', { timeout: 60_000 }, async () => {
  const { box, runs } = sandbox(2, storeHost);
  try {
    // Thread 0 reads partition 5, thread 1 keeps it decoded; then thread 1 runs a task that never ends.
    assert.deepEqual((await Promise.all([run(box, 'a', 5, 'read'), run(box, 'b', 5, 'keep')])).map(valueOf), [5, 5]);
    const stuck = run(box, 'stuck', 5, 'block');
    await turn();
    assert.deepEqual(runs.slice(2), [{ thread: 1, tasks: ['stuck'] }], 'to the thread that keeps its partition');
    const queued = performance.now();
    const waiting = run(box, 'waiting', 5, 'quick');
    await turn();
    // Thread 0, free (and which read the partition), does not take it within the wait (looked at only while it lasts: the machine may stall).
    if (performance.now() - queued < THREAD_LOCALITY_WAIT_MS) assert.deepEqual(runs.slice(3), [], 'not given while its thread is busy, within the wait');
    assert.equal(valueOf(await waiting), 5, 'run elsewhere once the wait is over: a thread that never frees keeps no task waiting');
    assert.deepEqual(runs.slice(3), [{ thread: 0, tasks: ['waiting'] }]);
    assert.equal(box.kill('stuck'), true);
    assert.equal(valueOf(await stuck), 'killed');
  } finally {
    box.close();
  }
});
