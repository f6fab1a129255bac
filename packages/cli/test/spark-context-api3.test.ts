// SparkContext / RDD members added on 2026-12-06 (api4), against Spark's SparkContext.scala,
// FutureAction.scala and DAGScheduler.scala (read, not copied):
// - runJob(rdd, func, partitions): one task a partition, `func` over its iterator, the results
//   in the order of `partitions` (an Array[U]); a partition out of range is DAGScheduler.submitJob's
//   "Attempting to access a non-existent partition: p. Total number of partitions: n"; no
//   partitions, an empty result with no job. The job's call site names `runJob`.
// - submitJob(rdd, processPartition, partitions, resultHandler, resultFunc): a SimpleFutureAction
//   of resultFunc's value once every task's result went to resultHandler(index, result), `index`
//   the result's place in `partitions` (JobWaiter.taskSucceeded(outputId)); a handler that throws
//   fails the job (SparkDriverExecutionException); cancel() fails it cancelled; no partitions: done at once.
// - RDD.dependencies: a MapPartitionsRDD's OneToOneDependency(prev); UnionRDD's RangeDependency(rdd,
//   0, pos, rdd.partitions.length) a parent; CoalescedRDD's NarrowDependency (each parent partition in
//   one group); CartesianRDD's two NarrowDependencies (id / numPartitionsInRdd2, id % numPartitionsInRdd2);
//   ShuffledRDD's ShuffleDependency(prev, part) (reduceByKey's mapSideCombine true, groupByKey's false);
//   CoGroupedRDD's OneToOneDependency for an input with its partitioner, else a ShuffleDependency; a
//   source none; a checkpointed RDD a OneToOneDependency on its ReliableCheckpointRDD.
// - killTaskAttempt(taskId, interruptThread = true, reason = "killed via SparkContext.killTaskAttempt"):
//   TaskSchedulerImpl.killTaskAttempt: true when the attempt runs (its executor told to kill it),
//   false otherwise; the attempt ends TaskKilled(reason), which countTowardsTaskFailures false, and
//   TaskSetManager.handleFailedTask queues the task again (addPendingTask).
// - addArchive(path): Utils.unpack by the name's ending (.jar/.zip unzip, .tar.gz/.tgz and .tar
//   untar, else copied as it is), into the files root under the name, or the URI fragment's
//   (`#name`); listArchives the keys added (the URI with its fragment). The archives here are made
//   by Debian's tar, gzip and zip.
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appRest } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-context-api3-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const tree = path.join(scratch, 'tree');
const archives = path.join(scratch, 'archives');
fs.mkdirSync(path.join(tree, 'sub'), { recursive: true });
fs.mkdirSync(archives);
fs.writeFileSync(path.join(tree, 'a.txt'), 'alpha\n');
fs.writeFileSync(path.join(tree, 'sub', 'b.txt'), 'beta\n');
fs.writeFileSync(path.join(tree, 'run.sh'), 'echo run\n', { mode: 0o755 });
// Long enough that zip deflates it (a tiny file zip stores as it is).
const gamma = Array.from({ length: 300 }, (_, i) => `gamma ${i % 7}`).join(' ');
fs.writeFileSync(path.join(tree, 'c.txt'), `${gamma}\n`);
execFileSync('tar', ['-czf', path.join(archives, 'data.tar.gz'), '-C', tree, 'a.txt', 'c.txt', 'sub', 'run.sh']);
execFileSync('tar', ['-cf', path.join(archives, 'plain.tar'), '-C', tree, 'a.txt', 'sub']);
execFileSync('zip', ['-qr', path.join(archives, 'data.zip'), 'a.txt', 'c.txt', 'sub'], { cwd: tree });
fs.writeFileSync(path.join(archives, 'notes.txt'), 'just notes\n');
fs.writeFileSync(path.join(archives, 'bad.zip'), 'not a zip at all');

let cases: SparkCaseRun;
let restJobs: { jobId: number; name: string; description?: string; numTasks: number }[] = [];

before(async () => {
  cases = await runSparkCases('spark-context-api3.ts', [scratch], { workers: 2, driver: { webPort: 0, tasks: { maxFailures: 1 } } }, async (h, run) => {
    if (run.ok && run.jobId !== undefined) restJobs = await appRest(h.cluster, run.jobId)<typeof restJobs>('jobs');
  });
});

/** Spark's ParallelCollectionRDD.slice of 1..n into `slices`: slice i holds positions [i*n/slices, (i+1)*n/slices). */
function slices(n: number, count: number): number[][] {
  return Array.from({ length: count }, (_, i) => {
    const out: number[] = [];
    for (let p = Math.floor((i * n) / count); p < Math.floor(((i + 1) * n) / count); p++) out.push(p + 1);
    return out;
  });
}
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

