// REST /stages' jobIds and SKIPPED entries where the CLI suites cannot reach them: a stage read
// while the jobs waiting on it run, and skipping jobs that overlap. The scheduler's events go to
// JobStageStatus as the DAG scheduler sends them; the REST answers come from restApi over a
// driver holding that one application. What each case expects is Spark's AppStatusListener,
// worked out here from its rules, not from Sluice's code:
// - onJobStart: each stage the job names gets the LiveStage kept under (stage id, attempt), a
//   fresh one if none is live (getOrCreateStage), and the job is added to its jobIds; a stage a
//   job submits takes every live job naming it (onStageSubmitted). A stage's LiveStage leaves
//   the live map once it completed (onStageCompleted/onTaskEnd).
// - onJobEnd: the job's stages still PENDING are written SKIPPED and leave the live map: the
//   first of the jobs sharing a fresh LiveStage to end writes it, with every job that had started
//   before then; a job starting after that gets a fresh one again.
// - A job's numTasks (LiveJob.numTasks) is fixed at its start: its StageInfos' numTasks summed (the
//   attempts run again after a fetch failure add none).
// - A job's counts (LiveJob): completedStages is a set of stage ids (a COMPLETE attempt adds its
//   id, a submission takes it out), failedStages and completedTasks count attempts and Successes,
//   completedIndices is a set of (stage id, TaskInfo.index), the index in the attempt's task set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DriverNode } from '../../src/driver-node.js';
import { JobStageStatus } from '../../src/status/job-stage-status.js';
import { restApi } from '../../src/web/rest-api.js';

const RUN = 'run-1';

/** One application's status and a driver serving only it; `live` the running jobs' stage ids (the DAG scheduler's). */
function app(): { s: JobStageStatus; d: DriverNode; live: Map<number, number[]>; stages: () => { stageId: number; attemptId: number; jobId: number; jobIds: number[]; status: string }[]; clock: { t: number } } {
  const clock = { t: 1000 };
  const s = new JobStageStatus(() => RUN, 1000, () => undefined, () => clock.t);
  const live = new Map<number, number[]>();
  const job = { id: 'app', runId: RUN, stages: s, workerAddress: () => undefined };
  const d = {
    jobs: new Map([['app', job]]),
    now: () => clock.t,
    dag: { runningTasks: () => [], actionStageIds: (_run: string, jobId: number) => live.get(jobId) },
    registry: { all: () => [] },
  } as unknown as DriverNode;
  const stages = (): ReturnType<ReturnType<typeof app>['stages']> => {
    const r = restApi(d, '/api/v1/applications/app/stages', new URLSearchParams());
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body as ReturnType<ReturnType<typeof app>['stages']>).map(({ stageId, attemptId, jobId, jobIds, status }) => ({ stageId, attemptId, jobId, jobIds, status }));
  };
  return { s, d, live, stages, clock };
}

function start(a: ReturnType<typeof app>, jobId: number, stageIds: number[]): void {
  a.clock.t++;
  a.live.set(jobId, stageIds);
  // Its start names each stage, 2 tasks each, its last the result stage (JobStartEvent.stageInfos).
  const stageInfos = stageIds.map((stageId, i) => ({ stageId, attempt: 0, kind: i === stageIds.length - 1 ? ('result' as const) : ('shuffleMap' as const), name: 'collect', numTasks: 2 }));
  a.s.onJobStart({ runId: RUN, jobId, time: a.clock.t, name: 'collect', action: 'collect', numPartitions: 2, properties: {}, stageInfos });
}
function submit(a: ReturnType<typeof app>, jobId: number, stageId: number, kind: 'result' | 'shuffleMap'): void {
  a.clock.t++;
  a.s.onStageSubmitted({ runId: RUN, jobId, stageId, stageAttempt: 0, kind, name: kind, numTasks: 2, time: a.clock.t });
}
function complete(a: ReturnType<typeof app>, stageId: number): void {
  a.clock.t++;
  for (const p of [0, 1]) a.s.onTaskEnd({ runId: RUN, stageId, stageAttempt: 0, taskId: `${stageId}.${p}`, partition: p, attempt: 0, workerId: 'w', reason: 'success', durationMs: 1, speculative: false, taskLocality: 'PROCESS_LOCAL', shuffleReadBytes: 0, shuffleWriteBytes: 0 });
  a.s.onStageCompleted({ runId: RUN, stageId, stageAttempt: 0, time: a.clock.t });
}
function end(a: ReturnType<typeof app>, jobId: number): void {
  a.clock.t++;
  const stageIds = a.live.get(jobId);
  a.live.delete(jobId);
  a.s.onJobEnd({ runId: RUN, jobId, time: a.clock.t, ...(stageIds && { stageIds }) });
}
const one = (a: ReturnType<typeof app>, stageId: number): unknown[] => a.stages().filter((x) => x.stageId === stageId).map((x) => [x.status, x.jobId, x.jobIds]);

