// The fair scheduler's ordering (src/scheduler/fair-scheduling.ts), as Spark's PoolSuite drives
// Pool.getSortedTaskSetQueue: each step takes the first task set in the order with a task left
// and gives it one more running task; the stage it picks is what PoolSuite expects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPool, type PoolConfig } from '@sluice/core/internal';
import { pino } from 'pino';
import { fairCompare, fairOrder } from '../../src/scheduler/fair-scheduling.js';
import { TaskScheduler } from '../../src/scheduler/task-scheduler.js';
import { TaskSetManager } from '../../src/scheduler/task-set-manager.js';
import { fakeRegistry, ok, settle, Stage } from './scheduler-fakes.js';
import { taskSetOptions } from './task-set-test-options.js';

interface FakeSet {
  readonly stage: { stageId: number; stageAttempt: number; priority: number; pool?: string };
  runningCount: number;
  readonly numTasks: number;
}

const set = (stageId: number, numTasks: number, pool?: string, priority = 0): FakeSet => ({ stage: { stageId, stageAttempt: 0, priority, pool }, runningCount: 0, numTasks });

/** PoolSuite's scheduleTaskAndVerifyId: the stage that gets the next task. */
function scheduleNext(sets: FakeSet[], pools: PoolConfig[]): number {
  const next = fairOrder(sets, { mode: 'FAIR', pools }).find((t) => t.runningCount < t.numTasks);
  assert.ok(next, 'no task set with a task left');
  next.runningCount++;
  return next.stage.stageId;
}

test("PoolSuite 'Fair Scheduler Test': minShare first, then running tasks per weight, ties by pool name", () => {
  // Spark's test fairscheduler.xml: pool 1 minShare 2, pool 2 minShare 3, both weight 1 and FIFO.
  const pools: PoolConfig[] = [
    { name: '1', schedulingMode: 'FIFO', weight: 1, minShare: 2 },
    { name: '2', schedulingMode: 'FIFO', weight: 1, minShare: 3 },
    { name: '3', schedulingMode: 'FIFO', weight: 1, minShare: 0 },
    defaultPool('default'),
  ];
  const sets = [set(0, 1, '1'), set(1, 1, '1'), set(2, 2, '1'), set(3, 2, '2'), set(4, 2, '2')];
  assert.deepEqual(
    Array.from({ length: 8 }, () => scheduleNext(sets, pools)),
    [0, 3, 3, 1, 4, 2, 2, 4],
  );
});

test("PoolSuite 'FIFO Scheduler Test': one FIFO pool runs its task sets by priority (the job), then stage", () => {
  const sets = [set(2, 2), set(0, 2), set(1, 2)];
  assert.deepEqual(
    Array.from({ length: 6 }, () => scheduleNext(sets, [defaultPool('default')])),
    [0, 0, 1, 1, 2, 2],
  );
  // A later job's stage with a lower id waits for the earlier job's.
  const byJob = [set(1, 1, undefined, 7), set(5, 1, undefined, 3)];
  assert.deepEqual([scheduleNext(byJob, [defaultPool('default')]), scheduleNext(byJob, [defaultPool('default')])], [5, 1]);
});

test('a FAIR pool shares among its own task sets by running tasks; a pool not configured has the defaults', () => {
  const pools: PoolConfig[] = [{ name: 'p', schedulingMode: 'FAIR', weight: 1, minShare: 0 }];
  const sets = [set(0, 4, 'p'), set(1, 4, 'p')];
  assert.deepEqual(
    Array.from({ length: 4 }, () => scheduleNext(sets, pools)),
    [0, 1, 0, 1],
  );
  // Pools 'x' and 'y' are not configured: weight 1 each, so they alternate, 'x' first on ties.
  const xy = [set(0, 3, 'y'), set(1, 3, 'x')];
  assert.deepEqual(
    Array.from({ length: 4 }, () => scheduleNext(xy, [defaultPool('default')])),
    [1, 0, 1, 0],
  );
});

