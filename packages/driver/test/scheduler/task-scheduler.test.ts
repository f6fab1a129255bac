// The TaskScheduler against a fake cluster (the real WorkerRegistry, endpoints that hold each
// launch until the test answers it): pipelining of tiny tasks — never more than
// (1 + QUEUED_PER_CORE) times a worker's cores in flight, the queue refilled only once empty, every partition succeeding
// once, slots and queues back to empty at the end, a worker lost with queued tasks losing
// them to the others, a stage over cached partitions queueing on each worker only the tasks
// that prefer it or none — and the task sets it must not pipeline (a task timeout, slow
// tasks, pipelining off).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { WorkerRegistry } from '../../src/cluster/worker-registry.js';
import { QUEUED_PER_CORE, TaskScheduler } from '../../src/scheduler/task-scheduler.js';
import { TaskSetManager, type TaskSetEnd, type TaskSetOptions } from '../../src/scheduler/task-set-manager.js';
import { fakeRegistry, ok, settle, Stage } from './scheduler-fakes.js';
import { taskSetOptions } from './task-set-test-options.js';

/** Pipelining stops adding tasks to a worker's queue once its tasks take this long. */
const PIPELINE_MAX_TASK_MS = 50;

function cluster(workers: Record<string, number>) {
  const { clock, fakes, registry, add } = fakeRegistry();
  const scheduler = new TaskScheduler(registry, pino({ level: 'silent' }));
  add(workers);
  const run = (partitions: number, opts: Partial<TaskSetOptions> = {}, prefs?: Record<number, string[]>) => {
    const stage = new Stage(prefs);
    const tsm = new TaskSetManager(
      stage,
      Array.from({ length: partitions }, (_, i) => i),
      taskSetOptions({ pipelineMaxTaskMs: PIPELINE_MAX_TASK_MS, ...opts }),
      clock,
      () => undefined,
    );
    let end: TaskSetEnd | undefined;
    void tsm.finished.then((e) => (end = e));
    scheduler.submit(tsm);
    return { stage, tsm, end: () => end };
  };
  /** Answer the oldest launch of each worker (`perWorker` of them), after `ms` of task time. */
  const answer = async (perWorker = 1, ms = 1): Promise<number> => {
    let n = 0;
    clock.advance(ms);
    for (const f of fakes.values()) for (const l of f.waiting.splice(0, perWorker)) (l.resolve(ok()), n++);
    await settle();
    return n;
  };
  return { clock, registry, scheduler, fakes, run, answer };
}

/** In flight to each worker as the driver counts them (cores - freeSlots + queuedTasks). */
function driverCount(registry: WorkerRegistry): Record<string, number> {
  return Object.fromEntries(registry.all().map((w) => [w.id, w.cores - w.freeSlots + w.queuedTasks]));
}