test("a map stage a second job waits on while it runs lists both jobs, read while they run and after (LiveStage.jobIds: onStageSubmitted's live jobs, onJobStart's += jobId)", () => {
  const a = app();
  // Job 0: map stage 0, result stage 1. Job 1 (map stage 0, result stage 2) starts while map stage 0 runs.
  start(a, 0, [0, 1]);
  submit(a, 0, 0, 'shuffleMap');
  assert.deepEqual(one(a, 0), [['ACTIVE', 0, [0]]]);
  start(a, 1, [0, 2]);
  assert.deepEqual(one(a, 0), [['ACTIVE', 0, [0, 1]]], 'read while both run');
  complete(a, 0);
  submit(a, 0, 1, 'result');
  submit(a, 1, 2, 'result');
  assert.deepEqual([one(a, 1), one(a, 2)], [[['ACTIVE', 0, [0]]], [['ACTIVE', 1, [1]]]]);
  complete(a, 1);
  end(a, 0);
  complete(a, 2);
  end(a, 1);
  assert.deepEqual([one(a, 0), one(a, 1), one(a, 2)], [[['COMPLETE', 0, [0, 1]]], [['COMPLETE', 0, [0]]], [['COMPLETE', 1, [1]]]], 'after both ended');
});

test('jobs skipping a computed stage: those that started before the first of them ended share one SKIPPED entry (its jobIds both); a job starting after that writes a fresh one (its own id)', () => {
  const a = app();
  start(a, 0, [0, 1]);
  submit(a, 0, 0, 'shuffleMap');
  complete(a, 0);
  submit(a, 0, 1, 'result');
  complete(a, 1);
  end(a, 0);
  assert.deepEqual(one(a, 0), [['COMPLETE', 0, [0]]]);
  // Jobs 1 and 2 both start (one fresh LiveStage for stage 0, both its jobs), each runs its result stage; 1 ends first.
  start(a, 1, [0, 2]);
  // While it runs, stage 0 (computed before it started) and its result stage 2 wait: PENDING (onJobStart's fresh LiveStages).
  assert.deepEqual([one(a, 0), one(a, 2)], [[['PENDING', 1, [1]]], [['PENDING', 1, [1]]]], 'read as job 1 started');
  start(a, 2, [0, 3]);
  assert.deepEqual(one(a, 0), [['PENDING', 1, [1, 2]]], 'both jobs wait on it');
  submit(a, 1, 2, 'result');
  submit(a, 2, 3, 'result');
  complete(a, 2);
  end(a, 1);
  assert.deepEqual(one(a, 0), [['SKIPPED', 1, [1, 2]]], 'written at job 1\'s end with both jobs');
  complete(a, 3);
  end(a, 2);
  assert.deepEqual(one(a, 0), [['SKIPPED', 2, [1, 2]]], 'job 2 found no live stage of its own: the entry keeps both (its job the last to skip it)');
  // Job 3 starts once both ended: a fresh LiveStage, its own.
  start(a, 3, [0, 4]);
  submit(a, 3, 4, 'result');
  complete(a, 4);
  end(a, 3);
  assert.deepEqual(one(a, 0), [['SKIPPED', 3, [3]]]);
});

