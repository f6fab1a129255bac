import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock, encodeMapStatus, type wire } from '@sluice/core/internal';
import type { LaunchResult, TaskDescription } from '../../src/rpc/worker-endpoint.js';
import { TaskSetManager, type OfferLevel, type StageCallbacks, type TaskSetEnd, type TaskSetOptions } from '../../src/scheduler/task-set-manager.js';
import { taskSetOptions } from './task-set-test-options.js';


/** A stage and a cluster made of plain records: the test offers slots and reports outcomes by hand. */
class FakeStage implements StageCallbacks {
  readonly jobId = 'job1';
  readonly stageId = 7;
  readonly stageAttempt = 0;
  readonly successes: { partition: number; workerId: string; result: string }[] = [];
  readonly kills: { workerId: string; taskId: string }[] = [];
  readonly described: { partition: number; taskId: string; attempt: number }[] = [];
  readonly ends: Parameters<NonNullable<StageCallbacks['onTaskEnd']>>[0][] = [];

  constructor(private readonly prefs: Record<number, string[]> = {}) {}

  describe(partition: number, taskId: string, attempt: number): TaskDescription {
    this.described.push({ partition, taskId, attempt });
    const stage = { key: 'job1/7.0', jobId: this.jobId, bundleSha256: '', stageId: this.stageId, shuffleId: -1, payload: new Uint8Array(0) };
    return { taskId, partition, attempt, stage, taskData: new Uint8Array(0) };
  }

  preferredWorkers(partition: number): ReadonlySet<string> | undefined {
    const p = this.prefs[partition];
    return p ? new Set(p) : undefined;
  }

  onSuccess(partition: number, outcome: wire.TaskOutcome__Output, workerId: string): void {
    this.successes.push({ partition, workerId, result: outcome.result?.toString() ?? '' });
  }

  onTaskEnd(e: Parameters<NonNullable<StageCallbacks['onTaskEnd']>>[0]): void {
    this.ends.push(e);
  }

  successCount(partition: number): number {
    return this.successes.filter((s) => s.partition === partition).length;
  }
}

function setup(partitions: number[], opts: Partial<TaskSetOptions> = {}, prefs: Record<number, string[]> = {}) {
  const clock = new ManualClock(1000);
  const stage = new FakeStage(prefs);
  const tsm = new TaskSetManager(stage, partitions, taskSetOptions(opts), clock, (workerId, taskId) => stage.kills.push({ workerId, taskId }));
  let end: TaskSetEnd | undefined;
  void tsm.finished.then((e) => (end = e));
  return { clock, stage, tsm, ended: async () => ((await Promise.resolve()), end) };
}

const base = { stored_blocks: [] as string[], stored_block_bytes: [] as number[], accumulators: Buffer.alloc(0), shuffle_read_bytes: 0, metrics: null };
const ok = (value = 'v'): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'result', result: Buffer.from(value) } });
const mapStatus = (): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'map_status', map_status: { status: Buffer.from(encodeMapStatus([1, 2])) } } });
const userError = (message: string): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'error', error: { code: 'SLUICE_TASK_FAILED', message, stack: `Error: ${message}\n    at job.ts:3:9` } } });
const killed = (): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'killed', killed: true } });
const workerLost = (): LaunchResult => ({ ok: false, workerLost: true, message: 'UNAVAILABLE: connection refused' });
const fetchFailed = (): LaunchResult => ({
  ok: true,
  outcome: { ...base, outcome: 'fetch_failed', fetch_failed: { shuffle_id: 2, map_partition: 5, worker_id: 'w9', message: 'cannot fetch shuffle_job1_2_5_0 from w9' } },
});

/** Offer a slot and insist that a task is launched. */
function launch(tsm: TaskSetManager, workerId: string): { taskId: string; partition: number; attempt: number } {
  const t = tsm.offer(workerId);
  assert.ok(t, `expected a task for ${workerId}`);
  return { taskId: t.taskId, partition: t.desc.partition as number, attempt: t.desc.attempt as number };
}

