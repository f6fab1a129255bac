// What a SparkListener hears of a job that fails or is cancelled, and which operators keep their
// RDD's partitioner, on a cluster of 2 worker processes of 2 cores (fixture core-spark-suites9.ts,
// one job).
// What each case expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - DAGScheduler.abortStage (a task set failed: a task failed spark.task.maxFailures = 4 times)
//   calls failJobAndIndependentStages(job, s"Job aborted due to stage failure: $reason"), which
//   marks each running stage only that job uses finished with that failureReason
//   (markStageAsFinished(stage, Some(failureReason)): SparkListenerStageCompleted, its
//   StageInfo.failureReason), then posts SparkListenerJobEnd(JobFailed(new
//   SparkException(failureReason))): the stage's failureReason, the job's failure and the
//   action's error are one text, the stage's completion heard before the job's end. A failing
//   shuffle map stage fails the job so: its result stage, waiting, is never submitted, so never
//   completed; a map stage still running beside the one that failed, only that job's, is ended
//   with it (its tasks killed: TaskKilled, whose reason is "Stage cancelled: " and that
//   failureReason, as cancelRunningIndependentStages calls taskScheduler.cancelTasks(stageId, ...,
//   reason) beside markStageAsFinished(stage, Some(reason)) and TaskSchedulerImpl.killAllTaskAttempts
//   kills each task with "Stage cancelled: " + reason), its completion told before the job's end, and an
//   action that needs it later computes it anew. A cancelled job (handleJobCancellation, as cancelJobGroup asks) goes the same way
//   with its cancellation's message (Sluice's own words, containing "cancel" as
//   JobCancellationSuite asserts), its running tasks killed (TaskKilled), and its map stages
//   only it uses ended with it though another job runs on.
// - A failed task's error text (TaskEndReason.scala): ExceptionFailure.toErrorString is the
//   exception's fullStackTrace, "java.lang.RuntimeException: boom" (Throwable.toString: the class,
//   then ": " and the message when it has one) and its frames; TaskSetManager.handleFailedTask's
//   "Lost task 0.3 in stage 1.0 (TID 7) (host executor 1): " + toErrorString is what abortStage's
//   "most recent failure: " quotes; AppStatusListener.onTaskEnd keeps it as the task's
//   errorMessage. In JS the class is the Error's name and the text Error.prototype.toString's
//   ("TypeError: ...", "Error" for no message); a thrown string has no class: its text alone.
// - DAGScheduler.updateAccumulators merges each of a successful task's accumulator updates inside
//   try { ... } catch { case NonFatal(e) => logError(s"Failed to update accumulator ...") }: an
//   accumulator whose merge throws keeps its value, the others merge, the job goes on.
// - LiveListenerBus: a listener that throws is logged and the event goes on to the others
//   ("SparkListener moves on if a listener throws an exception"); an async callback throws by
//   rejecting its promise, which is taken the same way.
// - Which RDDs keep their parent's partitioner (RDD.scala, PairRDDFunctions.scala): sample
//   (PartitionwiseSampledRDD, preservesPartitioning = true), randomSplit (mapPartitionsWithIndex
//   preserving), mapPartitions / mapPartitionsWithIndex / zipPartitions only when asked to
//   preserve, union of RDDs with one partitioner (PartitionerAwareUnionRDD), subtractByKey
//   (self.partitioner.getOrElse), cogroup-based joins, groupBy / foldByKey / aggregateByKey /
//   combineByKey on an RDD already so partitioned (defaultPartitioner: its partitioner; the combine
//   runs in place), filter and mapValues of a sortByKey (its RangePartitioner), partitionBy with an
//   equal partitioner (the RDD itself); none for map-based ones (keys, values, keyBy, flatMap,
//   glom), subtract and intersection (their .keys), coalesce (CoalescedRDD), repartition and
//   zipWithIndex.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appRest } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

/** The fields of Spark's JobData the REST case reads. */
interface JobJson {
  jobId: number;
  stageIds: number[];
  numTasks: number;
  numCompletedStages: number;
  numSkippedStages: number;
  numSkippedTasks: number;
  numKilledTasks: number;
  killedTasksSummary: Record<string, number>;
  numCompletedTasks: number;
  numCompletedIndices: number;
  numActiveTasks: number;
}