describe('TaskScheduler: pipelining tiny tasks', () => {
  test('never more than (1 + QUEUED_PER_CORE) x the cores in flight, queues refilled only once empty, each partition once, everything freed at the end', async () => {
    const c = cluster({ wA: 2, wB: 3 });
    const { stage, end } = c.run(200);
    await settle();
    // The first wave: one task per slot (nothing finished yet, so nothing is known to be tiny).
    assert.deepEqual([c.fakes.get('wA')!.waiting.length, c.fakes.get('wB')!.waiting.length], [2, 3]);
    let queuedSeen = false;
    const maxInFlight = new Map<string, number>();
    while (end() === undefined) {
      const before = c.fakes.get('wA')!.launched;
      const queuedBefore = c.registry.get('wA')!.queuedTasks;
      assert.ok((await c.answer(1)) > 0, 'something was in flight');
      for (const w of c.registry.all()) {
        const f = c.fakes.get(w.id)!;
        assert.ok(f.waiting.length <= (1 + QUEUED_PER_CORE) * w.cores, `${w.id}: ${f.waiting.length} in flight, more than ${1 + QUEUED_PER_CORE} x its ${w.cores} cores`);
        maxInFlight.set(w.id, Math.max(maxInFlight.get(w.id) ?? 0, f.waiting.length));
        assert.ok(w.queuedTasks === 0 || w.freeSlots === 0, `${w.id}: ${w.queuedTasks} queued beside ${w.freeSlots} free slots`);
        if (w.queuedTasks > 0) queuedSeen = true;
      }
      assert.deepEqual(driverCount(c.registry), Object.fromEntries([...c.fakes].map(([id, f]) => [id, f.waiting.length])), 'the driver counts what the workers hold');
      // While wA's queue was not empty, an answer launched nothing new to it.
      if (queuedBefore > 1 && end() === undefined) assert.equal(c.fakes.get('wA')!.launched, before, 'queue refilled before it was empty');
    }
    assert.ok(queuedSeen, 'tasks were queued beyond free slots');
    assert.ok(c.fakes.get('wA')!.maxInFlight > 2 && c.fakes.get('wB')!.maxInFlight > 3, 'both workers held more tasks than cores');
    // Each worker's queue filled to QUEUED_PER_CORE tasks a core at least once.
    assert.deepEqual(Object.fromEntries(maxInFlight), { wA: (1 + QUEUED_PER_CORE) * 2, wB: (1 + QUEUED_PER_CORE) * 3 }, 'the deepest each queue went');
    assert.deepEqual(end(), { kind: 'done' });
    assert.deepEqual([...stage.successes].sort((a, b) => a[0] - b[0]), Array.from({ length: 200 }, (_, i) => [i, 1]), 'each partition succeeded once');
    assert.deepEqual(stage.reasons.filter((r) => r !== 'success'), []);
    for (const w of c.registry.all()) assert.deepEqual([w.id, w.freeSlots, w.queuedTasks], [w.id, w.cores, 0], 'slots free and queues empty at the end');
    assert.equal(c.scheduler.activeTaskSets, 0);
  });

  test('queued launches are not running: progress and the running list count the cores held, whichever launch resolves first', async () => {
    const c = cluster({ wA: 2, wB: 3 });
    const { tsm, end } = c.run(120);
    await settle();
    const held = (): number => c.registry.all().reduce((n, w) => n + w.cores - w.freeSlots, 0);
    const queued = (): number => c.registry.all().reduce((n, w) => n + w.queuedTasks, 0);
    let queuedSeen = 0;
    for (let round = 0; end() === undefined; round++) {
      // Alternately the oldest launch of each worker, or its newest (a queued one, when it has any).
      c.clock.advance(1);
      for (const f of c.fakes.values()) {
        const l = round % 2 === 0 ? f.waiting.shift() : f.waiting.pop();
        l?.resolve(ok());
      }
      await settle();
      if (end() !== undefined) break;
      queuedSeen = Math.max(queuedSeen, queued());
      const inFlight = [...c.fakes.values()].reduce((n, f) => n + f.waiting.length, 0);
      assert.equal(inFlight, held() + queued(), 'what the workers hold: the slots taken and the queued');
      assert.equal(tsm.progress().runningTasks, held(), `running: the ${held()} cores held, not the ${inFlight} launched`);
      assert.equal(tsm.runningTasks().length, held());
    }
    assert.ok(queuedSeen > 0, 'tasks were queued beyond the slots');
    assert.deepEqual(end(), { kind: 'done' });
  });

  test('a stage with few tasks left is queued evenly: one task per worker per round, not a full queue on the first worker offered', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    const { stage, end } = c.run(6);
    await settle();
    // One tiny task ended on each: 4 left, one to each slot, 2 to queue: one on each worker
    // (a full queue of QUEUED_PER_CORE on one would run 3 tasks in a row beside an idle worker).
    await c.answer(1);
    assert.deepEqual(
      Object.fromEntries([...c.fakes].map(([id, f]) => [id, f.waiting.length])),
      { wA: 2, wB: 2 },
      'each worker holds its slot task and one queued',
    );
    while (end() === undefined) assert.ok((await c.answer(1)) > 0);
    assert.deepEqual([...stage.successes].sort((x, y) => x[0] - y[0]), Array.from({ length: 6 }, (_, i) => [i, 1]), 'each partition succeeded once');
  });

  test('a worker lost with queued tasks: they run on the other worker, each partition succeeds once', async () => {
    const c = cluster({ wA: 2, wB: 2 });
    const { stage, end } = c.run(60);
    await settle();
    // One task each ended (and was tiny): each worker gets a task for its slot and QUEUED_PER_CORE more per core queued.
    await c.answer(1);
    const a = c.registry.get('wA')!;
    assert.ok(a.queuedTasks > 0, `wA has queued tasks (free ${a.freeSlots}, queued ${a.queuedTasks})`);
    const held = c.fakes.get('wA')!.waiting.splice(0).map((l) => l);
    const lost = (1 + QUEUED_PER_CORE) * 2;
    assert.equal(held.length, lost, `wA holds ${1 + QUEUED_PER_CORE} x its cores`);
    // The worker dies: the registry forgets it, then its stream fails every launch on it.
    c.registry.markLost('wA', 'killed');
    for (const l of held) l.resolve({ ok: false, workerLost: true, message: 'UNAVAILABLE' });
    await settle();
    while (end() === undefined) assert.ok((await c.answer(2)) > 0, 'wB has work until the set ends');
    assert.deepEqual(end(), { kind: 'done' });
    assert.deepEqual([...stage.successes].sort((x, y) => x[0] - y[0]), Array.from({ length: 60 }, (_, i) => [i, 1]), 'each partition succeeded once');
    assert.equal(stage.reasons.filter((r) => r === 'worker_lost').length, lost, "wA's tasks ended as worker_lost");
    assert.deepEqual(stage.reasons.filter((r) => r !== 'success' && r !== 'worker_lost'), []);
    const b = c.registry.get('wB')!;
    assert.deepEqual([b.freeSlots, b.queuedTasks], [2, 0]);
    assert.ok(c.fakes.get('wB')!.maxInFlight <= lost);
  });

  test('a stage whose tasks prefer workers (cached partitions): each worker queues its own tasks and those preferring none, each partition once', async () => {
    const c = cluster({ wA: 2, wB: 2 });
    // Partitions 0-29 cached on wA, 30-59 on wB, 60-79 nowhere; the locality wait never ends.
    const prefs: Record<number, string[]> = {};
    for (let p = 0; p < 60; p++) prefs[p] = [p < 30 ? 'wA' : 'wB'];
    const { stage, end } = c.run(80, { localityWaitMs: 3_600_000 }, prefs);
    await settle();
    const ran = new Map<string, number[]>([['wA', []], ['wB', []]]);
    let queuedSeen = 0;
    while (end() === undefined) {
      for (const [id, f] of c.fakes) for (const l of f.waiting) if (!ran.get(id)!.includes(l.desc.partition)) ran.get(id)!.push(l.desc.partition);
      assert.ok((await c.answer(1)) > 0, 'something was in flight');
      for (const w of c.registry.all()) {
        assert.ok(c.fakes.get(w.id)!.waiting.length <= (1 + QUEUED_PER_CORE) * w.cores);
        queuedSeen = Math.max(queuedSeen, w.queuedTasks);
      }
    }
    assert.equal(queuedSeen, QUEUED_PER_CORE * 2, 'a worker queued QUEUED_PER_CORE tasks a core');
    const [onA, onB] = [ran.get('wA')!, ran.get('wB')!];
    assert.deepEqual(onA.filter((p) => p >= 30 && p < 60), [], "no task of wB's ran on wA");
    assert.deepEqual(onB.filter((p) => p < 30), [], "no task of wA's ran on wB");
    assert.deepEqual([...onA, ...onB].sort((x, y) => x - y), Array.from({ length: 80 }, (_, i) => i), 'each partition launched once');
    assert.deepEqual([...stage.successes].sort((x, y) => x[0] - y[0]), Array.from({ length: 80 }, (_, i) => [i, 1]), 'each partition succeeded once');
    for (const w of c.registry.all()) assert.deepEqual([w.id, w.freeSlots, w.queuedTasks], [w.id, w.cores, 0]);
  });

  test('a task preferring another worker is never queued, even once the locality wait is over (a free slot may still take it)', async () => {
    // Every task prefers wA; no locality wait: wB's free slots take any, but its queue none.
    const c = cluster({ wA: 1, wB: 1 });
    const prefs: Record<number, string[]> = {};
    for (let p = 0; p < 40; p++) prefs[p] = ['wA'];
    const { stage, end } = c.run(40, { localityWaitMs: 0 }, prefs);
    await settle();
    let queuedOnA = 0;
    while (end() === undefined) {
      assert.ok((await c.answer(1)) > 0);
      const b = c.registry.get('wB')!;
      assert.equal(b.queuedTasks, 0, 'wB got a queued task of wA');
      assert.ok(c.fakes.get('wB')!.waiting.length <= b.cores);
      queuedOnA = Math.max(queuedOnA, c.registry.get('wA')!.queuedTasks);
    }
    assert.equal(queuedOnA, QUEUED_PER_CORE, "wA queued its own tasks");
    assert.ok(c.fakes.get('wB')!.launched > 0, "wB's free slot ran some of them (no locality wait)");
    assert.equal(stage.successes.size, 40);
    assert.ok([...stage.successes.values()].every((n) => n === 1));
  });

  for (const [what, opts, prefs, taskMs] of [
    ['a job with a task timeout', { taskTimeoutMs: 60_000 }, undefined, 1],
    ['tasks slower than pipelineMaxTaskMs', {}, undefined, 80],
    ['pipelining off (pipelineMaxTaskMs 0)', { pipelineMaxTaskMs: 0 }, undefined, 1],
  ] as const) {
    test(`not pipelined: ${what}`, async () => {
      const c = cluster({ wA: 2, wB: 2 });
      const { stage, end } = c.run(40, opts, prefs as Record<number, string[]> | undefined);
      await settle();
      while (end() === undefined) {
        assert.ok((await c.answer(1, taskMs)) > 0);
        for (const w of c.registry.all()) {
          assert.equal(w.queuedTasks, 0, `${w.id} got queued tasks`);
          assert.ok(c.fakes.get(w.id)!.waiting.length <= w.cores);
        }
      }
      assert.equal(stage.successes.size, 40);
      assert.ok([...stage.successes.values()].every((n) => n === 1));
    });
  }
});