describe('TaskSetManager', () => {
  test('hands out each partition once, then nothing; ends done when all succeed', async () => {
    const { stage, tsm, ended } = setup([4, 9]);
    const a = launch(tsm, 'w1');
    const b = launch(tsm, 'w2');
    assert.deepEqual([a.partition, b.partition].sort(), [4, 9]);
    assert.equal(tsm.offer('w3'), undefined);
    assert.equal(tsm.runningCount, 2);
    assert.notEqual(a.taskId, b.taskId);
    tsm.onResult(a.taskId, ok('A'));
    assert.equal(await ended(), undefined);
    tsm.onResult(b.taskId, mapStatus());
    assert.deepEqual(await ended(), { kind: 'done' });
    assert.ok(tsm.isEnded);
    assert.deepEqual(stage.successes.map((s) => [s.partition, s.workerId]).sort(), [[a.partition, 'w1'], [b.partition, 'w2']].sort());
    assert.equal(tsm.offer('w1'), undefined);
  });

  for (const locality of [true, false]) {
  test(`a task that failed on a worker goes to another while one remains, then anywhere${locality ? '' : ' (a stage without locality: the offer’s fast path)'}`, async () => {
    const { tsm, ended, stage } = setup([0, 1], { maxFailures: 4 });
    if (!locality) (stage as { preferredWorkers?: unknown }).preferredWorkers = undefined;
    // Partition 1 runs on w3 the whole time: partition 0 is alone in the queue after its first offer.
    const other = tsm.offer('w3', 3);
    assert.equal(other?.desc.partition, 0);
    const first = other;
    assert.ok(first);
    tsm.onResult(first.taskId, userError('bad disk on w3'));
    const p1 = tsm.offer('w3', 3);
    assert.equal(p1?.desc.partition, 1, 'w3 gets partition 1, not 0 that failed on it');
    assert.equal(tsm.offer('w3', 3), undefined, 'not offered again to the worker it failed on');
    const second = tsm.offer('w2', 3);
    assert.equal(second?.desc.partition, 0, 'offered to another worker');
    tsm.onResult(second!.taskId, userError('fails on w2 too'));
    tsm.onResult(p1!.taskId, ok());
    assert.equal(tsm.offer('w2', 3), undefined, 'not to w2 either');
    const third = tsm.offer('w1', 3);
    assert.ok(third, 'offered to the last worker it did not fail on');
    tsm.onResult(third.taskId, userError('fails everywhere'));
    const fourth = tsm.offer('w2', 3);
    assert.ok(fourth, 'failed on every live worker: any worker may try again');
    tsm.onResult(fourth.taskId, ok());
    assert.deepEqual(await ended(), { kind: 'done' });
  });
  }

  test('a task that failed on a worker goes to another while one remains, then anywhere (two workers)', async () => {
    const { tsm, ended } = setup([0], { maxFailures: 4 });
    const first = tsm.offer('w1', 2);
    assert.ok(first);
    tsm.onResult(first.taskId, userError('bad disk on w1'));
    assert.equal(tsm.offer('w1', 2), undefined, 'not offered again to the worker it failed on');
    const second = tsm.offer('w2', 2);
    assert.ok(second, 'offered to the other worker');
    tsm.onResult(second.taskId, userError('fails everywhere'));
    const third = tsm.offer('w1', 2);
    assert.ok(third, 'failed on every live worker: any worker may try again');
    tsm.onResult(third.taskId, ok());
    assert.deepEqual(await ended(), { kind: 'done' });
  });

  test('an empty task set is done at once', async () => {
    const { ended } = setup([]);
    assert.deepEqual(await ended(), { kind: 'done' });
  });

  test('a failing task is retried, and the set fails after maxFailures attempts with its message', async () => {
    const { stage, tsm, ended } = setup([0, 1]);
    const other = launch(tsm, 'w2');
    assert.equal(other.partition, 0);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const t = launch(tsm, i % 2 === 0 ? 'w1' : 'w3');
      assert.equal(t.partition, 1);
      assert.equal(t.attempt, i);
      ids.push(t.taskId);
      assert.equal(await ended(), undefined, `still running after ${i} failures`);
      tsm.onResult(t.taskId, userError(`bad record ${i}`));
    }
    assert.equal(new Set(ids).size, 4, 'every attempt has its own task id');
    const end = await ended();
    assert.ok(end?.kind === 'failed');
    assert.equal(end.message, 'bad record 3');
    assert.equal(end.code, 'SLUICE_TASK_FAILED');
    assert.match(end.stack, /job\.ts:3:9/);
    assert.equal(end.partition, 1);
    assert.equal(end.attempts, 4);
    // The set is over: the other running task is killed, and nothing more is handed out.
    assert.deepEqual(stage.kills, [{ workerId: 'w2', taskId: other.taskId }]);
    assert.equal(tsm.offer('w1'), undefined);
    tsm.onResult(other.taskId, ok());
    assert.equal(stage.successes.length, 0);
  });

  test('a task that fails fewer than maxFailures times and then succeeds completes the set', async () => {
    const { stage, tsm, ended } = setup([0]);
    for (let i = 0; i < 3; i++) tsm.onResult(launch(tsm, 'w1').taskId, userError('flaky'));
    tsm.onResult(launch(tsm, 'w1').taskId, ok());
    assert.deepEqual(await ended(), { kind: 'done' });
    assert.equal(stage.successCount(0), 1);
  });

  test('a launch the worker could not run (not lost) counts as a failure', async () => {
    const { tsm, ended } = setup([0], { maxFailures: 2 });
    tsm.onResult(launch(tsm, 'w1').taskId, { ok: false, workerLost: false, message: 'INVALID_ARGUMENT: bad payload' });
    tsm.onResult(launch(tsm, 'w1').taskId, { ok: false, workerLost: false, message: 'INVALID_ARGUMENT: bad payload' });
    const end = await ended();
    assert.ok(end?.kind === 'failed');
    assert.match(end.message, /bad payload/);
    assert.equal(end.attempts, 2);
  });

  test('a lost worker’s running tasks are re-queued without counting as failures', async () => {
    const { stage, tsm, ended } = setup([0, 1]);
    const onW1 = launch(tsm, 'w1');
    const onW2 = launch(tsm, 'w2');
    tsm.onWorkerLost('w1');
    assert.equal(tsm.runningCount, 1);
    // Far more losses than maxFailures: never fails the set.
    let last = onW1;
    for (let i = 0; i < 6; i++) {
      const again = launch(tsm, 'w3');
      assert.equal(again.partition, onW1.partition);
      assert.equal(again.attempt, i + 1);
      if (i % 2 === 0) tsm.onWorkerLost('w3');
      else tsm.onResult(again.taskId, workerLost()); // the launch call itself saw the worker go
      last = again;
    }
    assert.equal(await ended(), undefined);
    // A late outcome from the lost attempt is ignored.
    tsm.onResult(onW1.taskId, ok('late'));
    tsm.onResult(last.taskId, ok('late'));
    assert.equal(stage.successCount(onW1.partition), 0);
    // Failures still count normally after losses: three user errors do not end the set.
    for (let i = 0; i < 3; i++) tsm.onResult(launch(tsm, 'w4').taskId, userError('boom'));
    tsm.onResult(launch(tsm, 'w4').taskId, ok('final'));
    tsm.onResult(onW2.taskId, ok());
    assert.deepEqual(await ended(), { kind: 'done' });
    assert.deepEqual(stage.successes.find((s) => s.partition === onW1.partition), { partition: onW1.partition, workerId: 'w4', result: 'final' });
  });

  test('losing a worker with no tasks of this set changes nothing', () => {
    const { tsm } = setup([0]);
    launch(tsm, 'w1');
    tsm.onWorkerLost('w2');
    assert.equal(tsm.runningCount, 1);
    assert.equal(tsm.offer('w2'), undefined);
  });

  test('a task killed by the worker (not by us) is re-queued and not counted', async () => {
    const { tsm, ended } = setup([0], { maxFailures: 1 });
    tsm.onResult(launch(tsm, 'w1').taskId, killed());
    tsm.onResult(launch(tsm, 'w1').taskId, ok());
    assert.deepEqual(await ended(), { kind: 'done' });
  });

  describe('locality', () => {
    test('a partition with preferred workers goes to its preferred worker first', () => {
      const { tsm } = setup([0, 1, 2], { localityWaitMs: 500 }, { 2: ['wB'], 0: ['wA'] });
      assert.equal(launch(tsm, 'wB').partition, 2, 'wB gets the partition it holds, though others are first in line');
      assert.equal(launch(tsm, 'wA').partition, 0);
      assert.equal(launch(tsm, 'wC').partition, 1);
    });

    test('others get it only after localityWaitMs', () => {
      const { clock, tsm } = setup([0, 1], { localityWaitMs: 500 }, { 0: ['wA'] });
      assert.equal(tsm.offer('wB', 1, true, false, 'NO_PREF')?.desc.partition, 1, 'a task without preferences runs anywhere at once (at NO_PREF)');
      assert.equal(tsm.offer('wB'), undefined, 'partition 0 waits for wA');
      clock.advance(499);
      assert.equal(tsm.offer('wC'), undefined);
      clock.advance(1);
      const t = launch(tsm, 'wC');
      assert.equal(t.partition, 0);
    });

    test("each attempt's locality level (Spark's TaskInfo.taskLocality): PROCESS_LOCAL on a worker it prefers or with no preference (Spark's noPrefs tasks), ANY elsewhere after the wait; the end tells the launch's", () => {
      const { clock, stage, tsm } = setup([0, 1, 2, 3], { localityWaitMs: 500 }, { 0: ['wA'], 1: ['wA', 'wB'], 2: ['wB'] });
      const level = (taskId: string): string | undefined => tsm.runningTasks().find((t) => t.taskId === taskId)?.taskLocality;
      const onA = launch(tsm, 'wA');
      assert.equal(onA.partition, 0);
      assert.equal(level(onA.taskId), 'PROCESS_LOCAL', 'partition 0 on wA, which it prefers');
      const none = { taskId: tsm.offer('wC', 1, true, false, 'NO_PREF')!.taskId };
      assert.equal(tsm.runningTasks().find((t) => t.taskId === none.taskId)?.partition, 3);
      assert.equal(level(none.taskId), 'PROCESS_LOCAL', 'partition 3 prefers no worker (as a parallelize)');
      const onB = launch(tsm, 'wB');
      assert.equal(onB.partition, 1);
      assert.equal(level(onB.taskId), 'PROCESS_LOCAL', 'partition 1 on wB, one of the two it prefers');
      clock.advance(500);
      const elsewhere = launch(tsm, 'wC');
      assert.equal(elsewhere.partition, 2);
      assert.equal(level(elsewhere.taskId), 'ANY', 'partition 2 prefers wB: on wC, the wait over, ANY');
      tsm.onResult(elsewhere.taskId, ok());
      tsm.onResult(onA.taskId, ok());
      assert.deepEqual(stage.ends.map((e) => [e.partition, e.taskLocality]), [[2, 'ANY'], [0, 'PROCESS_LOCAL']]);
    });

    test('an empty preference set does not wait', () => {
      const { tsm } = setup([0], { localityWaitMs: 500 }, { 0: [] });
      assert.equal(launch(tsm, 'wZ').partition, 0);
    });

    test('the preferred worker still wins when it offers within the wait', () => {
      const { clock, tsm } = setup([0], { localityWaitMs: 500 }, { 0: ['wA', 'wB'] });
      assert.equal(tsm.offer('wC'), undefined);
      clock.advance(200);
      assert.equal(launch(tsm, 'wB').partition, 0);
    });

    test('a task preferring only a worker that is lost runs anywhere at once (its cached blocks went with it)', () => {
      const prefs: Record<number, string[]> = { 0: ['wA'], 1: ['wA', 'wB'] };
      const { tsm } = setup([0, 1, 2], { localityWaitMs: 500 }, prefs);
      assert.equal(tsm.offer('wC', 1, true, false, 'NO_PREF')?.desc.partition, 2);
      assert.equal(tsm.offer('wC'), undefined, 'partitions 0 and 1 wait for their workers');
      // As the DAG scheduler's block locations forget the lost worker's blocks.
      prefs[0] = [];
      prefs[1] = ['wB'];
      tsm.onWorkerLost('wA');
      assert.equal(tsm.offer('wC', 1, true, false, 'NO_PREF')?.desc.partition, 0, 'no preferred worker left: it runs on any, at NO_PREF');
      assert.equal(tsm.offer('wC'), undefined, 'partition 1 still waits for wB');
      assert.equal(launch(tsm, 'wB').partition, 1);
    });

    // Spark's TaskSetManagerSuite delay-scheduling tests, on Sluice's levels (the worker alone:
    // PROCESS_LOCAL, NO_PREF, ANY; no NODE_LOCAL, each worker its own host). An offer at ANY gives a
    // task preferring none only once the wait at PROCESS_LOCAL is over (TaskScheduler offers NO_PREF before ANY).
    const at = (tsm: TaskSetManager, workerId: string, level: OfferLevel): number | undefined => tsm.offer(workerId, 1, true, false, level)?.desc.partition as number | undefined;
    const levelOf = (tsm: TaskSetManager, partition: number): string | undefined => tsm.runningTasks().find((t) => t.partition === partition)?.taskLocality;

    test("Spark's 'basic delay scheduling': a task waits for its worker at PROCESS_LOCAL, one preferring none goes at NO_PREF, the rest run ANY once the wait is over", () => {
      const { clock, tsm } = setup([0, 1, 2, 3], { localityWaitMs: 500 }, { 0: ['wA'], 1: ['wB'], 2: ['wB'], 3: [] });
      assert.equal(at(tsm, 'wA', 'ANY'), 0);
      assert.equal(levelOf(tsm, 0), 'PROCESS_LOCAL');
      assert.equal(at(tsm, 'wA', 'PROCESS_LOCAL'), undefined, 'no other task prefers wA');
      assert.equal(at(tsm, 'wA', 'NO_PREF'), 3, 'the task preferring none, at once');
      assert.equal(levelOf(tsm, 3), 'PROCESS_LOCAL', "Spark's level of a noPrefs task");
      assert.equal(at(tsm, 'wA', 'ANY'), undefined, '1 and 2 wait for wB');
      clock.advance(499);
      assert.equal(at(tsm, 'wA', 'ANY'), undefined);
      assert.equal(at(tsm, 'wB', 'PROCESS_LOCAL'), 1);
      clock.advance(1);
      assert.equal(at(tsm, 'wA', 'PROCESS_LOCAL'), undefined, 'an offer at PROCESS_LOCAL never gives another worker\'s task');
      assert.equal(at(tsm, 'wA', 'NO_PREF'), undefined, 'nor one at NO_PREF');
      assert.equal(at(tsm, 'wA', 'ANY'), 2, 'the wait over: ANY');
      assert.equal(levelOf(tsm, 2), 'ANY');
    });

    test("an offer at ANY within the wait at PROCESS_LOCAL gives only a task preferring the worker, not one preferring none (Spark's dequeueTask at the allowed level); one preferring none once that wait is over, before the others", () => {
      const { clock, tsm } = setup([0, 1, 2], { localityWaitMs: 500 }, { 0: ['wB'], 1: [], 2: ['wB'] });
      assert.equal(at(tsm, 'wA', 'ANY'), undefined, 'allowed PROCESS_LOCAL: nothing for wA');
      assert.equal(at(tsm, 'wB', 'ANY'), 0, 'a task preferring wB');
      clock.advance(500);
      assert.equal(at(tsm, 'wA', 'ANY'), 1, 'the wait over: the task preferring none first');
      assert.equal(levelOf(tsm, 1), 'PROCESS_LOCAL');
      assert.equal(at(tsm, 'wA', 'ANY'), 2, 'then any');
      assert.equal(levelOf(tsm, 2), 'ANY');
    });

    test("Spark's 'we do not need to delay scheduling when we only have noPref tasks in the queue'", () => {
      const { tsm } = setup([0, 1, 2], { localityWaitMs: 500 }, { 0: ['wA'], 1: ['wB'], 2: [] });
      assert.equal(at(tsm, 'wA', 'PROCESS_LOCAL'), 0);
      assert.equal(at(tsm, 'wB', 'PROCESS_LOCAL'), 1);
      assert.equal(at(tsm, 'wB', 'PROCESS_LOCAL'), undefined);
      assert.equal(at(tsm, 'wB', 'NO_PREF'), 2, 'no wait for it');
    });

    test("Spark's 'delay scheduling with fallback', the scheduler's passes ending each (endOfferRound): a pass that launched locally and refused nothing restarts the wait at PROCESS_LOCAL", () => {
      const { clock, tsm } = setup([0, 1, 2, 3, 4], { localityWaitMs: 500 }, { 0: ['wA'], 1: ['wB'], 2: ['wB'], 3: ['wC'], 4: ['wB'] });
      assert.equal(at(tsm, 'wA', 'ANY'), 0);
      assert.equal(at(tsm, 'wA', 'ANY'), undefined, 'the others wait for wB and wC');
      tsm.endOfferRound();
      clock.advance(500);
      assert.equal(at(tsm, 'wA', 'ANY'), 1);
      assert.equal(at(tsm, 'wA', 'ANY'), 2);
      assert.deepEqual([levelOf(tsm, 1), levelOf(tsm, 2)], ['ANY', 'ANY']);
      tsm.endOfferRound();
      assert.equal(at(tsm, 'wB', 'ANY'), 4);
      assert.equal(levelOf(tsm, 4), 'PROCESS_LOCAL');
      tsm.endOfferRound();
      // "Now that we've launched a local task, we should no longer launch the task for host3."
      assert.equal(at(tsm, 'wB', 'ANY'), undefined);
      tsm.endOfferRound();
      clock.advance(499);
      assert.equal(at(tsm, 'wB', 'ANY'), undefined);
      tsm.endOfferRound();
      clock.advance(1);
      assert.equal(at(tsm, 'wB', 'ANY'), 3, 'after another wait, non-locally');
      assert.equal(levelOf(tsm, 3), 'ANY');
    });

    test("a pass that launched locally but refused an offer for locality does not restart the wait (Spark's default; legacyResetOnTaskLaunch restarted it on every launch)", () => {
      const { clock, tsm } = setup([0, 1, 2, 3], { localityWaitMs: 500 }, { 0: ['wB'], 1: ['wB'], 2: ['wB'], 3: ['wC'] });
      assert.equal(at(tsm, 'wB', 'ANY'), 0);
      assert.equal(at(tsm, 'wA', 'ANY'), undefined, 'refused: 1-3 wait for wB and wC');
      tsm.endOfferRound();
      clock.advance(300);
      assert.equal(at(tsm, 'wB', 'ANY'), 1);
      assert.equal(at(tsm, 'wA', 'ANY'), undefined);
      tsm.endOfferRound();
      clock.advance(200);
      assert.equal(at(tsm, 'wA', 'ANY'), 2, 'the wait runs from the set\'s creation: over at 500 ms, though a local launch came at 300');
      assert.equal(levelOf(tsm, 2), 'ANY');
    });

    test('a level with no pending task is left at once (SPARK-4939): once no task prefers a worker, one queued again runs anywhere without waiting', async () => {
      const { tsm } = setup([0, 1], { localityWaitMs: 500 }, { 0: ['wA'], 1: [] });
      const t0 = tsm.offer('wA', 1, true, false, 'PROCESS_LOCAL')!;
      assert.equal(at(tsm, 'wB', 'NO_PREF'), 1);
      assert.equal(at(tsm, 'wB', 'ANY'), undefined, 'nothing pending');
      tsm.onResult(t0.taskId, killed());
      assert.equal(at(tsm, 'wB', 'ANY'), 0, 'the set had left PROCESS_LOCAL (no task there): its task queued again runs on wB');
      assert.equal(levelOf(tsm, 0), 'ANY');
    });

    test('3,000 partitions over 3 workers: every offer picks as a scan of the pending queue would, asking each task its preferences about once', () => {
      // Partitions 7, 10, 13 ...; by the rule below a fifth prefer no worker, some one, some two,
      // some a worker that never offers (they wait for the locality wait).
      const n = 3000;
      const partitions = Array.from({ length: n }, (_, i) => 7 + 3 * i);
      const workers = ['w0', 'w1', 'w2'];
      const rule = (p: number): string[] => {
        switch (p % 5) {
          case 0: return [];
          case 1: return [workers[p % 3]];
          case 2: return [workers[(p + 1) % 3], workers[(p + 2) % 3]];
          case 3: return ['wGone'];
          default: return [workers[(p >> 1) % 3]];
        }
      };
      const prefs: Record<number, string[]> = {};
      for (const p of partitions) prefs[p] = rule(p);
      const { clock, stage, tsm } = setup(partitions, { localityWaitMs: 500, maxFailures: 1000 }, prefs);
      let calls = 0;
      const ask = stage.preferredWorkers.bind(stage);
      stage.preferredWorkers = (p: number) => (calls++, ask(p));

      // The model: the pending partitions in a queue (a task queued again goes first); an
      // offer takes the first the worker may run (not one that failed there while a live
      // worker it did not fail on remains) that prefers the worker, else the first with no
      // preference once the wait is over (the offer is at ANY: Spark's dequeueTask at the allowed
      // level, PROCESS_LOCAL within the wait), else (the wait over) the first (forExecutor, noPrefs, all).
      const queue = [...partitions];
      const failedOn = new Map<number, Set<string>>();
      const running = new Map<string, { partition: number; workerId: string }>();
      const done = new Set<number>();
      let waitOver = false;
      const modelPick = (w: string, live: number): number | undefined => {
        const may = queue.filter((p) => {
          const f = failedOn.get(p);
          return !(f !== undefined && f.has(w) && f.size < live);
        });
        return may.find((p) => prefs[p].includes(w)) ?? (waitOver ? (may.find((p) => prefs[p].length === 0) ?? may[0]) : undefined);
      };
      const queueAgain = (p: number): void => {
        if (!done.has(p) && !queue.includes(p) && ![...running.values()].some((r) => r.partition === p)) queue.unshift(p);
      };

      let seed = 31;
      const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      let launched = 0;
      let picksByPreference = 0;
      for (let step = 0; done.size < n; step++) {
        assert.ok(step < 20 * n, 'the set finishes');
        if (!waitOver && launched >= 1000) {
          clock.advance(500);
          waitOver = true;
        }
        const w = workers[Math.floor(random() * 3)];
        const live = random() < 0.9 ? 3 : 2;
        const expected = modelPick(w, live);
        const t = tsm.offer(w, live);
        assert.equal(t?.desc.partition, expected, `offer ${step} to ${w} (${live} live)`);
        if (t) {
          launched++;
          if (prefs[expected!].includes(w)) picksByPreference++;
          queue.splice(queue.indexOf(expected!), 1);
          running.set(t.taskId, { partition: expected!, workerId: w });
        }
        // End a running attempt now and then: mostly a success, else a failure, a kill or a lost connection.
        if (running.size > 0 && (random() < 0.5 || !t)) {
          const ids = [...running.keys()];
          const id = ids[Math.floor(random() * ids.length)];
          const r = running.get(id)!;
          running.delete(id);
          const roll = random();
          if (roll < 0.7) {
            tsm.onResult(id, ok());
            done.add(r.partition);
          } else if (roll < 0.85) {
            tsm.onResult(id, userError('flaky'));
            const f = failedOn.get(r.partition) ?? new Set<string>();
            failedOn.set(r.partition, f.add(r.workerId));
            queueAgain(r.partition);
          } else if (roll < 0.93) {
            tsm.onResult(id, killed());
            queueAgain(r.partition);
          } else {
            tsm.onResult(id, workerLost());
            queueAgain(r.partition);
          }
        }
      }
      assert.ok(tsm.isEnded);
      assert.equal(stage.successes.length, n);
      assert.ok(launched > n + 300, `tasks were retried (${launched} launches)`);
      assert.ok(picksByPreference > n / 2, `most picks went by preference (${picksByPreference})`);
      // A scan of the pending queue on each offer asked about every task it passed: millions of calls.
      assert.ok(calls <= 2 * n, `preferredWorkers called ${calls} times for ${n} tasks`);
    });
  });

  describe('speculation', () => {
    const spec = { speculation: true, speculationMultiplier: 1.5, speculationQuantile: 0.75, speculationMinMs: 100 };

    /** Four tasks on w1..w4; the first three finish after 200 ms (median 200: threshold 300 ms). */
    function straggler() {
      const s = setup([0, 1, 2, 3], spec);
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(s.tsm, w));
      s.clock.advance(200);
      for (let i = 0; i < 3; i++) s.tsm.onResult(t[i].taskId, ok(`r${i}`));
      return { ...s, slow: t[3] };
    }

    test('a straggler gets a copy on another worker once past multiplier × median', async () => {
      const { clock, tsm, slow } = straggler();
      assert.equal(slow.partition, 3);
      assert.equal(tsm.offer('w1'), undefined, 'running 200 ms: not yet past 1.5 × 200');
      clock.advance(100);
      assert.equal(tsm.offer('w1'), undefined, 'running 300 ms: not strictly past the threshold');
      clock.advance(1);
      assert.equal(tsm.offer('w4'), undefined, 'never a copy on the worker already running it');
      const copy = launch(tsm, 'w2');
      assert.equal(copy.partition, 3);
      assert.equal(copy.attempt, 1);
      assert.notEqual(copy.taskId, slow.taskId);
      assert.equal(tsm.offer('w3'), undefined, 'one speculative copy at most');
      assert.equal(tsm.runningCount, 2);
    });

    test('the copy wins: the original is killed, and its later success is ignored', async () => {
      const { clock, stage, tsm, ended, slow } = straggler();
      clock.advance(101);
      const copy = launch(tsm, 'w1');
      tsm.onResult(copy.taskId, ok('from copy'));
      assert.deepEqual(stage.kills, [{ workerId: 'w4', taskId: slow.taskId }]);
      assert.deepEqual(await ended(), { kind: 'done' });
      tsm.onResult(slow.taskId, ok('from original'));
      assert.equal(stage.successCount(3), 1);
      assert.deepEqual(stage.successes.find((s) => s.partition === 3), { partition: 3, workerId: 'w1', result: 'from copy' });
    });

    test('the original wins: the copy is killed', async () => {
      const { clock, stage, tsm, ended, slow } = straggler();
      clock.advance(101);
      const copy = launch(tsm, 'w1');
      tsm.onResult(slow.taskId, ok('from original'));
      assert.deepEqual(stage.kills, [{ workerId: 'w1', taskId: copy.taskId }]);
      tsm.onResult(copy.taskId, killed());
      assert.deepEqual(await ended(), { kind: 'done' });
      assert.equal(stage.successCount(3), 1);
      assert.equal(stage.successes.find((s) => s.partition === 3)?.workerId, 'w4');
    });

    test('every partition’s onSuccess runs exactly once even if both attempts report success', async () => {
      const clock = new ManualClock(0);
      const stage = new FakeStage();
      // A kill that does nothing, as when the kill RPC loses the race with the result.
      const tsm = new TaskSetManager(stage, [0, 1, 2, 3], taskSetOptions(spec), clock, () => undefined);
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(10);
      for (let i = 0; i < 3; i++) tsm.onResult(t[i].taskId, ok());
      clock.advance(500);
      const copy = launch(tsm, 'w1');
      tsm.onResult(t[3].taskId, ok('first'));
      tsm.onResult(copy.taskId, ok('second'));
      tsm.onResult(t[3].taskId, ok('duplicate report'));
      for (const p of [0, 1, 2, 3]) assert.equal(stage.successCount(p), 1, `partition ${p}`);
      assert.equal(stage.successes.find((s) => s.partition === 3)?.result, 'first');
      assert.deepEqual(await tsm.finished, { kind: 'done' });
    });

    test('the threshold is multiplier × the median of the finished run times, whatever order they finished in', () => {
      const { clock, tsm } = setup([0, 1, 2, 3, 4, 5, 6, 7, 8], spec);
      // Tasks 0..6 launched 100 ms apart, 7 and 8 with 6; all of 0..6 finish at 1,000 ms
      // after the first launch, in a shuffled order, so their run times come in unsorted.
      const t: ReturnType<typeof launch>[] = [];
      for (let i = 0; i < 9; i++) {
        if (i > 0 && i < 7) clock.advance(100);
        t.push(launch(tsm, `w${i}`));
      }
      clock.advance(400);
      const order = [3, 0, 5, 1, 6, 2, 4];
      for (const i of order) tsm.onResult(t[i].taskId, ok());
      // Run times 1000 - 100 i; their median, computed here: 700, so the threshold is 1,050 ms.
      const runs = order.map((i) => 1000 - 100 * i).sort((a, b) => a - b);
      const threshold = 1.5 * runs[Math.floor(runs.length / 2)];
      assert.equal(threshold, 1050);
      // Tasks 7 and 8 have run 400 ms.
      clock.advance(threshold - 400);
      assert.equal(tsm.offer('w0'), undefined, 'running exactly the threshold: no copy');
      clock.advance(1);
      const copy = launch(tsm, 'w0');
      assert.equal(copy.partition, 7);
      assert.equal(copy.attempt, 1);
    });

    test('no speculation before the quantile of tasks has finished', () => {
      const { clock, tsm } = setup([0, 1, 2, 3], spec);
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(10);
      tsm.onResult(t[0].taskId, ok());
      tsm.onResult(t[1].taskId, ok());
      clock.advance(100_000);
      assert.equal(tsm.offer('w1'), undefined, '2 of 4 finished is below 75%');
    });

    test('no speculation before speculationMinMs, however fast the others were', () => {
      const { clock, tsm } = setup([0, 1, 2, 3], spec);
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(10);
      for (let i = 0; i < 3; i++) tsm.onResult(t[i].taskId, ok());
      clock.advance(80); // running 90 ms: far past 1.5 × 10 but under 100
      assert.equal(tsm.offer('w1'), undefined);
      clock.advance(11);
      assert.equal(launch(tsm, 'w1').partition, 3);
    });

    test('no speculation when it is off', () => {
      const { clock, tsm } = setup([0, 1, 2, 3], { ...spec, speculation: false });
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(10);
      for (let i = 0; i < 3; i++) tsm.onResult(t[i].taskId, ok());
      clock.advance(100_000);
      assert.equal(tsm.offer('w1'), undefined);
    });

    test('a failing copy is counted but does not re-queue the task while the original runs; the original completes', async () => {
      const { clock, stage, tsm, ended, slow } = straggler();
      clock.advance(101);
      const copy = launch(tsm, 'w1');
      tsm.onResult(copy.taskId, userError('copy failed'));
      assert.equal(await ended(), undefined);
      assert.equal(tsm.runningCount, 1);
      tsm.onResult(slow.taskId, ok());
      assert.deepEqual(await ended(), { kind: 'done' });
      assert.equal(stage.successCount(3), 1);
    });

    test('a copy is handed out only when the scheduler asks for copies (after every pending task)', () => {
      const { clock, tsm } = straggler();
      clock.advance(101);
      assert.equal(tsm.offer('w1', 4, false), undefined);
      assert.equal(tsm.offer('w1', 4, true)?.desc.partition, 3);
    });

    test('a copy as slow as its original is killed, and the task is never copied again', () => {
      const { clock, stage, tsm, slow } = straggler();
      clock.advance(101); // the original has run 301 ms, past 1.5 × 200
      const copy = launch(tsm, 'w1');
      clock.advance(300);
      assert.deepEqual(tsm.tick(Infinity), []);
      assert.deepEqual(stage.kills, [], 'the copy has run 300 ms: not past the threshold yet');
      clock.advance(1);
      tsm.tick(Infinity);
      assert.deepEqual(stage.kills, [{ workerId: 'w1', taskId: copy.taskId }]);
      assert.equal(tsm.runningCount, 1, 'the original runs on');
      tsm.onResult(copy.taskId, killed());
      clock.advance(100_000);
      for (const w of ['w1', 'w2', 'w3']) assert.equal(tsm.offer(w), undefined, `no second copy on ${w}`);
      assert.deepEqual(tsm.runningTasks().map((t) => [t.taskId, t.workerId]), [[slow.taskId, 'w4']]);
    });

    test('tick reports a task once when it passes the long-running mark', () => {
      const { clock, tsm } = setup([0]);
      const t = launch(tsm, 'w1');
      clock.advance(1000);
      assert.deepEqual(tsm.tick(1000), []);
      clock.advance(1);
      assert.deepEqual(tsm.tick(1000).map((x) => x.taskId), [t.taskId]);
      clock.advance(5000);
      assert.deepEqual(tsm.tick(1000), []);
    });
  });

  describe('task timeout', () => {
    test('an attempt past the timeout is killed and counted; the last one fails the set with SLUICE_TASK_TIMEOUT naming stage, partition and timeout', async () => {
      const { clock, stage, tsm, ended } = setup([0, 5], { taskTimeoutMs: 500, maxFailures: 2 });
      const a = launch(tsm, 'w1');
      const b = launch(tsm, 'w2');
      tsm.onResult(b.taskId, ok());
      clock.advance(500);
      tsm.tick(Infinity);
      assert.deepEqual(stage.kills, [], 'not past 500 ms yet');
      clock.advance(1);
      tsm.tick(Infinity);
      assert.deepEqual(stage.kills, [{ workerId: 'w1', taskId: a.taskId }]);
      assert.equal(await ended(), undefined, 'one failed attempt of two allowed');
      const retry = launch(tsm, 'w2');
      assert.equal(retry.partition, a.partition);
      clock.advance(501);
      tsm.tick(Infinity);
      const end = await ended();
      assert.equal(end?.kind, 'failed');
      if (end?.kind !== 'failed') return;
      assert.equal(end.code, 'SLUICE_TASK_TIMEOUT');
      assert.equal(end.attempts, 2);
      assert.equal(end.partition, a.partition);
      assert.match(end.message, new RegExp(`stage 7, partition ${a.partition}\\) ran past the job's task timeout of 500 ms on worker w2 and was killed`));
      assert.deepEqual(stage.kills.at(-1), { workerId: 'w2', taskId: retry.taskId });
    });

    test("a zombie's attempt past the timeout is killed, told timeout, nothing queued again; the set drains", async () => {
      const { clock, stage, tsm, ended } = setup([0, 1], { taskTimeoutMs: 500 });
      const a = launch(tsm, 'w1');
      const b = launch(tsm, 'w2');
      tsm.onResult(a.taskId, fetchFailed());
      assert.equal((await ended())?.kind, 'fetchFailed');
      let drained = false;
      void tsm.drained.then(() => (drained = true));
      clock.advance(501);
      tsm.tick(Infinity);
      assert.deepEqual(stage.kills, [{ workerId: 'w2', taskId: b.taskId }]);
      assert.equal(stage.ends.at(-1)?.reason, 'timeout');
      assert.match(stage.ends.at(-1)?.error?.message ?? '', /ran past the job's task timeout of 500 ms on worker w2/);
      assert.equal(tsm.offer('w3'), undefined);
      await Promise.resolve();
      assert.equal(drained, true);
    });

    test('a task whose original timed out while its copy ran is queued again when the copy is killed as slow', async () => {
      const { clock, stage, tsm, ended } = setup([0, 1, 2, 3], { speculation: true, speculationMultiplier: 1.5, speculationQuantile: 0.75, speculationMinMs: 100, taskTimeoutMs: 1000 });
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(100);
      for (let i = 1; i < 4; i++) tsm.onResult(t[i].taskId, ok());
      clock.advance(51); // 151 ms: past max(100, 1.5 × 100)
      const copy = launch(tsm, 'w2');
      clock.advance(850); // the original: 1001 ms, past the timeout; the copy: 850 ms, past 150 ms
      tsm.tick(Infinity);
      assert.deepEqual(stage.kills, [
        { workerId: 'w1', taskId: t[0].taskId },
        { workerId: 'w2', taskId: copy.taskId },
      ]);
      const again = launch(tsm, 'w3');
      assert.equal(again.partition, 0);
      tsm.onResult(again.taskId, ok('third time'));
      assert.deepEqual(await ended(), { kind: 'done' });
    });

    test('no timeout when it is 0', async () => {
      const { clock, stage, tsm, ended } = setup([0]);
      launch(tsm, 'w1');
      clock.advance(10_000_000);
      tsm.tick(Infinity);
      assert.deepEqual(stage.kills, []);
      assert.equal(await ended(), undefined);
    });
  });

  test("a fetch failure ends the set with kind fetchFailed; its running tasks run on in the zombie set and a success still counts (Spark's isZombie)", async () => {
    const { stage, tsm, ended } = setup([0, 1, 2, 3]);
    const a = launch(tsm, 'w1');
    const b = launch(tsm, 'w2');
    const c = launch(tsm, 'w3');
    let drained = false;
    void tsm.drained.then(() => (drained = true));
    tsm.onResult(a.taskId, fetchFailed());
    assert.deepEqual(await ended(), { kind: 'fetchFailed', shuffleId: 2, mapPartition: 5, workerId: 'w9', message: 'cannot fetch shuffle_job1_2_5_0 from w9' });
    assert.deepEqual(stage.kills, [], 'running tasks are not killed');
    assert.equal(tsm.offer('w4'), undefined, 'pending tasks are dropped');
    assert.equal(tsm.runningCount, 2);
    assert.equal(tsm.isZombie, true);
    tsm.onResult(b.taskId, ok('b'));
    assert.deepEqual(stage.successes, [{ partition: b.partition, workerId: 'w2', result: 'b' }], "a zombie's success counts");
    assert.deepEqual(stage.ends.map((e) => [e.taskId, e.reason]), [[a.taskId, 'fetch_failed'], [b.taskId, 'success']]);
    // A lost worker's attempt in a zombie is told lost and not queued again.
    tsm.onWorkerLost('w3');
    assert.equal(tsm.offer('w4'), undefined);
    assert.equal(tsm.runningCount, 0);
    await Promise.resolve();
    assert.equal(drained, true, 'drained once no attempt runs');
    assert.deepEqual(stage.ends.map((e) => [e.taskId, e.reason]).slice(2), [[c.taskId, 'worker_lost']]);
  });

  test("a zombie's success for a partition another attempt has is a late duplicate (alreadyDone); abort kills a zombie's attempts", async () => {
    const { stage, tsm } = setup([0, 1, 2]);
    const done = new Set<number>();
    (stage as { alreadyDone?: (p: number) => boolean }).alreadyDone = (p) => done.has(p);
    const a = launch(tsm, 'w1');
    const b = launch(tsm, 'w2');
    const c = launch(tsm, 'w3');
    tsm.onResult(a.taskId, fetchFailed());
    done.add(b.partition);
    // It ran to its end: the figures its worker measured go with its end (whole ms).
    const metrics = { executor_deserialize_time: 2.5, executor_run_time: 31.9, result_serialization_time: 1.2, shuffle_records_read: 6, shuffle_records_written: 0, shuffle_fetch_wait_time: 4.1, input_bytes_read: 0, input_records_read: 0, output_bytes_written: 0, output_records_written: 0, bytes_spilled: 0 };
    tsm.onResult(b.taskId, { ok: true, outcome: { ...base, outcome: 'result', result: Buffer.from('v'), shuffle_read_bytes: 9, metrics } });
    assert.deepEqual(stage.successes, []);
    assert.deepEqual(stage.ends.at(-1), { ...stage.ends.at(-1)!, taskId: b.taskId, reason: 'killed', killReason: 'another attempt succeeded' });
    assert.deepEqual(stage.ends.at(-1)!.metrics, { executorDeserializeTime: 2, executorRunTime: 31, resultSerializationTime: 1, gettingResultTime: 0, shuffleRecordsRead: 6, shuffleRecordsWritten: 0, shuffleFetchWaitTime: 4 });
    assert.equal(stage.ends.at(-1)!.shuffleReadBytes, 9);
    tsm.abort({ kind: 'failed', code: 'SLUICE_CANCELLED', message: 'job ended', stack: '', partition: -1, attempts: 0 });
    assert.deepEqual(stage.kills, [{ workerId: 'w3', taskId: c.taskId }]);
    assert.equal(tsm.runningCount, 0);
  });

  test('markPartitionCompleted: another attempt computed the partition; its copies here are killed, the set done once every partition is', async () => {
    const { stage, tsm, ended } = setup([4, 5]);
    const a = launch(tsm, 'w1');
    assert.equal(tsm.markPartitionCompleted(a.partition), true);
    assert.deepEqual(stage.kills, [{ workerId: 'w1', taskId: a.taskId }]);
    assert.equal(tsm.markPartitionCompleted(a.partition), false);
    const other = a.partition === 4 ? 5 : 4;
    assert.equal(tsm.markPartitionCompleted(other), true);
    assert.deepEqual(await ended(), { kind: 'done' });
    assert.deepEqual(stage.successes, []);
  });

  test('abort ends the set with the given end and kills running attempts', async () => {
    const { stage, tsm, ended } = setup([0, 1]);
    const a = launch(tsm, 'w1');
    const end: TaskSetEnd = { kind: 'failed', code: 'SLUICE_CANCELLED', message: 'job cancelled', stack: '', partition: -1, attempts: 0 };
    tsm.abort(end);
    assert.deepEqual(await ended(), end);
    assert.deepEqual(stage.kills, [{ workerId: 'w1', taskId: a.taskId }]);
  });

  describe('task ends (onTaskEnd) and progress', () => {
    test('every attempt that ends is reported once, with its reason, duration, shuffle bytes and result size (a map task: its map status); progress counts (completed + running) / tasks', async () => {
      const clock = new ManualClock(1000);
      const stage = new FakeStage();
      const tsm = new TaskSetManager(stage, [0, 1, 2, 3, 4], taskSetOptions({ taskTimeoutMs: 5000 }), clock, (workerId, taskId) => stage.kills.push({ workerId, taskId }));
      assert.deepEqual(tsm.progress(), { stageId: 7, stageAttempt: 0, numTasks: 5, completedTasks: 0, runningTasks: 0, failedAttempts: 0, submittedMsAgo: 0 });
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(40);
      // Sizes [1, 2]; it read 11 shuffle bytes; the worker's metrics (ms with fractions) kept in whole ms, truncated, as Spark's.
      const metrics = { executor_deserialize_time: 5.7, executor_run_time: 20.2, result_serialization_time: 0.9, shuffle_records_read: 4, shuffle_records_written: 2, shuffle_fetch_wait_time: 3.5, input_bytes_read: 0, input_records_read: 0, output_bytes_written: 0, output_records_written: 0, bytes_spilled: 0 };
      tsm.onResult(t[0].taskId, { ok: true, outcome: { ...base, outcome: 'map_status', map_status: { status: Buffer.from(encodeMapStatus([1, 2])) }, shuffle_read_bytes: 11, metrics } });
      tsm.onResult(t[1].taskId, userError('boom'));
      tsm.onResult(t[2].taskId, workerLost());
      assert.deepEqual(tsm.progress(), { stageId: 7, stageAttempt: 0, numTasks: 5, completedTasks: 1, runningTasks: 1, failedAttempts: 2, submittedMsAgo: 40 });
      clock.advance(6000); // past the task timeout: t[3] is killed and counted
      tsm.tick(Infinity);
      const byTask = new Map(stage.ends.map((e) => [e.taskId, e]));
      assert.equal(stage.ends.length, 4, 'one report per ended attempt');
      assert.deepEqual({ ...byTask.get(t[0].taskId) }, { taskId: t[0].taskId, partition: t[0].partition, attempt: 0, workerId: 'w1', reason: 'success', durationMs: 40, speculative: false, taskLocality: 'PROCESS_LOCAL', shuffleWriteBytes: 3, shuffleReadBytes: 11, resultSize: encodeMapStatus([1, 2]).byteLength,
        metrics: { executorDeserializeTime: 5, executorRunTime: 20, resultSerializationTime: 0, gettingResultTime: 0, shuffleRecordsRead: 4, shuffleRecordsWritten: 2, shuffleFetchWaitTime: 3 },
      });
      assert.equal(byTask.get(t[1].taskId)?.metrics, undefined, 'a failed attempt has no metrics');
      assert.equal(byTask.get(t[1].taskId)?.reason, 'error');
      assert.equal(byTask.get(t[1].taskId)?.shuffleReadBytes, 0, 'a failed attempt reads nothing into the metrics');
      assert.equal(byTask.get(t[2].taskId)?.reason, 'worker_lost');
      assert.equal(byTask.get(t[3].taskId)?.reason, 'timeout');
      // Told why, as the set's failure would be (the listener's error and errorString, REST's errorMessage), not the bare reason.
      assert.deepEqual(byTask.get(t[3].taskId)?.error, { message: `task ${t[3].taskId} (stage 7, partition ${t[3].partition}) ran past the job's task timeout of 5000 ms on worker w4 and was killed; find why it does not return, or raise --task-timeout`, stack: '' });
      assert.equal(byTask.get(t[3].taskId)?.durationMs, 6040);
      // A result arriving for the killed attempt is not reported again.
      tsm.onResult(t[3].taskId, ok());
      assert.equal(stage.ends.length, 4);
      assert.equal(tsm.progress().failedAttempts, 3, "error, worker_lost, timeout");
    });

    test("a tiny task's metrics (a worker leaves its zero fields out: an empty message) are all 0; under 1 ms they truncate to 0, and the driver's getting of a result kept as a block still counts", async () => {
      const clock = new ManualClock(0);
      const stage = new FakeStage();
      const tsm = new TaskSetManager(stage, [0, 1, 2, 3], taskSetOptions(), clock, () => undefined);
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(3);
      const zero = { executor_deserialize_time: 0, executor_run_time: 0, result_serialization_time: 0, shuffle_records_read: 0, shuffle_records_written: 0, shuffle_fetch_wait_time: 0, input_bytes_read: 0, input_records_read: 0, output_bytes_written: 0, output_records_written: 0, bytes_spilled: 0 };
      const result = { ...base, outcome: 'result' as const, result: Buffer.from('v') };
      tsm.onResult(t[0].taskId, { ok: true, outcome: { ...result, metrics: zero } });
      tsm.onResult(t[1].taskId, { ok: true, outcome: { ...result, metrics: { ...zero, executor_deserialize_time: 0.9, executor_run_time: 0.4, shuffle_fetch_wait_time: 0.99 } } });
      tsm.onResult(t[2].taskId, { ok: true, outcome: { ...result, metrics: zero }, gettingResultMs: 2.6 });
      tsm.onResult(t[3].taskId, { ok: true, outcome: { ...result, metrics: { ...zero, shuffle_records_written: 1 } } });
      const byTask = new Map(stage.ends.map((e) => [e.taskId, e.metrics]));
      const none = { executorDeserializeTime: 0, executorRunTime: 0, resultSerializationTime: 0, gettingResultTime: 0, shuffleRecordsRead: 0, shuffleRecordsWritten: 0, shuffleFetchWaitTime: 0 };
      assert.deepEqual({ ...byTask.get(t[0].taskId) }, none, 'all 0');
      assert.deepEqual({ ...byTask.get(t[1].taskId) }, none, 'fractions of a ms truncate to 0');
      assert.deepEqual({ ...byTask.get(t[2].taskId) }, { ...none, gettingResultTime: 2 }, "the driver's reading of the result is kept");
      assert.deepEqual({ ...byTask.get(t[3].taskId) }, { ...none, shuffleRecordsWritten: 1 }, 'a record written is kept');
    });

    test('a late duplicate success and the losing copy are reported as killed, not as completed', async () => {
      const clock = new ManualClock(0);
      const stage = new FakeStage();
      const spec = { speculation: true, speculationMinMs: 100, speculationQuantile: 0.75, speculationMultiplier: 1.5 };
      const tsm = new TaskSetManager(stage, [0, 1, 2, 3], taskSetOptions(spec), clock, () => undefined);
      const t = ['w1', 'w2', 'w3', 'w4'].map((w) => launch(tsm, w));
      clock.advance(10);
      for (let i = 0; i < 3; i++) tsm.onResult(t[i].taskId, ok());
      clock.advance(500);
      const copy = launch(tsm, 'w1');
      assert.equal(tsm.progress().runningTasks, 1, 'an original and its copy are one running task');
      tsm.onResult(t[3].taskId, ok());
      tsm.onResult(copy.taskId, ok());
      const reasons = stage.ends.map((e) => e.reason);
      assert.deepEqual(reasons.filter((r) => r === 'success').length, 4, 'one success per partition');
      assert.deepEqual(reasons.filter((r) => r === 'killed').length, 1, 'the copy, killed once the original won');
      // Spark's TaskSetManager.handleSuccessfulTask kills the other attempts with reason = "another attempt succeeded".
      assert.deepEqual(stage.ends.filter((e) => e.reason === 'killed').map((e) => e.killReason), ['another attempt succeeded']);
      assert.equal(stage.ends.length, 5);
      assert.deepEqual(await tsm.finished, { kind: 'done' });
    });
  });
});

