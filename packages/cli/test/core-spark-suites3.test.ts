// What a Spark user sees of core's scheduler, case by case (core/src/test/scala/org/apache/spark/
// scheduler/DAGSchedulerSuite, TaskSetManagerSuite, AsyncRDDActionsSuite, ThreadingSuite,
// SparkListenerSuite, CheckpointSuite), run through Sluice's public API on a cluster of 2 worker
// processes. Inputs are the ones Spark's tests make and the expected values Spark's (written here as
// the suites assert them), so they do not come from Sluice's code. One cluster for the file; the
// fixture prints `R <name> <json>`. README's "The API" says where Sluice differs on purpose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appRest, fixture, pollUntil, removeBlocksOn, siteAt, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-spark-suites3-'));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
/** Map output blocks the test removed from the workers between sched-fetch-failed's two jobs. */
let removedShuffleBlocks = 0;
/** The workers' ids and addresses (host:port) when sched-fetch-failed's map outputs were removed. */
const workerAddresses = new Map<string, string>();
/** REST stages' failed tasks (stageId, attemptId, each errorMessage) and FAILED tasks of every stage attempt's taskList, once the fixture ended. */
let restFailedTasks: [number, number, string[]][] = [];
let restTaskListFailed: [number, number, string[]][] = [];

before(async () => {
  // 2 cores each: room for two jobs' tasks at once. spark.driver.maxResultSize 2m, as TaskSetManagerSuite sets it.
  await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0, tasks: { maxResultSizeBytes: 2 * 1024 * 1024 } } }, async (h) => {
    const run = h.run(fixture('core-spark-suites3.ts'), [tmp]);
    // sched-fetch-failed: once its first job wrote the map outputs, they are removed from every worker.
    let ended = false;
    void run.finally(() => (ended = true));
    await pollUntil(() => ended || fs.existsSync(path.join(tmp, 'fetch-ready')) || undefined, 120_000, 'sched-fetch-failed to be ready');
    for (const w of h.cluster.driver.registry.all()) {
      workerAddresses.set(w.id, w.address);
      removedShuffleBlocks += await removeBlocksOn(w.address, h.cluster.secret, ['shuffle_']);
    }
    fs.writeFileSync(path.join(tmp, 'fetch-removed'), '');
    const done = await run;
    reported.read(done);
    const get = appRest(h.cluster, done.jobId!);
    const stages = await get<{ stageId: number; attemptId: number; failedTasks: { errorMessage: string }[] }[]>('stages');
    restFailedTasks = stages.map((s) => [s.stageId, s.attemptId, s.failedTasks.map((f) => f.errorMessage)]);
    for (const s of stages) {
      const tasks = await get<{ status: string; errorMessage?: string }[]>(`stages/${s.stageId}/${s.attemptId}/taskList?length=1000`);
      restTaskListFailed.push([s.stageId, s.attemptId, tasks.filter((t) => t.status === 'FAILED').map((t) => t.errorMessage ?? '')]);
    }
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);

// ---------------------------------------------------------------- DAGSchedulerSuite, TaskSetManagerSuite

test('TaskSetManagerSuite "repeated failures lead to task set abortion", DAGSchedulerSuite: "Job aborted due to stage failure: Task 0 in stage N.0 failed 4 times, most recent failure: Lost task 0.3 ..."; a not serializable result not retried', () => {
  type Failed = { code: string; error: string };
  const r = got<{ o: Failed; attempts: [number, number, string][]; notSerializable: Failed; after: number }>('sched-max-failures');
  assert.equal(r.o.code, 'SLUICE_TASK_FAILED');
  assert.deepEqual(r.attempts, [0, 1, 2, 3].map((a) => [0, a, 'ExceptionFailure']), "the listener's TaskInfo.index and attemptNumber");
  assert.match(r.o.error, /^Job aborted due to stage failure: Task 0 in stage (\d+)\.0 failed 4 times, most recent failure: Lost task 0\.3 in stage \1\.0 \(TID \S+\) \(worker worker-\S+\): Error: oops$/);
  assert.equal(r.notSerializable.code, 'SLUICE_TASK_NOT_SERIALIZABLE');
  assert.match(r.notSerializable.error, /^Job aborted due to stage failure: Task [01]\.0 in stage (\d+)\.0 \(TID \S+\) had a not serializable result: the result of partition [01] \(records of rdd\.map at \S+core-spark-suites3\.ts:\d+:\d+\) cannot be sent to the driver: /);
  assert.equal(r.after, 10, 'later jobs run');
});