test("sc.runJob: func's value for each partition asked, in that order; every partition by default; TaskContext the task's; an async func's value; a partition the RDD has not is refused as Spark's", () => {
  const s = slices(10, 4);
  const r = cases.one<{ sums: number[]; all: [number, number[]][]; counted: number[]; none: unknown[]; bad: ({ code: string | null; message: string } | null)[] }>('runjob');
  assert.deepEqual(r.sums, [sum(s[3]), sum(s[0]), sum(s[1])]);
  assert.deepEqual(r.all, s.map((xs, i) => [i, xs]));
  assert.deepEqual(r.counted, [s[2].length]);
  assert.deepEqual(r.none, []);
  assert.equal(r.bad.length, 3);
  for (const [i, shown] of ['4', '-1', '1.5'].entries()) {
    assert.equal(r.bad[i]?.code, 'SLUICE_BAD_ARGUMENT');
    assert.match(r.bad[i]!.message, new RegExp(`^sc\\.runJob: Attempting to access a non-existent partition: ${shown.replace('.', '\\.')}\\. Total number of partitions: 4`));
  }
  const jobs = restJobs.filter((j) => j.description === 'api4-runjob');
  assert.equal(jobs.length, 1, JSON.stringify(restJobs));
  assert.match(jobs[0].name, /^runJob at .*spark-context-api3\.ts:\d+:\d+$/);
  assert.equal(jobs[0].numTasks, 3);
});

test('sc.submitJob: resultHandler gets (index in partitions, result) a partition, the FutureAction resolves to resultFunc() after; jobIds, isDone; cancel(); a throwing handler fails it; no partitions resolves at once', () => {
  const s = slices(10, 4);
  const r = cases.one<{
    handled: [number, number][];
    value: { total: number; calls: number };
    doneAtOnce: boolean;
    doneAfter: boolean;
    ids: number;
    cancelled: { code: string | null; message: string } | null;
    cancelledFlag: boolean;
    blockedDone: boolean;
    throwing: { code: string | null; message: string } | null;
    emptyValue: string;
    emptyIds: number;
    bad: string | null;
  }>('submitjob');
  assert.deepEqual(r.handled, [
    [0, sum(s[2])],
    [1, sum(s[0])],
  ]);
  assert.deepEqual(r.value, { total: sum(s[2]) + sum(s[0]), calls: 2 });
  assert.equal(r.doneAtOnce, false);
  assert.equal(r.doneAfter, true);
  assert.equal(r.ids, 1);
  assert.equal(r.cancelled?.code, 'SLUICE_CANCELLED');
  assert.equal(r.cancelledFlag, true);
  assert.equal(r.blockedDone, true);
  assert.deepEqual(r.throwing, { code: null, message: 'handler boom' });
  assert.equal(r.emptyValue, 'empty result');
  assert.equal(r.emptyIds, 0);
  assert.equal(r.bad, 'SLUICE_BAD_ARGUMENT');
});

test('rdd.dependencies: OneToOne for map, a Range a union input, coalesce and cartesian the parent partitions each reads, Shuffle (partitioner, mapSideCombine) for a shuffle, cogroup by partitioner, none for a source, the checkpoint after checkpoint()', () => {
  type Dep = { kind: string; narrow: boolean; rdd: number; parents?: number[][]; inStart?: number; outStart?: number; length?: number; partitions?: number; partitioner?: string; mapSideCombine?: boolean; shuffleId?: string };
  const r = cases.one<{ ids: Record<string, number>; source: Dep[]; map: Dep[]; union: Dep[]; coalesce: Dep[]; cartesian: Dep[]; reduceByKey: Dep[]; groupByKey: Dep[]; cogroup: Dep[]; sameParent: boolean; checkpointed: { oneToOne: boolean; parent: string; partitions: number }[]; checkpointValues: number[] }>('deps');
  const { a, b, pairs, placed, other } = r.ids;
  assert.deepEqual(r.source, []);
  assert.deepEqual(r.map, [{ kind: 'oneToOne', narrow: true, rdd: a, parents: [[0], [1], [2]] }]);
  assert.equal(r.sameParent, true);
  // a's 3 partitions then b's 2.
  assert.deepEqual(r.union, [
    { kind: 'range', narrow: true, rdd: a, parents: [[0], [1], [2], [], []], inStart: 0, outStart: 0, length: 3 },
    { kind: 'range', narrow: true, rdd: b, parents: [[], [], [], [0], [1]], inStart: 0, outStart: 3, length: 2 },
  ]);
  assert.equal(r.coalesce.length, 1);
  assert.equal(r.coalesce[0].kind, 'narrow');
  assert.equal(r.coalesce[0].rdd, a);
  assert.equal(r.coalesce[0].parents!.length, 2);
  assert.deepEqual(r.coalesce[0].parents!.flat(), [0, 1, 2]);
  // 3 x 2 partitions: partition i pairs a's i / 2 with b's i % 2.
  assert.deepEqual(r.cartesian, [
    { kind: 'narrow', narrow: true, rdd: a, parents: [0, 1, 2, 3, 4, 5].map((i) => [Math.floor(i / 2)]) },
    { kind: 'narrow', narrow: true, rdd: b, parents: [0, 1, 2, 3, 4, 5].map((i) => [i % 2]) },
  ]);
  assert.deepEqual(r.reduceByKey, [{ kind: 'shuffle', narrow: false, rdd: pairs, partitions: 4, partitioner: 'hash', mapSideCombine: true, shuffleId: 'number' }]);
  assert.deepEqual(r.groupByKey, [{ kind: 'shuffle', narrow: false, rdd: pairs, partitions: 2, partitioner: 'hash', mapSideCombine: false, shuffleId: 'number' }]);
  assert.deepEqual(r.cogroup, [
    { kind: 'oneToOne', narrow: true, rdd: placed, parents: [[0], [1], [2]] },
    { kind: 'shuffle', narrow: false, rdd: other, partitions: 3, partitioner: 'hash', mapSideCombine: false, shuffleId: 'number' },
  ]);
  assert.deepEqual(r.checkpointed, [{ oneToOne: true, parent: 'ReliableCheckpointRDD', partitions: 3 }]);
  assert.deepEqual(r.checkpointValues, [2, 3, 4]);
});

