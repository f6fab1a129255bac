// spark.excludeOnFailure on the TaskScheduler against a fake cluster (the real WorkerRegistry,
// endpoints that hold each launch until the test answers it): one-core workers wA, wB and wSick,
// tasks that fail on wSick. The expected placements follow Spark's TaskSetExcludelist and
// HealthTracker rules as the configuration guide states them, and Sluice's own rule when it is off
// (a task avoids a worker it failed on while other workers remain; the worker keeps getting the
// other tasks).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { LaunchResult } from '../../src/rpc/worker-endpoint.js';
import { DEFAULT_EXCLUDE_ON_FAILURE, excludeOnFailureProblem, type ExcludeOnFailureConf } from '../../src/scheduler/exclude-on-failure.js';
import type { ExclusionChange } from '../../src/scheduler/health-tracker.js';
import { TaskScheduler } from '../../src/scheduler/task-scheduler.js';
import { TaskSetManager, type TaskSetEnd } from '../../src/scheduler/task-set-manager.js';
import { fakeRegistry, ok, settle, Stage } from './scheduler-fakes.js';
import { taskSetOptions } from './task-set-test-options.js';

const base = { stored_blocks: [] as string[], stored_block_bytes: [] as number[], accumulators: Buffer.alloc(0), shuffle_read_bytes: 0, metrics: null };
const failed = (message: string): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'error', error: { code: 'SLUICE_TASK_FAILED', message, stack: '' } } });
const fetchFailedFrom = (workerId: string): LaunchResult => ({
  ok: true,
  outcome: { ...base, outcome: 'fetch_failed', fetch_failed: { shuffle_id: 0, map_partition: 0, worker_id: workerId, message: `cannot fetch from ${workerId}` } },
});
const TIMEOUT_MS = 60_000;

function cluster(exclude: Partial<ExcludeOnFailureConf> | undefined, workers: Record<string, number> = { wA: 1, wB: 1, wSick: 1 }) {
  const { clock, fakes, registry, add } = fakeRegistry();
  const conf = exclude === undefined ? undefined : { ...DEFAULT_EXCLUDE_ON_FAILURE, timeoutMs: TIMEOUT_MS, ...exclude };
  /** What the scheduler told of exclusions (the driver forwards them to programs' SparkListeners). */
  const changes: ExclusionChange[] = [];
  const scheduler = new TaskScheduler(registry, pino({ level: 'silent' }), { now: () => clock.now(), ...(conf && { excludeOnFailure: conf, onExclusion: (e: ExclusionChange) => changes.push(e) }) });
  add(workers);
  const run = (partitions: number) => {
    const stage = new Stage();
    const tsm = new TaskSetManager(stage, Array.from({ length: partitions }, (_, i) => i), taskSetOptions(conf ? { excludeOnFailure: conf } : {}), clock, () => undefined);
    let end: TaskSetEnd | undefined;
    void tsm.finished.then((e) => (end = e));
    scheduler.submit(tsm);
    return { tsm, stage, end: () => end };
  };
  /** The partitions waiting on `workerId`. */
  const on = (workerId: string): number[] => fakes.get(workerId)!.waiting.map((l) => l.desc.partition);
  /** Answer every launch waiting on `workerId` with `r`. */
  const answerAll = async (workerId: string, r: () => LaunchResult): Promise<number[]> => {
    const done = fakes.get(workerId)!.waiting.splice(0);
    for (const l of done) l.resolve(r());
    await settle();
    return done.map((l) => l.desc.partition);
  };
  /** Run a set to its end: wSick's launches fail, the others succeed. */
  const drive = async (end: () => TaskSetEnd | undefined): Promise<void> => {
    for (let i = 0; i < 100 && end() === undefined; i++) {
      await answerAll('wSick', () => failed('no space left on wSick'));
      for (const w of Object.keys(workers)) if (w !== 'wSick') await answerAll(w, ok);
    }
  };
  return { clock, scheduler, registry, run, on, answerAll, drive, changes };
}

