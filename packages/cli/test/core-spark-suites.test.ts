// Spark core's suites beyond the RDD ones, case by case (core/src/test/scala/org/apache/spark/
// AccumulatorSuite, util/AccumulatorV2Suite, BroadcastSuite, JobCancellationSuite, FailureSuite,
// DistributedSuite, rdd/PipedRDDSuite, SparkContextSuite), run through Sluice's public API on a
// cluster of 2 worker processes. Inputs are the ones Spark's tests make and the expected values
// Spark's (written here as the suites assert them), so they do not come from Sluice's code. Where
// a Spark test shares state between its tasks and itself (a semaphore, FailureSuiteState), the
// tasks here write marks in a scratch directory. One cluster for the file; the fixture prints
// `R <name> <json>`. Cases that cannot carry over (Java serialization, JVM threads, listeners'
// internals, YARN) are left out; README's "The API" says where Sluice differs on purpose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';
import { printed } from './spark-storage-levels.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-spark-suites-'));
const marks = path.join(tmp, 'marks');
fs.mkdirSync(marks);
const textFile = path.join(tmp, 'input.txt');
fs.writeFileSync(textFile, 'a\nb\nc\nd\n');

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
const failed = (name: string): { error: string; code: string | null } => reported.failed(name);

/** The pid of the worker the test killed for DistributedSuite's node failure, and how many cached partitions it had computed. */
let killed: { pid: number; partitions: number } | undefined;