test("a job whose map stage runs again after a fetch failure: JobData's numCompletedStages counts each stage once (LiveJob.completedStages, a set), numFailedStages the failed attempt, numCompletedIndices (stage, task index) pairs", () => {
  const a = app();
  const submitAttempt = (stageId: number, attempt: number, kind: 'result' | 'shuffleMap', partitions: number[]): void => {
    a.clock.t++;
    a.s.onStageSubmitted({ runId: RUN, jobId: 0, stageId, stageAttempt: attempt, kind, name: kind, numTasks: partitions.length, partitions, time: a.clock.t });
  };
  const taskEnd = (stageId: number, attempt: number, partition: number, reason: 'success' | 'fetch_failed'): void =>
    a.s.onTaskEnd({ runId: RUN, stageId, stageAttempt: attempt, taskId: `${stageId}.${attempt}.${partition}`, partition, attempt: 0, workerId: 'w', reason, durationMs: 1, speculative: false, taskLocality: 'PROCESS_LOCAL', shuffleReadBytes: 0, shuffleWriteBytes: 0, ...(reason === 'fetch_failed' && { error: { message: 'shuffle 0 map 1 lost', stack: '' } }) });
  const stageEnd = (stageId: number, attempt: number, failure?: string): void => {
    a.clock.t++;
    a.s.onStageCompleted({ runId: RUN, stageId, stageAttempt: attempt, time: a.clock.t, ...(failure !== undefined && { failure }) });
  };
  // Its start names both stages, 2 tasks each (JobStartEvent.stageInfos).
  a.clock.t++;
  a.live.set(0, [0, 1]);
  a.s.onJobStart({ runId: RUN, jobId: 0, time: a.clock.t, name: 'collect', action: 'collect', numPartitions: 2, properties: {}, stageInfos: [{ stageId: 0, attempt: 0, kind: 'shuffleMap', name: 'map', numTasks: 2 }, { stageId: 1, attempt: 0, kind: 'result', name: 'collect', numTasks: 2 }] });
  // Map stage 0, attempt 0: both partitions. Result stage 1, attempt 0: partition 0 done, partition 1 fails to fetch.
  submitAttempt(0, 0, 'shuffleMap', [0, 1]);
  taskEnd(0, 0, 0, 'success');
  taskEnd(0, 0, 1, 'success');
  stageEnd(0, 0);
  submitAttempt(1, 0, 'result', [0, 1]);
  taskEnd(1, 0, 0, 'success');
  taskEnd(1, 0, 1, 'fetch_failed');
  stageEnd(1, 0, 'shuffle 0 map 1 lost');
  // Map stage 0 again (attempt 1: the lost partition 1, task index 0), then result stage 1 (attempt 1: partition 1, index 0).
  submitAttempt(0, 1, 'shuffleMap', [1]);
  taskEnd(0, 1, 1, 'success');
  stageEnd(0, 1);
  submitAttempt(1, 1, 'result', [1]);
  taskEnd(1, 1, 1, 'success');
  stageEnd(1, 1);
  end(a, 0);
  const r = restApi(a.d, '/api/v1/applications/app/jobs/0', new URLSearchParams());
  const j = r.body as Record<string, unknown>;
  // completedStages: {0} after map attempt 0, {0} - 0 at its resubmission, {0} again, + 1 at the end: {0, 1}.
  // Successes 2 + 1 + 1 + 1; indexes (0,0) (0,1) (1,0), then (0,0) and (1,0) again.
  assert.deepEqual(
    [j.numCompletedStages, j.numFailedStages, j.numActiveStages, j.numSkippedStages, j.numCompletedTasks, j.numFailedTasks, j.numCompletedIndices, j.numTasks],
    [2, 1, 0, 0, 5, 1, 3, 4],
    JSON.stringify(j),
  );
});

test("a job's numTasks is its start's StageInfos' tasks (LiveJob.numTasks), where Sluice's result tasks cover several partitions its result stage's as submitted", () => {
  const a = app();
  a.clock.t++;
  a.live.set(0, [0, 1]);
  a.s.onJobStart({ runId: RUN, jobId: 0, time: a.clock.t, name: 'collect', action: 'collect', numPartitions: 8, properties: {}, stageInfos: [{ stageId: 0, attempt: 0, kind: 'shuffleMap', name: 'map', numTasks: 4 }, { stageId: 1, attempt: 0, kind: 'result', name: 'collect', numTasks: 8 }] });
  const numTasks = (): unknown => (restApi(a.d, '/api/v1/applications/app/jobs/0', new URLSearchParams()).body as Record<string, unknown>).numTasks;
  assert.equal(numTasks(), 4 + 8);
  a.clock.t++;
  a.s.onStageSubmitted({ runId: RUN, jobId: 0, stageId: 0, stageAttempt: 0, kind: 'shuffleMap', name: 'map', numTasks: 4, time: a.clock.t });
  complete(a, 0);
  // The result stage's 8 partitions in 3 tasks.
  a.clock.t++;
  a.s.onStageSubmitted({ runId: RUN, jobId: 0, stageId: 1, stageAttempt: 0, kind: 'result', name: 'collect', numTasks: 3, partitions: [0, 3, 6], time: a.clock.t });
  assert.equal(numTasks(), 4 + 3);
});