describe("TaskScheduler: Spark's delay scheduling (TaskSchedulerImpl.resourceOffers)", () => {
  test('every free slot is offered at PROCESS_LOCAL before any at ANY: with no locality wait, a free worker a task prefers gets it, whichever worker is offered first', async () => {
    // Offers are shuffled: over 30 clusters the other worker is offered first about half the time.
    for (let i = 0; i < 30; i++) {
      const c = cluster({ wA: 1, wB: 1 });
      const { tsm } = c.run(1, { localityWaitMs: 0 }, { 0: ['wA'] });
      await settle();
      assert.deepEqual([c.fakes.get('wA')!.launched, c.fakes.get('wB')!.launched], [1, 0], `cluster ${i}`);
      assert.equal(tsm.runningTasks()[0].taskLocality, 'PROCESS_LOCAL');
    }
  });

  test('a pass that launched locally and refused no slot restarts the wait; one that refused a slot does not', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    // A blocker holds wA (its task prefers it); partitions 0-2 prefer wB, 3 prefers the busy wA.
    c.run(1, { localityWaitMs: 3_600_000 }, { 0: ['wA'] });
    await settle();
    assert.equal(c.fakes.get('wA')!.waiting.length, 1);
    const { tsm } = c.run(4, { localityWaitMs: 500, pipelineMaxTaskMs: 0 }, { 0: ['wB'], 1: ['wB'], 2: ['wB'], 3: ['wA'] });
    await settle();
    const onB = (): number[] => c.fakes.get('wB')!.waiting.map((l) => l.desc.partition as number);
    assert.deepEqual(onB(), [0]);
    // Each of wB's tasks takes 300 ms; each pass launches the next one PROCESS_LOCAL on the only
    // free slot, refusing none: the wait restarts at each (300, 600 ms after submission).
    for (const next of [1, 2]) {
      c.clock.advance(300);
      for (const l of c.fakes.get('wB')!.waiting.splice(0)) l.resolve(ok());
      await settle();
      assert.deepEqual(onB(), [next]);
    }
    c.clock.advance(300);
    for (const l of c.fakes.get('wB')!.waiting.splice(0)) l.resolve(ok());
    await settle();
    assert.deepEqual(onB(), [], 'at 900 ms, 300 ms after the last restart: partition 3 still waits for wA (refused)');
    c.clock.advance(199);
    c.scheduler.workerAdded(c.registry.get('wB')!);
    await settle();
    assert.deepEqual(onB(), [], 'still within the wait restarted at 600 ms');
    c.clock.advance(1);
    c.scheduler.workerAdded(c.registry.get('wB')!);
    await settle();
    assert.deepEqual(onB(), [3], 'the wait restarted at 600 ms is over at 1,100 ms: ANY on wB');
    assert.equal(tsm.runningTasks().find((t) => t.partition === 3)?.taskLocality, 'ANY');
  });

  test('a task that prefers a worker is not queued behind a long task there (a blocker): it runs on a free worker, ANY, once the wait is over', async () => {
    const c = cluster({ wA: 1, wB: 1 });
    c.run(1, { localityWaitMs: 3_600_000 }, { 0: ['wA'] });
    await settle();
    // Tiny tasks (pipelined): 0-5 prefer wB, 6 prefers the busy wA.
    const prefs: Record<number, string[]> = { 6: ['wA'] };
    for (let p = 0; p < 6; p++) prefs[p] = ['wB'];
    const { stage, tsm } = c.run(7, { localityWaitMs: 500 }, prefs);
    await settle();
    const a = c.registry.get('wA')!;
    for (let i = 0; i < 10 && tsm.progress().completedTasks < 6; i++) {
      for (const l of c.fakes.get('wB')!.waiting.splice(0, 1)) (c.clock.advance(1), l.resolve(ok()));
      await settle();
      assert.deepEqual([a.queuedTasks, c.fakes.get('wA')!.waiting.length], [0, 1], 'nothing queued behind the blocker on wA');
    }
    assert.equal(stage.successes.size, 6, "wB ran its own tasks, some queued there (behind tiny ones)");
    assert.ok(c.fakes.get('wB')!.maxInFlight > 1, 'wB pipelined');
    c.clock.advance(500);
    c.scheduler.workerAdded(c.registry.get('wB')!);
    await settle();
    assert.deepEqual(c.fakes.get('wB')!.waiting.map((l) => l.desc.partition), [6]);
    assert.equal(tsm.runningTasks().find((t) => t.partition === 6)?.taskLocality, 'ANY');
  });
});