test('TaskSetManagerSuite "abort the job if total size of results is too large", "don\'t abort if total size of results is within limit": spark.driver.maxResultSize 2m', () => {
  type Failed = { code: string; error: string };
  const r = got<{ within: number[]; over: Failed; overAsync: Failed; foreachOver: number; after: number }>('sched-max-result-size');
  assert.deepEqual(r.within, [1 << 20, 1]);
  for (const o of [r.over, r.overAsync]) {
    assert.equal(o.code, 'SLUICE_RESULT_TOO_LARGE', JSON.stringify(o));
    assert.match(o.error, /^Job aborted due to stage failure: Total size of serialized results of [23] tasks \([23]\.0 MiB\) is bigger than spark\.driver\.maxResultSize \(2\.0 MiB\)/);
    assert.match(o.error, /raise --max-result-size/);
  }
  // What stays on the workers does not count: 3 MiB computed, small results.
  assert.equal(r.foreachOver, 3);
  assert.equal(r.after, 10, 'later jobs run');
});

test('DAGSchedulerSuite "run trivial shuffle with fetch failure": map outputs lost, the reduce tasks fail to fetch, the map stage runs again as a new attempt, the result right', () => {
  const r = got<{ removed: boolean; first: [number, number][]; second: [number, number][]; submitted: [number, number, string][]; ends: [number, number, string, string | null][]; completed: [number, number, string | null][]; fetchTexts: [number, string | null, string | null][] }>('sched-fetch-failed');
  const sums = range(0, 10).map((k) => [k, range(0, 100).filter((x) => x % 10 === k).reduce((a, b) => a + b, 0)]);
  assert.equal(r.removed, true);
  assert.ok(removedShuffleBlocks > 0, String(removedShuffleBlocks));
  assert.deepEqual(r.first, sums);
  assert.deepEqual(r.second, sums);
  // The second job: its result stage's first attempt fails to fetch; the map stage (attempt 0 in the first job) is
  // submitted again as attempt 1 (and 2, when a second worker's outputs are found gone after the first re-run), and
  // the result stage again as attempts 1, 2 ...; its last attempt's 2 tasks succeed.
  // Stages as Spark names them: the map stage by its map side's creation site (the map before
  // reduceByKey), the result stage by the second job's collect, each on the fixture's own line.
  const show = JSON.stringify(r.submitted);
  const FILE = fixture('core-spark-suites3.ts');
  const mapName = siteAt('map', FILE, '.map((x): [number, number] => [x % 10, x])');
  const resultName = siteAt('collect', FILE, 'const second = (await pairs.collect())');
  assert.ok(r.submitted.every(([, , name]) => mapName.test(name) || resultName.test(name)), show);
  const mapAttempts = r.submitted.filter(([, , name]) => mapName.test(name)).map(([, a]) => a);
  const resultSubmits = r.submitted.filter(([, , name]) => resultName.test(name));
  assert.ok(mapAttempts.length >= 1, show);
  assert.deepEqual(mapAttempts, range(1, mapAttempts.length + 1), show);
  assert.equal(new Set(r.submitted.filter(([, , name]) => mapName.test(name)).map(([id]) => id)).size, 1, show);
  assert.ok(resultSubmits.length >= 2, show);
  assert.deepEqual(resultSubmits.map(([, a]) => a), range(0, resultSubmits.length), show);
  const resultId = resultSubmits[0][0];
  assert.ok(r.ends.some(([id, a, reason]) => id === resultId && a === 0 && reason === 'FetchFailed'), JSON.stringify(r.ends));
  // Each result stage attempt a fetch failure ended completes with that FetchFailed's message alone as its
  // failureReason: DAGScheduler.handleTaskCompletion's markStageAsFinished(failedStage, errorMessage =
  // Some(failureMessage)), failureMessage the FetchFailed's `message` (what the task's end tells as its error).
  const fetchEnded = r.completed.filter(([id, a]) => id === resultId && r.ends.some(([i, x, reason]) => i === id && x === a && reason === 'FetchFailed'));
  assert.ok(fetchEnded.some(([, a]) => a === 0), JSON.stringify(r.completed));
  for (const [id, a, failureReason] of fetchEnded) {
    const messages = r.ends.filter(([i, x, reason]) => i === id && x === a && reason === 'FetchFailed').map(([, , , error]) => error);
    assert.ok(failureReason !== null && messages.includes(failureReason), `attempt ${a}: ${failureReason} is one of its FetchFailed messages ${JSON.stringify(messages)}`);
  }
  assert.deepEqual(r.ends.filter(([id, a]) => id === resultId && a === resultSubmits.length - 1).map(([, , reason]) => reason), ['Success', 'Success'], JSON.stringify(r.ends));
  // Each FetchFailed end's errorString is Spark's FetchFailed.toErrorString:
  // "FetchFailed(BlockManagerId(<executor>, <host>, <port>, None), shuffleId=S, mapIndex=M, mapId=M', reduceId=R, message=\n<message>\n)",
  // the executor the worker that held the output, at its address; Sluice's map id is the map partition (one output each);
  // reduceId the task's partition (of 2), mapIndex one of the 4 map partitions, one shuffle.
  assert.ok(r.fetchTexts.length > 0);
  const shuffles = new Set<string>();
  for (const [index, error, text] of r.fetchTexts) {
    const m = /^FetchFailed\(BlockManagerId\(([^,]+), ([^,]+), (\d+), None\), shuffleId=(\d+), mapIndex=(\d+), mapId=(\d+), reduceId=(\d+), message=\n([\s\S]*)\n\)$/.exec(text ?? '');
    assert.ok(m, `Spark's FetchFailed text: ${JSON.stringify(text)}`);
    const [, worker, host, port, shuffleId, mapIndex, mapId, reduceId, message] = m;
    assert.equal(`${host}:${port}`, workerAddresses.get(worker!), `${worker} at its address: ${text}`);
    assert.ok(['0', '1', '2', '3'].includes(mapIndex!), text!);
    assert.equal(mapId, mapIndex, text!);
    assert.ok(index === 0 || index === 1, String(index));
    assert.equal(reduceId, String(index), text!);
    assert.equal(message, error, text!);
    shuffles.add(shuffleId!);
  }
  assert.equal(shuffles.size, 1, JSON.stringify(r.fetchTexts));
  // REST's failedTasks and taskList errorMessage of those tasks: the same text (Spark's TaskData.errorMessage is toErrorString).
  const texts = r.fetchTexts.map(([, , text]) => text);
  for (const list of [restFailedTasks, restTaskListFailed]) {
    const messages = list.filter(([id]) => id === resultId).flatMap(([, , m]) => m);
    assert.ok(messages.length > 0, JSON.stringify(list));
    assert.ok(messages.every((m) => texts.includes(m)), `${JSON.stringify(messages)} among ${JSON.stringify(texts)}`);
  }
});