before(async () => {
  // Three workers: one is killed near the end (dist-node-failure), the other cases' two stay.
  await withCluster({ workers: 3 }, async (h) => {
    const run = h.run(fixture('core-spark-suites.ts'), [marks, textFile]);
    let ended = false;
    void run.finally(() => (ended = true));
    while (!ended && !fs.existsSync(path.join(marks, 'kill-now'))) await new Promise((r) => setTimeout(r, 20));
    if (!ended) {
      // A worker that computed, and so caches, partitions of the RDD.
      const byPid = new Map<number, number>();
      for (const f of fs.readdirSync(marks).filter((n) => n.startsWith('cached-'))) {
        const pid = Number(f.split('-')[2]);
        byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
      }
      const victim = h.cluster.workerProcesses.find((c) => c.pid !== undefined && byPid.has(c.pid));
      if (victim?.pid !== undefined) {
        killed = { pid: victim.pid, partitions: byPid.get(victim.pid) ?? 0 };
        const exited = new Promise((r) => victim.once('exit', r));
        victim.kill('SIGKILL');
        await exited;
      }
      fs.writeFileSync(path.join(marks, 'killed'), '');
    }
    reported.read(await run);
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
type Outcome = { value: unknown } | { code: string | null; error: string };

// ---------------------------------------------------------------- AccumulatorSuite, AccumulatorV2Suite

test('AccumulatorSuite "basic accumulation", DistributedSuite "accumulators"', () => {
  const maxInt = 2 ** 31 - 1;
  assert.deepEqual(got('acc-basic'), [sum(range(1, 21)), sum(range(1, 21)) + maxInt * 20]);
  assert.equal(got('dist-accumulators'), 55);
});

test('AccumulatorSuite "localValue readable in tasks": a task reads its own partial value (from zero), the driver the merged one', () => {
  assert.deepEqual(got('acc-value-in-task'), {
    partials: [
      [sum(range(1, 11)), 10, false],
      [sum(range(11, 21)), 10, false],
    ],
    value: sum(range(1, 21)),
    count: 20,
    seen: [5, 5],
    set: range(0, 10),
  });
});

test('AccumulatorSuite "collection accumulators", AccumulatorV2Suite "ListAccumulator isZero/add/merge/setValue"', () => {
  assert.deepEqual(got('acc-collection'), { zero: true, size: 2000, distinct: 1000, all: true });
});

test('AccumulatorV2Suite "LongAccumulator add/avg/sum/count/isZero", "DoubleAccumulator add/avg/sum/count/isZero"', () => {
  // [isZero, count, sum, avg] after: nothing, add(0), add(1), add(2), merge(an accumulator holding 2).
  const expected = [
    [true, 0, 0, 'NaN'],
    [false, 1, 0, 0],
    [false, 2, 1, 0.5],
    [false, 3, 3, 1],
    [false, 4, 5, 1.25],
  ];
  assert.deepEqual(got('acc-v2-long'), expected);
  assert.deepEqual(got('acc-v2-double'), expected);
});

test('AccumulatorSuite "internal accumulators in partially resubmitted stages": a task\'s updates count once, its failed attempt\'s never', () => {
  // 10 partitions each add 1; the first attempt of the 5 even ones adds, then throws.
  assert.deepEqual(got('acc-failed-attempts'), { n: 100, value: 10, sum: sum(range(1, 101)), retried: 5 });
});

// ---------------------------------------------------------------- BroadcastSuite, DistributedSuite

test('BroadcastSuite "Using TorrentBroadcast locally", "Accessing TorrentBroadcast variables from multiple threads"', () => {
  assert.deepEqual(got('bc-local'), {
    two: [
      [1, 10],
      [2, 10],
    ],
    ten: range(1, 11).map((x) => [x, 10]),
  });
});

test('BroadcastSuite: a large broadcast (a million numbers) read whole by every task', () => {
  const n = 1_000_000;
  assert.deepEqual(got('bc-large'), range(1, 5).map((x) => [x, n, (n * (n - 1)) / 2]));
});

test('DistributedSuite "broadcast variables": a change to the value after sc.broadcast is not seen on the workers', () => {
  assert.equal(got('bc-changed-after'), 0);
});

test('BroadcastSuite "Forbid broadcasting RDD directly"', () => {
  const e = failed('bc-rdd');
  assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(e.error, /can not directly broadcast RDDs .*call collect\(\) and broadcast the result/);
});

test('BroadcastSuite "Unpersisting TorrentBroadcast", "Using broadcast after destroy prints callsite": unpersisted still usable; destroyed, every use refused naming where it was destroyed', () => {
  const r = got<Record<string, unknown>>('bc-unpersist-destroy');
  const destroyed = (o: unknown): void => {
    assert.ok(typeof o === 'object' && o !== null && 'code' in o, JSON.stringify(o));
    const e = o as { code: string; error: string };
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
    assert.match(e.error, /^Attempted to use Broadcast\(\d+\) after it was destroyed \(destroy at .*core-spark-suites\.ts:\d+:\d+\)/);
  };
  const sums = [
    [1, 10],
    [2, 10],
  ];
  assert.match(String(r.name), /^Broadcast\(\d+\)$/);
  assert.deepEqual(r.before, sums);
  assert.deepEqual(r.afterUnpersist, { value: sums });
  assert.deepEqual(r.valueAfterUnpersist, [1, 2, 3, 4]);
  for (const k of ['valueAfterDestroy', 'jobAfterDestroy', 'destroyTwice', 'unpersistAfterDestroy']) destroyed(r[k]);
  assert.deepEqual(r.other, [2, 3]);
});

// ---------------------------------------------------------------- FailureSuite, DistributedSuite

test('FailureSuite "failure in a single-stage job": the task failing once is retried once, the results exact', () => {
  assert.deepEqual(got('fail-single-stage'), { results: [1, 4, 9], tasksRun: 4 });
});

test('FailureSuite "failure in a two-stage job": a result task after a shuffle failing once', () => {
  assert.deepEqual(got('fail-two-stage'), {
    results: [
      [1, 1],
      [2, 4],
      [3, 9],
    ],
    tasksRun: 4,
  });
});

test('FailureSuite "failure in a map stage": the job fails with the user\'s message, and again when run again', () => {
  const [first, again] = got<Outcome[]>('fail-map-stage');
  for (const o of [first, again]) {
    assert.ok('code' in o, JSON.stringify(o));
    assert.equal(o.code, 'SLUICE_TASK_FAILED');
    assert.match(o.error, /map stage failure \d/);
  }
});

test('DistributedSuite "repeatedly failing task": "failed 4 times" and the user\'s message; FailureSuite: later jobs run', () => {
  const e = failed('fail-always');
  assert.equal(e.code, 'SLUICE_TASK_FAILED');
  assert.match(e.error, /failed 4 times/);
  assert.match(e.error, /assertion failed/);
  assert.equal(got('after-failures'), 10);
});

test('FailureSuite "last failure cause is sent back to driver": the job\'s error has the user\'s error as its cause, with its own cause', () => {
  const r = got<{ code: string; message: string; chain: [string, string][]; causeStack: string }>('fail-user-exception');
  assert.equal(r.code, 'SLUICE_TASK_FAILED');
  assert.match(r.message, /^Job aborted due to stage failure: Task \d+ in stage \d+\.0 failed 4 times, most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): UserException: oops$/);
  assert.deepEqual(r.chain, [
    ['UserException', 'oops'],
    ['RangeError', 'failed=true'],
  ]);
  assert.match(r.causeStack, /^UserException: oops\n\s+at .*core-spark-suites\.ts:\d+/);
});

test('FailureSuite "failure because task results are not serializable": SLUICE_TASK_NOT_SERIALIZABLE naming what, not retried; later jobs run', () => {
  const r = got<{ fn: Outcome; fnRuns: number; local: Outcome; localRuns: number; after: number }>('fail-result-not-serializable');
  for (const [o, what] of [
    [r.fn, /could not be cloned/],
    [r.local, /NonSerializable/],
  ] as const) {
    assert.ok('code' in o, JSON.stringify(o));
    assert.equal(o.code, 'SLUICE_TASK_NOT_SERIALIZABLE');
    assert.match(o.error, /^Job aborted due to stage failure: Task \d\.0 in stage \d+\.0 \(TID \S+\) had a not serializable result: the result of partition \d \(records of rdd\.map at \S+core-spark-suites\.ts:\d+:\d+\) cannot be sent to the driver: /);
    assert.match(o.error, what);
  }
  // Spark does not retry such a task: each of the 3 partitions ran at most once (4 times each with retries).
  assert.ok(r.fnRuns >= 1 && r.fnRuns <= 3, String(r.fnRuns));
  assert.ok(r.localRuns >= 1 && r.localRuns <= 3, String(r.localRuns));
  assert.equal(r.after, 3);
});

test('FailureSuite "failure because task closure is not serializable": map, filter and foreach capturing it', () => {
  const o = got<Outcome[]>('fail-closure-not-serializable');
  assert.equal(o.length, 3);
  for (const x of o) {
    assert.ok('code' in x, JSON.stringify(x));
    assert.equal(x.code, 'SLUICE_TASK_NOT_SERIALIZABLE');
    assert.match(x.error, /Task not serializable: .*captures 'a' \(a NonSerializable\)/);
  }
});

test('DistributedSuite "simple groupByKey", "caching", "caching on disk"', () => {
  assert.deepEqual(got('dist-groupByKey'), {
    n: 2,
    groups: [
      [1, [1, 2, 3]],
      [2, [1]],
    ],
  });
  const each = [1000, 1000, 1000, sum(range(1, 1001))];
  assert.deepEqual(got('dist-caching'), { MEMORY_ONLY: each, MEMORY_AND_DISK: each, DISK_ONLY: each });
});

test('RDD.persist as Spark\'s: an unknown level refused; a level cannot change once assigned (the same again is fine, another after unpersist)', () => {
  const bad = failed('dist-persist-bad-level');
  assert.equal(bad.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(bad.error, /unknown storage level "MEMORY_ONLY_3".*give one of Spark's, StorageLevel\.MEMORY_ONLY \(the default\), MEMORY_AND_DISK, DISK_ONLY/);
  const change = failed('dist-persist-change-level');
  assert.equal(change.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(change.error, /cannot change the storage level .* already assigned a level \('MEMORY_ONLY'\).*unpersist\(\)/);
  assert.deepEqual(got('dist-persist-levels'), { same: printed('MEMORY_ONLY'), first: 10, other: printed('DISK_ONLY'), count: 10 });
});

test('DistributedSuite "unpersist RDDs": sc.getPersistentRDDs lists a persisted RDD until unpersist(); the data is still computed after', () => {
  assert.deepEqual(got('dist-unpersist'), { before: true, listed: true, after: false, count: 1000 });
});

test('DistributedSuite "recover from node failures": a worker holding cached partitions killed, the next actions recompute them with exact results', () => {
  assert.ok(killed !== undefined && killed.partitions > 0, `a worker that cached partitions was killed: ${JSON.stringify(killed)}`);
  const r = got<{ before: number[]; computed: number; after: number[]; recomputed: number }>('dist-node-failure');
  const sum2 = 2 * sum(range(1, 1001));
  assert.deepEqual(r.before, [1000, sum2]);
  assert.equal(r.computed, 6, 'each partition computed once, then read from the cache');
  assert.deepEqual(r.after, [1000, sum2, 1000]);
  // The killed worker's partitions were lost with it and computed again (once more at least, not all 6 each action).
  assert.ok(r.recomputed >= killed.partitions && r.recomputed <= 3 * 6, String(r.recomputed));
});

// ---------------------------------------------------------------- JobCancellationSuite

test('JobCancellationSuite "do not put partially executed partitions into cache"', () => {
  const r = got<{ cancelled: Outcome; count: number }>('cancel-partial-cache');
  assert.ok('code' in r.cancelled && r.cancelled.code === 'SLUICE_CANCELLED', JSON.stringify(r.cancelled));
  assert.match((r.cancelled as { error: string }).error, /cancel/);
  assert.equal(r.count, 1000, 'a partition cut short by the cancel was cached');
});

test('JobCancellationSuite "two jobs sharing the same stage": the cancelled one fails, the other ends', () => {
  const r = got<{ f1: Outcome; f2: Outcome }>('cancel-two-jobs-shared-stage');
  assert.ok('code' in r.f1 && r.f1.code === 'SLUICE_CANCELLED', JSON.stringify(r.f1));
  assert.deepEqual(r.f2, { value: 10 });
});

test('JobCancellationSuite "job group": the group\'s job fails with "cancel", a job outside it ends', () => {
  const r = got<{ n: number; jobA: Outcome; jobB: Outcome }>('cancel-job-group');
  assert.equal(r.n, 1);
  assert.ok('code' in r.jobA && r.jobA.code === 'SLUICE_CANCELLED', JSON.stringify(r.jobA));
  assert.match((r.jobA as { error: string }).error, /cancel/);
  assert.deepEqual(r.jobB, { value: 100 });
});

const cancelled = (o: Outcome, message: RegExp = /cancel/): void => {
  assert.ok('code' in o, JSON.stringify(o));
  assert.equal(o.code, 'SLUICE_CANCELLED');
  assert.match(o.error, message);
};

test('JobCancellationSuite "if cancel job group and future jobs, skip running jobs in the same job group"', () => {
  const r = got<{ n: number; a: Outcome; b: Outcome; c: Outcome; none: Outcome }>('cancel-group-and-future');
  assert.equal(r.n, 1);
  cancelled(r.a);
  cancelled(r.b, /part of cancelled job group job-group/);
  assert.deepEqual(r.c, { value: 100 });
  assert.deepEqual(r.none, { value: 100 });
});

test('JobCancellationSuite "job tags": Spark\'s bad tags refused; tags as a set; cancelJobsWithTag cancels the actions carrying the tag only', () => {
  const r = got<{ bad: Outcome[]; sets: string[][]; two: number; one: number; endedAfterTwo: number; a: Outcome; b: Outcome; c: Outcome; d: Outcome; after: number }>('job-tags');
  const messages = [/Spark job tag cannot contain ','\./, /Spark job tag cannot be an empty string\./, /Spark job tag cannot be null\./];
  for (const [i, o] of r.bad.entries()) {
    assert.ok('code' in o && o.code === 'SLUICE_BAD_ARGUMENT', JSON.stringify(o));
    assert.match((o as { error: string }).error, messages[i]);
  }
  assert.deepEqual(r.sets, [[], ['two'], [], ['one'], ['one', 'two'], [], ['one']]);
  assert.equal(r.two, 2, 'B (one, two) and C (two)');
  assert.equal(r.endedAfterTwo, 2, 'A and D run on');
  assert.equal(r.one, 2, 'A and D');
  for (const o of [r.a, r.b, r.c, r.d]) cancelled(o);
  assert.equal(r.after, 100);
});

test('SparkContext local properties: setJobGroup sets the group, description and interruptOnCancel, clearJobGroup clears them; setJobDescription; setLocalProperty(key, null) removes', () => {
  assert.deepEqual(got('local-properties'), {
    seen: [
      [null, null, null],
      ['g', 'the description', 'true'],
      [null, null, null],
      [null, 'described', null],
      [null, null, null],
    ],
    mine: 'v',
    gone: null,
  });
});

// ---------------------------------------------------------------- PipedRDDSuite

test('PipedRDDSuite "basic pipe", "basic pipe with tokenization"', () => {
  assert.deepEqual(got('pipe-basic'), { cat: ['1', '2', '3', '4'], wc: ['2', '2'] });
});

test('PipedRDDSuite "advanced pipe": printPipeContext and printRDDElement, a broadcast in them', () => {
  assert.deepEqual(got('pipe-advanced'), { c: ['0', '\u0001', '1_', '2_', '0', '\u0001', '3_', '4_'], dSize: 8 });
});

test('PipedRDDSuite "pipe with empty partition", "pipe with env variable"', () => {
  assert.deepEqual(got('pipe-empty-partition'), { count: 8, counts: [0, 4, 5] });
  assert.deepEqual(got('pipe-env'), ['LALALA', 'LALALA']);
});

test('PipedRDDSuite "pipe with process which cannot be launched due to bad command", "... fails with non-zero exit status", "failure in iterating over pipe input"', () => {
  const bad = failed('pipe-bad-command');
  assert.equal(bad.code, 'SLUICE_TASK_FAILED');
  assert.match(bad.error, /some_nonexistent_command/);
  const nonzero = failed('pipe-nonzero');
  assert.match(nonzero.error, /status 1.*nonexistent_file/);
  assert.match(failed('pipe-failing-input').error, /Test is failing/);
});

test('PipedRDDSuite "test pipe exports map_input_file", "... mapreduce_map_input_file": a text file\'s partition (through map too) gives the command its file; others none', () => {
  assert.deepEqual(got('pipe-input-file'), {
    map: [textFile, textFile],
    mapreduce: [textFile, textFile],
    parallelized: ['[]', '[]'],
    union: ['[]', '[]', '[]', '[]'],
  });
});

test('PartitionPruningRDDSuite "Pruned Partitions inherit locality prefs correctly", "Pruned Partitions can be unioned": the kept partitions renumbered, only they computed, unioned; a filter that is not a function refused', () => {
  assert.deepEqual(got('pruning'), {
    partitions: 1,
    only: [[6]],
    onlyComputed: [2],
    partitioner: null,
    count: 2,
    take: [4, 6],
    debug: '(1) PartitionPruningRDD[N] at create []',
  });
  const e = failed('pruning-bad-filter');
  assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(e.error, /PartitionPruningRDD\.create: the partition filter must be a function/);
});

// ---------------------------------------------------------------- SparkContextSuite

test('sc.range as Spark\'s: elements split evenly by index, a negative step, an empty range, big numbers; step 0 refused', () => {
  assert.deepEqual(got('sc-range'), {
    a: [
      [0, 3],
      [6, 9],
    ],
    b: [
      [10, 7],
      [4, 1],
    ],
    c: [],
    d: [[], [], []],
    e: [
      [0, 1],
      [2, 3],
      [4, 5, 6],
    ],
    big: [2 ** 50, 2 ** 50 + 2],
  });
  assert.equal(failed('sc-range-step-0').code, 'SLUICE_BAD_ARGUMENT');
});

test('SparkContext.union of 500 RDDs, and 300 chained rdd.union', () => {
  assert.deepEqual(got('sc-union-many'), { n: 500, count: 500, sum: sum(range(0, 500)), chained: 300 });
});

test('SparkContextSuite "Default path for file based RDDs is properly set (SPARK-12517)"', () => {
  assert.deepEqual(got('sc-names'), { textFile });
});

test('SparkContextSuite "calling multiple sc.stop() must not throw any exception": sc.stop() stops the StreamingContext, cancels the running job, a second stop is harmless, then nothing more runs', () => {
  const r = got<Record<string, unknown>>('sc-stop');
  assert.equal(r.before, false);
  assert.equal(r.isStopped, true);
  assert.deepEqual(r.streaming, ['stopped', true], 'the active StreamingContext stopped with it');
  cancelled(r.running as Outcome);
  assert.deepEqual(r.again, {}, 'resolved (JSON drops its undefined value)');
  for (const k of ['parallelize', 'action', 'broadcast']) {
    const o = r[k] as Outcome;
    assert.ok('code' in o && o.code === 'SLUICE_BAD_ARGUMENT', `${k}: ${JSON.stringify(o)}`);
    assert.match(o.error, /Cannot call methods on a stopped SparkContext \(sc\.stop\(\) at .*core-spark-suites\.ts:\d+:\d+\)/);
  }
});