test("sc.killTaskAttempt: a running attempt is killed (true), ends TaskKilled with the reason, and its task runs again, not counted as a failure (the job succeeds under --task-max-failures 1); an ended or unknown id false; bad arguments refused", () => {
  type Ev = { taskId: string; index: number; attempt: number };
  const r = cases.one<{ killed: boolean; values: number[][]; again: boolean; unknown: boolean; bad: (string | null)[]; killedId: string; started: Ev[]; ended: (Ev & { reason: string; killReason: string | null; failed: boolean })[] }>('kill');
  assert.equal(r.killed, true);
  // Partition 1 computed by its second attempt (attemptNumber 1 added to each element), the others by their first.
  assert.deepEqual(r.values, [[10], [21], [30]]);
  assert.equal(r.again, false);
  assert.equal(r.unknown, false);
  assert.deepEqual(r.bad, ['SLUICE_BAD_ARGUMENT', 'SLUICE_BAD_ARGUMENT', 'SLUICE_BAD_ARGUMENT', 'SLUICE_BAD_ARGUMENT']);
  const end = r.ended.find((e) => e.taskId === r.killedId);
  assert.deepEqual(end, { taskId: r.killedId, index: 1, attempt: 0, reason: 'TaskKilled', killReason: 'killed via SparkContext.killTaskAttempt', failed: false });
  assert.deepEqual(r.started.filter((s) => s.index === 1).map((s) => s.attempt), [0, 1]);
  assert.deepEqual(r.ended.filter((e) => e.reason !== 'Success' && e.taskId !== r.killedId), []);
});

test("sc.addArchive: .tar.gz, .tar (under its '#name') and .zip unpacked as directories SparkFiles.get names, on the workers and the driver; another name copied as it is; listArchives; a missing, a directory, a corrupt archive and a name taken refused", () => {
  const r = cases.one<{ listArchives: string[]; listFiles: string[]; errors: Record<string, string | null>; driver: unknown; onWorkers: unknown[] }>('archive');
  const at = (n: string): string => path.join(archives, n);
  assert.deepEqual(r.listArchives, [at('data.tar.gz'), `${at('plain.tar')}#plain`, at('data.zip'), at('notes.txt')]);
  assert.deepEqual(r.listFiles, []);
  assert.deepEqual(r.errors, { missing: 'SLUICE_IO', directory: 'SLUICE_BAD_ARGUMENT', corrupt: 'SLUICE_BAD_ARGUMENT', clash: 'SLUICE_BAD_ARGUMENT', slash: 'SLUICE_BAD_ARGUMENT' });
  const expected = { tgz: ['a.txt=alpha', `c.txt=${gamma}`, 'run.sh=echo run', 'sub/b.txt=beta'], tar: ['a.txt=alpha', 'sub/b.txt=beta'], zip: ['a.txt=alpha', `c.txt=${gamma}`, 'sub/b.txt=beta'], notes: 'just notes' };
  assert.deepEqual(r.driver, expected);
  assert.deepEqual(r.onWorkers, [expected, expected, expected, expected]);
});