let cases: SparkCaseRun;
/** GET /api/v1/applications/<job>/jobs once the fixture's job ended. */
let restJobs: JobJson[] = [];
/** The fields of Spark's StageData the REST case reads. */
interface StageJson {
  stageId: number;
  attemptId: number;
  jobId: number;
  jobIds: number[];
  status: string;
  numTasks: number;
  numCompleteTasks: number;
  numCompletedIndices: number;
  failureReason?: string;
  failedTasks: { errorMessage: string }[];
}
/** GET .../stages and .../stages?status=skipped once the fixture's job ended. */
let restStages: StageJson[] = [];
let restSkippedStages: StageJson[] = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'core-spark-suites9-'));

before(async () => {
  // 2 cores each: room for both map stages' tasks at once (listener-sibling-stage-ended).
  cases = await runSparkCases('core-spark-suites9.ts', [scratch], { workers: 2, coresPerWorker: 2, driver: { webPort: 0 } }, async (h, run) => {
    if (run.ok && run.jobId !== undefined) {
      const get = appRest(h.cluster, run.jobId);
      restJobs = await get<JobJson[]>('jobs');
      restStages = await get<StageJson[]>('stages');
      restSkippedStages = await get<StageJson[]>('stages?status=skipped');
    }
  });
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

type Heard = [string, ...unknown[]];
type Failure = { code: string | null; error: string };
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * Spark's abort text for partition `p` of stage `stage` (attempt 0) failing its 4 attempts with
 * `message`, the task's error as ExceptionFailure.toErrorString opens it (its class, then its
 * message: "Error: boom"); TID and executor are Sluice's.
 */
const aborted = (p: number, stage: number, message: string): RegExp =>
  new RegExp(`^${escape(`Job aborted due to stage failure: Task ${p} in stage ${stage}.0 failed 4 times, most recent failure: Lost task ${p}.3 in stage ${stage}.0 (TID `)}\\S+\\) \\(worker \\S+\\): ${escape(message)}$`);
/** A task a job's end killed: its TaskKilled reason (TaskSchedulerImpl.killAllTaskAttempts' "Stage cancelled: " + the reason the stage is marked finished with). */
const cancelled = (failureReason: string): string => `Stage cancelled: ${failureReason}`;
const of = (heard: Heard[], event: string): Heard[] => heard.filter((h) => h[0] === event);
const indexOf = (heard: Heard[], event: string, id: number): number => heard.findIndex((h) => h[0] === event && h[1] === id);

test('FailureSuite "failure in a single-stage job" as a listener hears it: the stage\'s failureReason is the job\'s failure and the action\'s error, "Job aborted due to stage failure: ..." (DAGScheduler.abortStage), heard after the task\'s 4 failures and before the job\'s end', () => {
  const r = cases.one<{ action: Failure; heard: Heard[] }>('listener-result-stage-fails');
  assert.equal(r.action.code, 'SLUICE_TASK_FAILED', r.action.error);
  const [start] = of(r.heard, 'jobStart');
  const [, jobId, stageIds] = start as [string, number, number[]];
  assert.equal(stageIds.length, 1);
  const stage = stageIds[0];
  assert.match(r.action.error, aborted(1, stage, 'Error: result stage fails at 3'));
  // Partition 1's attempts 0..3, each an ExceptionFailure with the task's error.
  assert.deepEqual(of(r.heard, 'taskEnd').filter((h) => h[2] === 1), [0, 1, 2, 3].map((a) => ['taskEnd', stage, 1, a, 'ExceptionFailure', 'result stage fails at 3']));
  assert.deepEqual(of(r.heard, 'stageCompleted'), [['stageCompleted', stage, 0, r.action.error]]);
  assert.deepEqual(of(r.heard, 'jobEnd'), [['jobEnd', jobId, r.action.error]]);
  const completed = indexOf(r.heard, 'stageCompleted', stage);
  assert.ok(r.heard.findLastIndex((h) => h[0] === 'taskEnd' && h[2] === 1) < completed, 'the last failure is heard before the stage completes');
  assert.equal(indexOf(r.heard, 'jobEnd', jobId), r.heard.length - 1, 'the job ends last');
});

test('FailureSuite "failure in a two-stage job", the map side failing: its shuffle map stage completes with the job\'s failure; the result stage is never submitted nor completed', () => {
  const r = cases.one<{ action: Failure; heard: Heard[] }>('listener-map-stage-fails');
  assert.equal(r.action.code, 'SLUICE_TASK_FAILED', r.action.error);
  const [, jobId, stageIds] = of(r.heard, 'jobStart')[0] as [string, number, number[]];
  assert.equal(stageIds.length, 2, 'the job waits on its map stage and runs its result stage');
  const submitted = of(r.heard, 'stageSubmitted');
  assert.equal(submitted.length, 1, JSON.stringify(r.heard));
  const mapStage = submitted[0][1] as number;
  assert.ok(stageIds.includes(mapStage));
  assert.match(r.action.error, aborted(1, mapStage, 'Error: map stage fails at 3'));
  assert.deepEqual(of(r.heard, 'stageCompleted'), [['stageCompleted', mapStage, 0, r.action.error]]);
  assert.deepEqual(of(r.heard, 'jobEnd'), [['jobEnd', jobId, r.action.error]]);
  assert.equal(indexOf(r.heard, 'jobEnd', jobId), r.heard.length - 1, 'the job ends last');
});

test('JobCancellationSuite "job group" as a listener hears it: the cancelled job\'s stage completes with the job\'s failure, which says "cancel", before the job ends; its running tasks end TaskKilled', () => {
  const r = cases.one<{ cancelled: number; action: Failure; heard: Heard[] }>('listener-job-group-cancelled');
  assert.equal(r.cancelled, 1);
  assert.equal(r.action.code, 'SLUICE_CANCELLED', r.action.error);
  assert.match(r.action.error, /cancel/);
  const [, jobId, stageIds] = of(r.heard, 'jobStart')[0] as [string, number, number[]];
  assert.equal(stageIds.length, 1);
  const stage = stageIds[0];
  assert.deepEqual(of(r.heard, 'stageCompleted'), [['stageCompleted', stage, 0, r.action.error]]);
  assert.deepEqual(of(r.heard, 'jobEnd'), [['jobEnd', jobId, r.action.error]]);
  assert.ok(indexOf(r.heard, 'stageCompleted', stage) < indexOf(r.heard, 'jobEnd', jobId), 'the stage completes before the job ends');
  assert.deepEqual(of(r.heard, 'taskEnd').map((h) => [h[1], h[2], h[4]]).sort(), [[stage, 0, 'TaskKilled'], [stage, 1, 'TaskKilled']]);
  // Each TaskKilled's reason is the cancellation (the reason the stage is marked finished with, after "Stage cancelled: ").
  assert.deepEqual(of(r.heard, 'taskEnd').map((h) => h[5]), [cancelled(r.action.error), cancelled(r.action.error)]);
  // Their errorString is Spark's TaskKilled.toErrorString: "TaskKilled (" + reason + ")".
  assert.deepEqual(of(r.heard, 'taskEnd').map((h) => h[6]), [`TaskKilled (${cancelled(r.action.error)})`, `TaskKilled (${cancelled(r.action.error)})`]);
  // The REST API's JobData counts them by that reason (AppStatusListener.killedTasksSummary: TaskKilled.reason -> count).
  const job = restJobs.find((j) => j.jobId === jobId);
  assert.ok(job, JSON.stringify(restJobs.map((j) => j.jobId)));
  assert.deepEqual([job.numKilledTasks, job.killedTasksSummary], [2, { [cancelled(r.action.error)]: 2 }]);
});

test('FailureSuite "failure in a two-stage job" with the other map stage still running: the job\'s failure ends that stage too, completed with the job\'s failure before the job ends, its running tasks killed (DAGScheduler.failJobAndIndependentStages); run again, it is recomputed', () => {
  const r = cases.one<{ action: Failure; startedBefore: number; heard: Heard[]; again: { value: [number, [number, number]][] } | Failure; startedAgain: number }>('listener-sibling-stage-ended');
  assert.equal(r.action.code, 'SLUICE_TASK_FAILED', r.action.error);
  const [, jobId, stageIds] = of(r.heard, 'jobStart')[0] as [string, number, number[]];
  assert.equal(stageIds.length, 3, 'two map stages and the result stage');
  const failures = of(r.heard, 'taskEnd').filter((h) => h[4] === 'ExceptionFailure');
  const failingStage = failures[0]?.[1] as number;
  assert.match(r.action.error, aborted(1, failingStage, 'Error: the other map stage fails'));
  const submitted = of(r.heard, 'stageSubmitted').map((h) => h[1] as number);
  assert.equal(submitted.length, 2, JSON.stringify(r.heard));
  const slowStage = submitted.find((s) => s !== failingStage)!;
  assert.equal(r.startedBefore, 2, "both of the slow stage's tasks ran when the job failed");
  // Both map stages complete with the job's failure, before the job's end.
  assert.deepEqual(of(r.heard, 'stageCompleted').map((h) => [h[1], h[3]]).sort(), [[failingStage, r.action.error], [slowStage, r.action.error]].sort());
  const end = indexOf(r.heard, 'jobEnd', jobId);
  assert.deepEqual(r.heard[end], ['jobEnd', jobId, r.action.error]);
  assert.ok(indexOf(r.heard, 'stageCompleted', slowStage) < end, 'the slow stage completes before the job ends');
  // Its two tasks were killed, never finished.
  assert.deepEqual(of(r.heard, 'taskEnd').filter((h) => h[1] === slowStage).map((h) => [h[2], h[4]]).sort(), [[0, 'TaskKilled'], [1, 'TaskKilled']]);
  // Killed with the job's failure as their reason (TaskKilled("Stage cancelled: " + the stage's failureReason)).
  assert.deepEqual(of(r.heard, 'taskEnd').filter((h) => h[1] === slowStage).map((h) => h[5]), [cancelled(r.action.error), cancelled(r.action.error)]);
  // Run again (released): the slow map stage runs anew, both its partitions, and the join is whole.
  assert.ok('value' in r.again, JSON.stringify(r.again));
  assert.deepEqual([...r.again.value].sort((a, b) => a[0] - b[0]), [0, 1, 2, 3].map((x) => [x, [x * 10, x]]));
  assert.equal(r.startedAgain, 2);
});

test('a failed job leaves a shared map stage another running job waits on running (failJobAndIndependentStages ends only the stages that job alone uses): the other job succeeds, the stage computed once', () => {
  const r = cases.one<{ action: Failure; other: { value: [number, number][] } | Failure; otherJobId: number; heard: Heard[]; started: number }>('listener-shared-stage-kept');
  assert.equal(r.action.code, 'SLUICE_TASK_FAILED', r.action.error);
  assert.match(r.action.error, /^Job aborted due to stage failure: Task 1 in stage \d+\.0 failed 4 times, .*: Error: a stage of one job fails$/);
  // The other job: keys x % 2 of 0..3, summed: 0 + 2 and 1 + 3.
  assert.ok('value' in r.other, JSON.stringify(r.other));
  assert.deepEqual([...r.other.value].sort((a, b) => a[0] - b[0]), [[0, 2], [1, 4]]);
  assert.equal(r.started, 2, "the shared stage's two tasks ran once, not again");
  const ends = of(r.heard, 'jobEnd');
  assert.deepEqual(ends.find((h) => h[1] === r.otherJobId), ['jobEnd', r.otherJobId, 'JobSucceeded']);
  assert.deepEqual(ends.filter((h) => h[1] !== r.otherJobId).map((h) => h[2]), [r.action.error]);
  // The shared map stage: the one stage both jobs' starts name.
  const [otherStages, failedStages] = [of(r.heard, 'jobStart').filter((h) => h[1] === r.otherJobId), of(r.heard, 'jobStart').filter((h) => h[1] !== r.otherJobId)].map((hs) => hs[0][2] as number[]);
  const both = otherStages.filter((id) => failedStages.includes(id));
  assert.equal(both.length, 1, JSON.stringify(r.heard));
  const sharedStage = both[0];
  assert.deepEqual(of(r.heard, 'stageCompleted').filter((h) => h[1] === sharedStage), [['stageCompleted', sharedStage, 0, null]]);
  assert.deepEqual(of(r.heard, 'taskEnd').filter((h) => h[1] === sharedStage && h[4] !== 'Success'), [], 'none of its tasks was killed');
});

test('a job cancelled while another runs: its map stage, which only it uses, is ended with it (handleJobCancellation -> failJobAndIndependentStages), completed with its failure before its end, its tasks killed; the other job runs on', () => {
  const r = cases.one<{ action: Failure; jobId: number; otherJobId: number; other: { value: number[] } | Failure; heard: Heard[] }>('listener-cancelled-beside-another');
  assert.equal(r.action.code, 'SLUICE_CANCELLED', r.action.error);
  assert.match(r.action.error, /cancel/);
  assert.deepEqual(r.other, { value: [0, 1] });
  const [, , stageIds] = of(r.heard, 'jobStart').find((h) => h[1] === r.jobId) as [string, number, number[]];
  const mapStage = of(r.heard, 'stageSubmitted').map((h) => h[1] as number).find((id) => stageIds.includes(id));
  assert.notEqual(mapStage, undefined, JSON.stringify(r.heard));
  assert.deepEqual(of(r.heard, 'stageCompleted').filter((h) => h[1] === mapStage), [['stageCompleted', mapStage, 0, r.action.error]]);
  assert.ok(indexOf(r.heard, 'stageCompleted', mapStage!) < indexOf(r.heard, 'jobEnd', r.jobId), 'its map stage completes before it ends');
  assert.deepEqual(of(r.heard, 'jobEnd').find((h) => h[1] === r.jobId), ['jobEnd', r.jobId, r.action.error]);
  assert.deepEqual(of(r.heard, 'taskEnd').filter((h) => h[1] === mapStage).map((h) => [h[2], h[4]]).sort(), [[0, 'TaskKilled'], [1, 'TaskKilled']]);
  assert.deepEqual(of(r.heard, 'taskEnd').filter((h) => h[1] === mapStage).map((h) => h[5]), [cancelled(r.action.error), cancelled(r.action.error)], 'killed with its cancellation as their reason');
  assert.deepEqual(of(r.heard, 'jobEnd').find((h) => h[1] === r.otherJobId), ['jobEnd', r.otherJobId, 'JobSucceeded']);
});

test('AppStatusListener\'s skipped stages, as the REST API\'s JobData tells them: a second collect over the shuffle the first computed lists the map stage in its stageIds, skipped (numSkippedStages 1, numSkippedTasks its 4 tasks), having run its result stage alone; REST /stages shows that map stage SKIPPED, the second job\'s, no tasks completed', () => {
  const r = cases.one<{ first: number[]; second: number[]; firstValue: [number, number][]; secondValue: [number, number][] }>('rest-skipped-stage');
  // keys x % 10 of 0..99, summed: k*10 + (0+1+...+9)*10.
  const sums = Array.from({ length: 10 }, (_, k) => [k, 10 * k + 450]);
  assert.deepEqual(r.firstValue, sums);
  assert.deepEqual(r.secondValue, sums);
  assert.equal(r.first.length, 1);
  assert.equal(r.second.length, 1);
  const first = restJobs.find((j) => j.jobId === r.first[0]);
  const second = restJobs.find((j) => j.jobId === r.second[0]);
  assert.ok(first && second, JSON.stringify(restJobs));
  // The first ran both: the map stage (4 tasks, parallelize's partitions) and its result stage (2, reduceByKey's).
  assert.equal(first.stageIds.length, 2, JSON.stringify(first));
  assert.deepEqual([first.numTasks, first.numCompletedStages, first.numSkippedStages, first.numSkippedTasks], [6, 2, 0, 0], JSON.stringify(first));
  // The second: Spark's job stageIds are every stage it depends on (DAGScheduler's jobIdToStageIds); the
  // map stage, its outputs there, stays PENDING and is marked SKIPPED at the job's end (AppStatusListener.onJobEnd:
  // skippedStages += it, skippedTasks += its numTasks); its numTasks, fixed at its start (onJobStart: the
  // StageInfos not completed, the map stage's fresh one too), is both stages' 4 + 2.
  const shared = second.stageIds.filter((id) => first.stageIds.includes(id));
  assert.equal(second.stageIds.length, 2, JSON.stringify(second));
  assert.equal(shared.length, 1, 'the map stage is the two jobs\' one shared stage');
  assert.equal(second.stageIds[0], shared[0], 'parents first, as Spark\'s stage ids run');
  assert.deepEqual([second.numTasks, second.numCompletedStages, second.numSkippedStages, second.numSkippedTasks], [6, 1, 1, 4], JSON.stringify(second));
  // REST /stages, as Spark's: the second job's start gave the map stage a fresh LiveStage under
  // the same (stage id, attempt 0) key, and its end wrote it SKIPPED over the first job's COMPLETE
  // one (AppStatusListener.onJobStart's getOrCreateStage, onJobEnd): one entry for it, SKIPPED, its
  // 4 tasks, none completed, the second job's; the result stages each COMPLETE with their 2 tasks.
  const brief = (x: StageJson): unknown[] => [x.stageId, x.attemptId, x.jobId, x.status, x.numTasks, x.numCompleteTasks];
  const mapStage = restStages.filter((x) => x.stageId === shared[0]);
  assert.deepEqual(mapStage.map(brief), [[shared[0], 0, second.jobId, 'SKIPPED', 4, 0]], JSON.stringify(mapStage));
  for (const [job, resultId] of [[first, first.stageIds[1]], [second, second.stageIds[1]]] as const) {
    const st = restStages.filter((x) => x.stageId === resultId);
    assert.deepEqual(st.map(brief), [[resultId, 0, job.jobId, 'COMPLETE', 2, 2]], JSON.stringify(st));
  }
  // StageData.jobIds (LiveStage.jobIds): the skipped map stage's fresh LiveStage was the second
  // job's alone (the first had ended before it started); each result stage its own job's.
  assert.deepEqual(mapStage.map((x) => x.jobIds), [[second.jobId]]);
  // numCompletedIndices (LiveStage/LiveJob.completedIndices: the distinct task indexes that
  // succeeded): the skipped stage's fresh LiveStage none; each result stage its 2; the first job
  // its 4 map and 2 result tasks, the second its result stage's 2.
  assert.deepEqual(mapStage.map((x) => x.numCompletedIndices), [0]);
  for (const job of [first, second]) assert.deepEqual(restStages.filter((x) => x.stageId === job.stageIds[1]).map((x) => x.numCompletedIndices), [2]);
  assert.deepEqual([first.numCompletedIndices, second.numCompletedIndices], [6, 2]);
  for (const job of [first, second]) assert.deepEqual(restStages.filter((x) => x.stageId === job.stageIds[1]).map((x) => x.jobIds), [[job.jobId]]);
  assert.ok(restSkippedStages.some((x) => x.stageId === shared[0]), JSON.stringify(restSkippedStages.map(brief)));
  assert.ok(restSkippedStages.every((x) => x.status === 'SKIPPED'), JSON.stringify(restSkippedStages.map(brief)));
});

test('AppStatusListener\'s shared stage, as the REST API\'s JobData tells it: a job started while another\'s map stage runs waits on it, and that stage\'s tasks and completion count toward both jobs (LiveStage.jobs); its StageData.jobIds lists both', () => {
  const r = cases.one<{ first: number[]; second: number[]; firstValue: [number, number][]; secondValue: [number, number][]; started: number }>('rest-shared-stage-counted');
  // keys x % 10 of 0..99, summed: k*10 + 450; the second doubled.
  const sums = Array.from({ length: 10 }, (_, k) => [k, 10 * k + 450]);
  assert.deepEqual(r.firstValue, sums);
  assert.deepEqual(r.secondValue, sums.map(([k, v]) => [k, 2 * v]));
  assert.equal(r.started, 2, "the map stage's two tasks ran once, for both jobs");
  const first = restJobs.find((j) => j.jobId === r.first[0]);
  const second = restJobs.find((j) => j.jobId === r.second[0]);
  assert.ok(first && second, JSON.stringify(restJobs));
  const shared = second.stageIds.filter((id) => first.stageIds.includes(id));
  assert.equal(shared.length, 1, 'the map stage is the two jobs\' one shared stage');
  // Each: the map stage's 2 tasks (all ended after the second job started, so Spark's listener
  // counted them for it too) and its own result stage's 2; both stages complete, none skipped.
  const counts = (j: JobJson): number[] => [j.stageIds.length, j.numTasks, j.numCompletedTasks, j.numActiveTasks, j.numCompletedStages, j.numSkippedStages, j.numSkippedTasks];
  assert.deepEqual(counts(first), [2, 4, 4, 0, 2, 0, 0], JSON.stringify(first));
  assert.deepEqual(counts(second), [2, 4, 4, 0, 2, 0, 0], JSON.stringify(second));
  // numCompletedIndices: the map stage's 2 task indexes and the job's own result stage's 2, each job.
  assert.deepEqual([first.numCompletedIndices, second.numCompletedIndices], [4, 4]);
  // REST /stages' StageData.jobIds: the map stage both jobs' (the first's onStageSubmitted, then the
  // second's onJobStart adding it to the live stage: LiveStage.jobIds += jobId), each result stage
  // only its own job's.
  const mapStage = restStages.filter((x) => x.stageId === shared[0]);
  assert.deepEqual(mapStage.map((x) => [x.status, x.jobId, x.jobIds]), [['COMPLETE', first.jobId, [first.jobId, second.jobId].sort((a, b) => a - b)]], JSON.stringify(mapStage));
  for (const job of [first, second]) {
    const own = job.stageIds.filter((id) => id !== shared[0]);
    assert.deepEqual(restStages.filter((x) => own.includes(x.stageId)).map((x) => x.jobIds), [[job.jobId]], JSON.stringify(job));
  }
});

test("TaskContext's stageId, stageAttemptNumber, attemptNumber and taskAttemptId, as the listener heard the same attempts (a retry probe: partition 1 fails while attemptNumber() is 0)", () => {
  type Seen = { sums: [number, number][]; partition: number; stage: number; stageAttempt: number; attempt: number; taskAttemptId: string };
  const r = cases.one<{ seen: Seen[]; ends: [number, number, number, string, string][] }>('task-context');
  const seen = [...r.seen].sort((a, b) => a.partition - b.partition);
  assert.deepEqual(seen.map((s) => s.partition), [0, 1]);
  // The sums of 0..5 by parity, over both reduce partitions.
  assert.deepEqual(seen.flatMap((s) => s.sums).sort((a, b) => a[0] - b[0]), [[0, 0 + 2 + 4], [1, 1 + 3 + 5]]);
  // Partition 1 ran again after its first attempt threw: attempt 1; partition 0 once; the stage once.
  assert.deepEqual(seen.map((s) => [s.attempt, s.stageAttempt]), [[0, 0], [1, 0]]);
  for (const s of seen) {
    // The listener's successful end of that partition: the same stage, attempt number and task id.
    const end = r.ends.filter(([stage, index, , reason]) => stage === s.stage && index === s.partition && reason === 'Success');
    assert.deepEqual(end.map(([, , attempt, , taskId]) => [attempt, taskId]), [[s.attempt, s.taskAttemptId]], JSON.stringify(r.ends));
  }
  assert.equal(seen[0].stage, seen[1].stage);
  // The failed first attempt of partition 1 in that stage, and a map stage of 3 tasks before it.
  assert.deepEqual(r.ends.filter(([stage, , , reason]) => stage === seen[0].stage && reason !== 'Success').map(([, index, attempt, reason]) => [index, attempt, reason]), [[1, 0, 'ExceptionFailure']]);
  const map = r.ends.filter(([stage]) => stage !== seen[0].stage);
  assert.deepEqual(map.map(([, index, attempt, reason]) => [index, attempt, reason]).sort(), [[0, 0, 'Success'], [1, 0, 'Success'], [2, 0, 'Success']]);
});

test('a failed task\'s error as Spark\'s ExceptionFailure.toErrorString gives it ("java.lang.RuntimeException: boom"), in JS "Error: boom": the job\'s failure, the listener\'s task end (className, errorString with the stack), REST stages\' failureReason and failedTasks\' errorMessage', () => {
  type End = { stageId: number; error: string | null; className: string | null; errorString: string | null };
  const r = cases.one<Record<string, { action: Failure; ends: End[] }>>('task-error-text');
  // What each threw: its message (ExceptionFailure.description), class (the Error's name) and
  // Error.prototype.toString's text (class, ": ", message; the class alone with no message).
  const thrown: Record<string, { message: string; className: string | null; text: string }> = {
    error: { message: 'boom', className: 'Error', text: 'Error: boom' },
    typeError: { message: "Cannot read properties of null (reading 'f')", className: 'TypeError', text: "TypeError: Cannot read properties of null (reading 'f')" },
    subclass: { message: 'bad record 7', className: 'BadRecordError', text: 'BadRecordError: bad record 7' },
    noMessage: { message: '', className: 'Error', text: 'Error' },
    string: { message: 'a thrown string', className: null, text: 'a thrown string' },
  };
  assert.deepEqual(Object.keys(r), Object.keys(thrown));
  for (const [kind, t] of Object.entries(thrown)) {
    const { action, ends } = r[kind];
    assert.equal(action.code, 'SLUICE_TASK_FAILED', `${kind}: ${action.error}`);
    assert.equal(ends.length, 4, `${kind}: the one task's 4 attempts failed: ${JSON.stringify(ends)}`);
    const stage = ends[0].stageId;
    assert.match(action.error, aborted(0, stage, t.text), kind);
    for (const e of ends) {
      assert.deepEqual([e.stageId, e.error, e.className], [stage, t.message, t.className], kind);
      // toErrorString: the text, then (an Error's) its stack's frames, the fixture's own among them.
      if (t.className === null) assert.equal(e.errorString, t.text, kind);
      else {
        assert.ok(e.errorString?.startsWith(`${t.text}\n    at `), `${kind}: ${e.errorString}`);
        assert.match(e.errorString ?? '', /core-spark-suites9\.ts:\d+:\d+/, kind);
      }
    }
    const st = restStages.filter((x) => x.stageId === stage);
    assert.deepEqual(st.map((x) => [x.status, x.failureReason, x.failedTasks.map((f) => f.errorMessage)]), [['FAILED', action.error, [t.text, t.text, t.text, t.text]]], kind);
  }
});

test('JobCancellationSuite "only keeps limited number of cancelled job groups": the last 1,000 groups cancelled with their future jobs are kept, oldest first out; a group cancelled again keeps its place (Spark\'s LimitedSizeFIFOSet, a LinkedHashSet)', () => {
  const r = cases.one<{ running: number; ran: Record<string, { value: number } | Failure> }>('cancelled-groups-kept');
  assert.equal(r.running, 0);
  // Spark's set, as a list: add appends what it does not hold, then drops the head past 1,000
  // (spark.scheduler.numCancelledJobGroupsToTrack's default).
  const kept: string[] = [];
  const add = (g: string): void => {
    if (!kept.includes(g)) kept.push(g);
    if (kept.length > 1000) kept.shift();
  };
  for (let i = 0; i <= 1000; i++) add(`kept-${i}`);
  add('kept-1');
  add('kept-new');
  for (const [g, o] of Object.entries(r.ran)) {
    if (kept.includes(g)) {
      assert.ok('code' in o && o.code === 'SLUICE_CANCELLED', `${g}: ${JSON.stringify(o)}`);
      assert.match(o.error, new RegExp(`part of cancelled job group ${g} `));
    } else assert.deepEqual(o, { value: 100 }, g);
  }
  // What that gives: the first two groups forgotten (kept-1 did not move when cancelled again).
  assert.deepEqual(Object.keys(r.ran).filter((g) => !kept.includes(g)), ['kept-0', 'kept-1']);
});

test('DAGSchedulerSuite "misbehaved accumulator should not impact other accumulators": an accumulator whose merge throws keeps its value (0), the other gets every update (10), the action succeeds and the next job runs (updateAccumulators catches NonFatal and logs it)', () => {
  const r = cases.one('accumulator-merge-throws');
  assert.deepEqual(r, { action: 'succeeded', bad: 0, good: 10, after: { value: 10 } });
});

test('SparkListenerSuite "SparkListener moves on if a listener throws an exception", the throw an async callback\'s (a rejected promise): logged and skipped, the other listener hears every job\'s end, the jobs and the program go on', () => {
  const r = cases.one('listener-async-rejects');
  assert.deepEqual(r, { first: { value: 10 }, second: { value: 10 }, ends: 2 });
});

test('PartitioningSuite "partitioner preservation", the operators rdd-spark-suites does not ask: kept or dropped as Spark\'s RDDs keep them', () => {
  const r = cases.one('partitioner-kept');
  const hash3 = { kind: 'hash', numPartitions: 3 };
  // sortByKey of keys 0..4, four each, into 3: determineBounds over weights 4 each, a bound where the
  // cumulative weight passes 20/3 and 40/3 (keys 1 and 3): 2 bounds, 3 partitions.
  const range3 = { kind: 'range', numPartitions: 3 };
  assert.deepEqual(r, {
    sample: hash3,
    randomSplit: hash3,
    mapPartitionsPreserving: hash3,
    mapPartitions: null,
    mapPartitionsWithIndexPreserving: hash3,
    keys: null,
    values: null,
    keyBy: null,
    flatMap: null,
    glom: null,
    unionSame: hash3,
    unionOther: null,
    subtractByKey: hash3,
    subtract: null,
    intersection: null,
    fullOuterJoin: hash3,
    coalesce: null,
    repartition: null,
    zipWithIndex: null,
    zipPartitionsPreserving: hash3,
    zipPartitions: null,
    groupBy: hash3,
    foldByKey: hash3,
    aggregateByKey: hash3,
    combineByKey: hash3,
    sortByKey: range3,
    sortedFiltered: range3,
    sortedMapValues: range3,
    partitionBySame: true,
    partitionByOther: false,
  });
});
