// What a SparkListener hears of a job that fails or is cancelled, and which operators keep their
// RDD's partitioner, on a cluster of 2 worker processes (fixture core-spark-suites9.ts, one job).
// What each case expects is Spark's, worked out here from Spark's sources, not from Sluice's code:
// - DAGScheduler.abortStage (a task set failed: a task failed spark.task.maxFailures = 4 times)
//   calls failJobAndIndependentStages(job, s"Job aborted due to stage failure: $reason"), which
//   marks each running stage only that job uses finished with that failureReason
//   (markStageAsFinished(stage, Some(failureReason)): SparkListenerStageCompleted, its
//   StageInfo.failureReason), then posts SparkListenerJobEnd(JobFailed(new
//   SparkException(failureReason))): the stage's failureReason, the job's failure and the
//   action's error are one text, the stage's completion heard before the job's end. A failing
//   shuffle map stage fails the job so: its result stage, waiting, is never submitted, so never
//   completed. A cancelled job (handleJobCancellation, as cancelJobGroup asks) goes the same way
//   with its cancellation's message (Sluice's own words, containing "cancel" as
//   JobCancellationSuite asserts), its running tasks killed (TaskKilled).
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
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'core-spark-suites9-'));

before(async () => {
  cases = await runSparkCases('core-spark-suites9.ts', [scratch]);
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

type Heard = [string, ...unknown[]];
type Failure = { code: string | null; error: string };
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Spark's abort text for partition `p` of stage `stage` (attempt 0) failing its 4 attempts with `message`; TID and executor are Sluice's. */
const aborted = (p: number, stage: number, message: string): RegExp =>
  new RegExp(`^${escape(`Job aborted due to stage failure: Task ${p} in stage ${stage}.0 failed 4 times, most recent failure: Lost task ${p}.3 in stage ${stage}.0 (TID `)}\\S+\\) \\(worker \\S+\\): ${escape(message)}$`);
const of = (heard: Heard[], event: string): Heard[] => heard.filter((h) => h[0] === event);
const indexOf = (heard: Heard[], event: string, id: number): number => heard.findIndex((h) => h[0] === event && h[1] === id);

test('FailureSuite "failure in a single-stage job" as a listener hears it: the stage\'s failureReason is the job\'s failure and the action\'s error, "Job aborted due to stage failure: ..." (DAGScheduler.abortStage), heard after the task\'s 4 failures and before the job\'s end', () => {
  const r = cases.one<{ action: Failure; heard: Heard[] }>('listener-result-stage-fails');
  assert.equal(r.action.code, 'SLUICE_TASK_FAILED', r.action.error);
  const [start] = of(r.heard, 'jobStart');
  const [, jobId, stageIds] = start as [string, number, number[]];
  assert.equal(stageIds.length, 1);
  const stage = stageIds[0];
  assert.match(r.action.error, aborted(1, stage, 'result stage fails at 3'));
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
  assert.match(r.action.error, aborted(1, mapStage, 'map stage fails at 3'));
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