// ---------------------------------------------------------------- SparkListenerSuite

test('SparkListenerSuite: sc.stop() inside a listener throws "Cannot stop SparkContext within listener bus thread." there; the context goes on', () => {
  const r = got<{ n: number; seen: { code: string; error: string }; stopped: boolean; after: number }>('sl-stop-in-listener');
  assert.equal(r.n, 10);
  assert.equal(r.seen.code, 'SLUICE_BAD_ARGUMENT', JSON.stringify(r.seen));
  assert.match(r.seen.error, /^Cannot stop SparkContext within listener bus thread\./);
  assert.equal(r.stopped, false);
  assert.equal(r.after, 5);
});

// ---------------------------------------------------------------- AsyncRDDActionsSuite

test('AsyncRDDActionsSuite "countAsync", "collectAsync", "foreachAsync", "foreachPartitionAsync" (and of an empty RDD)', () => {
  assert.deepEqual(got('async-actions'), { count: 1000, collect: range(1, 1001), foreach: 500500, foreachPartition: 3, emptyCount: 0, emptyCollect: [] });
});

test('AsyncRDDActionsSuite "takeAsync": the first n of 1 until 1000 over 1, 2, 100 and 1000 partitions', () => {
  const expected = (
    [
      [1, [0, 1, 999, 1000]],
      [2, [...range(0, 21), 500, 501, 999, 1000]],
      [100, [0, 1, 500, 501, 999, 1000]],
      [1000, [0, 1, 3, 999, 1000]],
    ] as [number, number[]][]
  ).flatMap(([p, nums]) => nums.map((n) => [p, n, Math.min(n, 999), true]));
  assert.deepEqual(got('async-take'), expected);
});