test('weights: a pool of weight 2 holds twice the running tasks of one of weight 1', () => {
  const pools: PoolConfig[] = [
    { name: 'heavy', schedulingMode: 'FIFO', weight: 2, minShare: 0 },
    { name: 'light', schedulingMode: 'FIFO', weight: 1, minShare: 0 },
  ];
  const sets = [set(0, 100, 'light'), set(1, 100, 'heavy')];
  for (let i = 0; i < 30; i++) scheduleNext(sets, pools);
  assert.deepEqual(
    sets.map((s) => s.runningCount),
    [10, 20],
  );
});

test("Spark's FairSchedulingAlgorithm comparator", () => {
  const s = (name: string, runningTasks: number, minShare = 0, weight = 1) => ({ name, runningTasks, minShare, weight });
  // A needy pool (below its minShare) before one that is not, whatever the weights.
  assert.ok(fairCompare(s('b', 1, 2, 1), s('a', 0, 0, 100)) < 0);
  // Both needy: the lower running / minShare first.
  assert.ok(fairCompare(s('a', 2, 4), s('b', 1, 4)) > 0);
  // Neither: the lower running / weight first; equal: by name.
  assert.ok(fairCompare(s('a', 4, 0, 2), s('b', 3, 0, 1)) < 0);
  assert.ok(fairCompare(s('a', 1), s('b', 1)) < 0);
  assert.equal(fairCompare(s('a', 1), s('a', 1)), 0);
});

test("the TaskScheduler forgets an application's FAIR mode when it ends, or when it asks for FIFO again", () => {
  const { registry } = fakeRegistry();
  const scheduler = new TaskScheduler(registry, pino({ level: 'silent' }));
  const fair = { mode: 'FAIR' as const, pools: [defaultPool('default')] };
  scheduler.setScheduler('run-1', fair);
  scheduler.setScheduler('run-2', fair);
  assert.equal(scheduler.fairApplications, 2);
  scheduler.forgetApplication('run-1');
  scheduler.setScheduler('run-2', { mode: 'FIFO', pools: [] });
  assert.equal(scheduler.fairApplications, 0);
});

test('slots freed together are shared as Spark offers each freed slot (one resourceOffers a status update): the order is sorted again before each slot of a pass', async () => {
  // One worker of 4 cores; pool a's set runs 4 tasks, pool b's (submitted after) waits. All 4 of
  // a's end at once, so one scheduling pass offers 4 slots. Spark's StatusUpdate for each
  // finished task makes offers of that executor's free cores (CoarseGrainedSchedulerBackend's
  // makeOffers(executorId)) and resourceOffers sorts the pools anew each time: by
  // fairCompare (neither pool has a minShare; running tasks per weight 1, ties by name) the 4
  // slots go a, b, a, b. Sorted once for the whole pass, pool a would take all 4.
  const { clock, fakes, registry, add } = fakeRegistry();
  const scheduler = new TaskScheduler(registry, pino({ level: 'silent' }));
  add({ w: 4 });
  scheduler.setScheduler('job1', { mode: 'FAIR', pools: [defaultPool('a'), defaultPool('b')] });
  const submit = (stageId: number, pool: string): void => {
    const stage = Object.assign(new Stage(), { stageId, pool, priority: stageId });
    scheduler.submit(new TaskSetManager(stage, Array.from({ length: 8 }, (_, i) => i), taskSetOptions(), clock, () => undefined));
  };
  const launched = (): string[] => fakes.get('w')!.waiting.map((l) => `${l.desc.stage.stageId}`);
  submit(1, 'a');
  await settle();
  submit(2, 'b');
  await settle();
  assert.deepEqual(launched(), ['1', '1', '1', '1']);
  clock.advance(1000);
  for (const l of fakes.get('w')!.waiting.splice(0)) l.resolve(ok());
  await settle();
  // Expected from Spark's comparator, one slot at a time: (a 0, b 0) -> a; (a 1, b 0) -> b; (1, 1) -> a; (2, 1) -> b.
  assert.deepEqual(launched(), ['1', '2', '1', '2']);
});