// A worker holding map outputs a set's tasks read was lost (DAGScheduler.workerLost tells the set,
// mapOutputsLost), as Spark's DAGScheduler.handleExecutorLost: the outputs are unregistered and the
// reading stage runs on (DAGSchedulerSuite's executor-lost cases: no task of it is killed); its
// running tasks finish or fail on their own fetch, and a task that would launch without the
// outputs fails the stage at once as FetchFailed (MetadataFetchFailedException), a zombie.
describe('TaskSetManager: a worker holding map outputs its tasks read is lost', () => {
  const lost: Extract<TaskSetEnd, { kind: 'fetchFailed' }> = { kind: 'fetchFailed', shuffleId: 1, mapPartition: 2, workerId: 'w9', message: 'worker w9 holding map outputs was lost' };

  test('every task running: none is killed, the set runs on and each success counts; it ends done', async () => {
    const { stage, tsm, ended } = setup([0, 1, 2]);
    const t = ['w1', 'w2', 'w3'].map((w) => launch(tsm, w));
    tsm.mapOutputsLost(lost);
    assert.deepEqual(stage.kills, [], 'no running task is killed');
    assert.equal(tsm.isEnded, false);
    for (const x of t) tsm.onResult(x.taskId, ok(`r${x.partition}`));
    assert.deepEqual(await ended(), { kind: 'done' });
    assert.deepEqual(stage.successes.map((s) => s.partition).sort(), [0, 1, 2]);
    assert.deepEqual(stage.ends.map((e) => e.reason), ['success', 'success', 'success']);
  });

  test('a task pending: the set ends at once as the fetch failure, a zombie: its running attempts go on, their successes count, nothing more launches', async () => {
    const { stage, tsm, ended } = setup([0, 1, 2, 3]);
    const a = launch(tsm, 'w1');
    const b = launch(tsm, 'w2');
    tsm.mapOutputsLost(lost);
    assert.deepEqual(await ended(), lost);
    assert.deepEqual(stage.kills, []);
    assert.equal(tsm.isZombie, true);
    assert.equal(tsm.offer('w3'), undefined, 'no task launches without the lost outputs');
    tsm.onResult(a.taskId, ok('a'));
    tsm.onResult(b.taskId, ok('b'));
    assert.deepEqual(stage.successes.map((s) => s.result).sort(), ['a', 'b'], "the zombie's successes count");
    await tsm.drained;
  });

  test('none pending, then a running task is queued again (its worker lost, or it failed): the set ends then as the fetch failure, the others run on', async () => {
    for (const how of ['worker lost', 'user error'] as const) {
      const { stage, tsm, ended } = setup([0, 1, 2]);
      const t = ['w1', 'w2', 'w3'].map((w) => launch(tsm, w));
      tsm.mapOutputsLost(lost);
      assert.equal(tsm.isEnded, false, how);
      if (how === 'worker lost') tsm.onWorkerLost('w1');
      else tsm.onResult(t[0].taskId, userError('boom'));
      assert.deepEqual(await ended(), lost, how);
      assert.deepEqual(stage.kills, [], how);
      tsm.onResult(t[1].taskId, ok());
      tsm.onResult(t[2].taskId, ok());
      assert.equal(stage.successes.length, 2, how);
      assert.equal(tsm.offer('w4'), undefined, how);
    }
  });

  test("a running task's own fetch failure after the loss ends the set with that failure, as before", async () => {
    const { stage, tsm, ended } = setup([0, 1]);
    const a = launch(tsm, 'w1');
    launch(tsm, 'w2');
    tsm.mapOutputsLost(lost);
    tsm.onResult(a.taskId, fetchFailed());
    assert.deepEqual(await ended(), { kind: 'fetchFailed', shuffleId: 2, mapPartition: 5, workerId: 'w9', message: 'cannot fetch shuffle_job1_2_5_0 from w9' });
    assert.deepEqual(stage.kills, []);
  });

  test('an ended set is left alone', async () => {
    const { tsm, ended } = setup([0]);
    const a = launch(tsm, 'w1');
    tsm.onResult(a.taskId, ok());
    tsm.mapOutputsLost(lost);
    assert.deepEqual(await ended(), { kind: 'done' });
  });
});