describe('spark.excludeOnFailure', () => {
  test('on: a worker two tasks of a stage failed on gets no more of its tasks; once the stage succeeded it gets no task of any stage until the timeout, then tasks again', async () => {
    const c = cluster({});
    const { end, stage } = c.run(12);
    await settle();
    assert.equal(c.on('wSick').length, 1);
    // Two different tasks fail on wSick: stage.maxFailedTasksPerExecutor (2) excludes it for the set.
    const first = await c.answerAll('wSick', () => failed('boom'));
    assert.equal(c.on('wSick').length, 1, 'after one failed task it still gets another task of the stage');
    const second = await c.answerAll('wSick', () => failed('boom'));
    assert.notDeepEqual(first, second);
    assert.deepEqual(c.on('wSick'), [], 'excluded for the stage: idle though the stage has pending tasks');
    assert.deepEqual(c.scheduler.excludedInStages('wSick'), [3]);
    assert.deepEqual([...c.scheduler.excludedWorkers().keys()], [], 'not excluded for every job before a stage succeeded');
    // Told as Spark's SparkListenerExecutorExcludedForStage: the worker, its 2 failed tasks, the stage attempt.
    const told = (): unknown[] => c.changes.map((e) => (e.type === 'excludedForStage' ? [e.type, e.workerId, e.taskFailures, e.stageId, e.stageAttempt] : e.type === 'excluded' ? [e.type, e.workerId, e.time, e.taskFailures] : [e.type, e.workerId, e.time]));
    assert.deepEqual(told(), [['excludedForStage', 'wSick', 2, stage.stageId, stage.stageAttempt]], 'excluded in the stage, not yet for every job');
    await c.drive(end);
    assert.deepEqual(end(), { kind: 'done' });
    assert.deepEqual([...stage.successes.keys()].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
    // application.maxFailedTasksPerExecutor (2) failed tasks in a stage that succeeded: excluded for every job.
    assert.deepEqual([...c.scheduler.excludedWorkers().keys()], ['wSick']);
    // Told as Spark's SparkListenerExecutorExcluded: the worker, the time, its 2 failed tasks.
    const excludedAt = c.clock.now();
    assert.deepEqual(told().slice(1), [['excluded', 'wSick', excludedAt, 2]]);
    const next = c.run(6);
    await settle();
    assert.deepEqual(c.on('wSick'), [], 'an excluded worker is offered no task of a new stage');
    assert.equal(c.on('wA').length + c.on('wB').length, 2);
    await c.drive(next.end);
    assert.deepEqual(next.end(), { kind: 'done' });
    // The timeout passes: offered tasks again.
    c.clock.advance(TIMEOUT_MS + 1);
    const later = c.run(3);
    await settle();
    assert.deepEqual([...c.scheduler.excludedWorkers().keys()], []);
    assert.equal(c.on('wSick').length, 1, 'offered a task once the exclusion ran out');
    // Told as Spark's SparkListenerExecutorUnexcluded, once.
    assert.deepEqual(told().slice(2), [['unexcluded', 'wSick', excludedAt + TIMEOUT_MS + 1]]);
    await c.answerAll('wSick', ok);
    await c.drive(later.end);
  });

  test("off (Spark's default): the failing worker keeps getting the stage's other tasks and every later stage's, and is never excluded", async () => {
    const c = cluster(undefined);
    const { end } = c.run(12);
    await settle();
    await c.answerAll('wSick', () => failed('boom'));
    await c.answerAll('wSick', () => failed('boom'));
    assert.equal(c.on('wSick').length, 1, "a third task of the stage on the worker two failed on");
    await c.drive(end);
    assert.deepEqual(end(), { kind: 'done' });
    assert.deepEqual([...c.scheduler.excludedWorkers().keys()], []);
    assert.deepEqual(c.scheduler.excludedInStages('wSick'), []);
    const next = c.run(6);
    await settle();
    assert.equal(c.on('wSick').length, 1, 'a later stage runs on it');
    await c.drive(next.end);
  });

  test('on: a task that failed on every live worker aborts its stage naming the exclusion, where off it runs again', async () => {
    for (const on of [true, false]) {
      const c = cluster(on ? {} : undefined, { wA: 1, wSick: 1 });
      const { end } = c.run(1);
      await settle();
      const where = c.on('wA').length === 1 ? ['wA', 'wSick'] : ['wSick', 'wA'];
      await c.answerAll(where[0], () => failed('first failure'));
      assert.deepEqual(c.on(where[1]), [0]);
      await c.answerAll(where[1], () => failed('second failure'));
      const e = end();
      if (on) {
        assert.equal(e?.kind, 'failed', JSON.stringify(e));
        const f = e as Extract<TaskSetEnd, { kind: 'failed' }>;
        assert.match(f.message, /^Job aborted due to stage failure: Aborting TaskSet 3\.0 because task 0 \(partition 0\) cannot run anywhere due to node and executor excludeOnFailure: each of the 2 live worker\(s\) is excluded/);
        assert.match(f.message, /Most recent failure: second failure\./);
        assert.match(f.message, /spark\.excludeOnFailure\.enabled=false/);
        assert.equal(f.attempts, 2, 'aborted after 2 attempts, where spark.task.maxFailures is 4');
      } else {
        assert.equal(e, undefined, 'still running');
        assert.equal(c.on('wA').length + c.on('wSick').length, 1, 'a third attempt');
      }
    }
  });

  test('application.fetchFailure.enabled: the worker a fetch failed from is excluded at once; without it, not', async () => {
    for (const fetchFailure of [true, false]) {
      const c = cluster({ fetchFailure });
      const { end } = c.run(3);
      await settle();
      await c.answerAll('wA', () => fetchFailedFrom('wSick'));
      assert.equal(end()?.kind, 'fetchFailed');
      await settle();
      assert.deepEqual([...c.scheduler.excludedWorkers().keys()], fetchFailure ? ['wSick'] : []);
    }
  });

  test('a new process registering under an excluded id (a new worker_instance) is a new worker, not excluded; the same process registering again stays excluded', async () => {
    const c = cluster({ fetchFailure: true }, { wA: 1, wB: 1 });
    const address = '127.0.0.1:9';
    const first = c.registry.register('wSick', address, 1, undefined, 'run-1');
    const { end } = c.run(3);
    await settle();
    await c.answerAll('wA', () => fetchFailedFrom('wSick'));
    assert.equal(end()?.kind, 'fetchFailed');
    await settle();
    const excluded = (): boolean => c.scheduler.excludedWorkers().has('wSick');
    assert.ok(excluded(), 'excluded after the fetch failure');
    // The same process again (its heartbeats crossed with the driver's; or removed, then back): still excluded.
    assert.equal(c.registry.register('wSick', address, 1, undefined, 'run-1'), first, 'the same process keeps its registration');
    c.registry.release('wSick', 'released');
    c.registry.register('wSick', address, 1, undefined, 'run-1');
    assert.ok(excluded(), 'the same process registering after its removal stays excluded');
    // An older worker says no instance: nothing tells a new process, so the exclusion stands.
    c.registry.release('wSick', 'released');
    c.registry.register('wSick', address, 1, undefined, '');
    assert.ok(excluded(), 'a worker that says no instance stays excluded');
    c.registry.release('wSick', 'released');
    const back = c.registry.register('wSick', address, 1, undefined, 'run-1');
    // A new process under the id, at the same address (a fixed port) before the driver saw the old one go: a new worker.
    const renewed = c.registry.register('wSick', address, 1, undefined, 'run-2');
    assert.notEqual(renewed, back, 'a new registration, the old one removed');
    assert.equal(c.registry.all().filter((w) => w.id === 'wSick').length, 1);
    assert.equal(excluded(), false, 'a new process under the id is not excluded');
    assert.deepEqual(
      c.changes.filter((e) => e.workerId === 'wSick').map((e) => e.type),
      ['excluded', 'unexcluded'],
    );
  });

  test("the limits are checked as Spark's validateExcludeOnFailureConfs checks them", () => {
    assert.equal(excludeOnFailureProblem(DEFAULT_EXCLUDE_ON_FAILURE, 4), undefined);
    assert.equal(excludeOnFailureProblem({ ...DEFAULT_EXCLUDE_ON_FAILURE, stageMaxFailedTasksPerExecutor: 0 }, 4), 'spark.excludeOnFailure.stage.maxFailedTasksPerExecutor was 0, but must be > 0.');
    assert.equal(excludeOnFailureProblem({ ...DEFAULT_EXCLUDE_ON_FAILURE, timeoutMs: 0 }, 4), 'spark.excludeOnFailure.timeout was 0 ms, but must be > 0.');
    assert.match(excludeOnFailureProblem(DEFAULT_EXCLUDE_ON_FAILURE, 2) ?? '', /^spark\.excludeOnFailure\.task\.maxTaskAttemptsPerNode \( = 2\) was >= spark\.task\.maxFailures \( = 2 \)/);
  });
});