test('AsyncRDDActionsSuite "async success handling", "async failure handling": completed either way, the failure the task\'s', () => {
  const r = got<{ okValue: number; okCompleted: boolean; okCancelled: boolean; failed: string; failCompleted: boolean }>('async-handling');
  assert.equal(r.okValue, 10);
  assert.equal(r.okCompleted, true);
  assert.equal(r.okCancelled, false);
  assert.match(r.failed, /async failure/);
  assert.equal(r.failCompleted, true);
});

test('AsyncRDDActionsSuite / JobCancellationSuite: countAsync, collectAsync, foreachAsync, foreachPartitionAsync and takeAsync each cancelled while its tasks run', () => {
  const r = got<Record<string, unknown>>('async-cancel');
  for (const kind of ['count', 'collect', 'foreach', 'foreachPartition', 'take']) {
    assert.deepEqual(r[kind], { started: true, code: 'SLUICE_CANCELLED', completed: true, cancelled: true, jobs: 1 }, kind);
  }
});

// ---------------------------------------------------------------- ThreadingSuite

test('ThreadingSuite "accessing SparkContext form multiple threads", "accessing multi-threaded SparkContext form multiple threads": 10 callers x 10 jobs, every answer 55', () => {
  assert.equal(got('th-many-callers'), 100);
});

test('ThreadingSuite "parallel job execution": two jobs started by two callers run their tasks at the same time', () => {
  assert.deepEqual(got('th-parallel-jobs'), [
    [0, 1],
    [0, 1],
  ]);
});

test('ThreadingSuite "set local properties in different thread", "mutation in parent local property does not affect child\'s local property": a job keeps the group and description set when it was called', () => {
  assert.deepEqual(got('th-local-properties'), { first: ['group-a', 'first'], second: ['group-b', 'second'], after: null });
});

// ---------------------------------------------------------------- CheckpointSuite

test('CheckpointSuite "basic checkpointing", "RDDs with one-to-one dependencies": the same results, the lineage cut to the checkpoint, getCheckpointFile under the directory', () => {
  const flat = [1, 1, 2, 1, 2, 3, 1, 2, 3, 4];
  assert.deepEqual(got('cp-basic'), { before: flat, marked: false, result: flat, checkpointed: true, partitions: 2, fileUnder: true, parts: 2, lines: 2, cut: true, again: flat });
});

test('CheckpointSuite "checkpointing partitioners", ShuffledRDD: a reduceByKey checkpointed keeps its HashPartitioner, its placement and results', () => {
  const sums = range(0, 5).map((k) => [k, range(1, 101).filter((x) => x % 5 === k).reduce((a, b) => a + b, 0)]);
  const r = got<Record<string, unknown>>('cp-shuffled');
  assert.deepEqual(r.first, sums);
  assert.equal(r.checkpointed, true);
  assert.equal(r.partitions, 3);
  assert.deepEqual(r.partitioner, ['hash', 3]);
  assert.equal(r.cut, true);
  assert.deepEqual(r.placed, [true, true, true, true, true]);
  assert.deepEqual(r.again, sums);
  assert.deepEqual(r.joined, [
    [0, [sums[0][1], 'zero']],
    [4, [sums[4][1], 'four']],
  ]);
});

test('CheckpointSuite "checkpoint without draining iterator": a take() checkpoints the RDD; later jobs read it whole', () => {
  assert.deepEqual(got('cp-take'), { taken: [0, 2, 4, 6, 8], checkpointed: true, all: range(0, 100).map((x) => x * 2) });
});