describe('TaskScheduler: idle workers at the end of a stage', () => {
  test('a task set with nothing pending is offered no slot: the end of each task does not walk every idle worker', async () => {
    const workers = 20;
    const c = cluster(Object.fromEntries(Array.from({ length: workers }, (_, i) => [`w${String(i).padStart(2, '0')}`, 1])));
    // Speculation on (nothing runs past its 100 ms minimum here), pipelining off: one task a slot.
    const { tsm, stage, end } = c.run(2 * workers, { speculation: true, speculationMinMs: 100, pipelineMaxTaskMs: 0 });
    let offers = 0;
    let empty = 0;
    const offer = tsm.offer.bind(tsm);
    tsm.offer = (...args: Parameters<typeof tsm.offer>) => {
      const t = offer(...args);
      offers++;
      if (t === undefined) empty++;
      return t;
    };
    await settle();
    // One task ends at a time: 40 scheduling passes, the last 20 with nothing left to launch
    // and 1, 2, ... 20 idle workers (offering each of them both kinds of task: 420 empty offers).
    while (end() === undefined) {
      c.clock.advance(1);
      const f = [...c.fakes.values()].find((x) => x.waiting.length > 0);
      assert.ok(f, 'something is in flight');
      f.waiting.shift()!.resolve(ok());
      await settle();
    }
    assert.deepEqual(end(), { kind: 'done' });
    assert.deepEqual([...stage.successes].sort((a, b) => a[0] - b[0]), Array.from({ length: 2 * workers }, (_, i) => [i, 1]), 'each partition succeeded once');
    assert.equal(offers - empty, 2 * workers, 'one launch a task');
    assert.ok(empty <= workers, `${empty} offers gave nothing: at most one a worker, not one per idle worker per task end`);
  });

  test('a straggler still gets its copy on an idle worker (the scheduler offers a set with only a copy due)', async () => {
    const c = cluster({ wA: 1, wB: 1, wC: 1, wD: 1 });
    const { stage, end } = c.run(4, { speculation: true, speculationMinMs: 100, pipelineMaxTaskMs: 0 });
    await settle();
    // 3 of the 4 tasks end after 10 ms (75%: the median is known); the 4th runs on.
    c.clock.advance(10);
    const all = [...c.fakes.entries()];
    const [slowId, slow] = all.find(([, f]) => f.waiting.length > 0)!;
    for (const [id, f] of all) if (id !== slowId) f.waiting.shift()!.resolve(ok());
    await settle();
    assert.equal([...c.fakes.values()].reduce((n, f) => n + f.launched, 0), 4, 'no copy while the straggler is under the threshold');
    // Past max(100 ms, 1.5 x 10 ms): the tick's pass places one copy on another worker.
    c.clock.advance(150);
    c.scheduler.start(5);
    try {
      for (let i = 0; i < 200 && [...c.fakes.values()].reduce((n, f) => n + f.launched, 0) === 4; i++) await new Promise((r) => setTimeout(r, 5));
    } finally {
      c.scheduler.stop();
    }
    const copies = all.filter(([id, f]) => id !== slowId && f.waiting.length > 0);
    assert.equal(copies.length, 1, 'one speculative copy, on another worker');
    assert.equal(copies[0]![1].waiting[0]!.desc.partition, slow.waiting[0]!.desc.partition, 'a copy of the straggler');
    copies[0]![1].waiting.shift()!.resolve(ok());
    await settle();
    assert.deepEqual(end(), { kind: 'done' });
    assert.equal(stage.successes.size, 4);
  });
});
