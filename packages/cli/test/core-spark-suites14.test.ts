// Spark core's suites, the cases no other file ports, run through Sluice's public API on a cluster
// of 2 worker processes (fixture core-spark-suites14.ts, one job). Expected values are Spark's
// assertions, or computed here from the inputs (the random ones made here), never by Sluice.
//
// Every suite of core/src/test/scala/org/apache/spark that matters to an RDD user, and where it stands:
// - RDDSuite: ported in rdd-spark-suites, core-spark-suites4/7/9, rdd-spark-api, spark-context-api3
//   (runJob on an invalid partition), core-spark-suites (SPARK-5063 after sc.stop); here "task
//   serialization exception should not hang scheduler" (SPARK-4349). Not applicable: "serialization"
//   and "UnionRDD partition serialized size" (Java serialization), "SparkContext.union parallel
//   partition listing" (a JVM thread pool), "coalesced RDDs with (partial) locality", "... large
//   scale", "... fail first pass", SPARK-23496 (makeRDD's preferred hosts and LocationPrefRDD: Sluice
//   has no host-level locality, README "The API"), "retag", "parent method" and "getNarrowAncestors"
//   (private[spark] / JavaRDD internals), "RDD.partitions() fails fast" (a user RDD subclass),
//   "custom RDD coalescer" (Hadoop splits), SPARK-18406 / SPARK-27666 (JVM threads and locks).
// - PairRDDFunctionsSuite, SortingSuite, PartitioningSuite, DoubleRDDSuite: ported in rdd-spark-suites,
//   core-spark-suites4/5/6/7/9/12, rdd-spark-api (stats); the Hadoop output-format cases
//   (saveAsHadoopFile, output committers, setConf) are not applicable (no Hadoop formats).
// - ParallelCollectionSplitSuite: ported here (slices read back with glom; ranges through sc.range;
//   "ranges of doubles / longs" and Int.MinValue..MaxValue are Scala collection types, not applicable;
//   "large ranges don't overflow" checks each slice's start of 0 until 100,000,000).
// - PartitionwiseSampledRDDSuite: ported here ("seed distribution" as two equal partitions sampled
//   differently; "concurrency" as a sample zipped with itself, Bernoulli and Poisson).
// - CheckpointSuite (core): core-spark-suites3, core-spark-suites6 (checkpointAllMarkedAncestors);
//   here RDDs of each kind checkpointed (reliable and local: elements, partitions, partitioner,
//   lineage) and "CheckpointRDD with zero partitions". Not applicable: the serialized sizes,
//   sc.checkpointFile (protected[spark]), BlockRDD (a block put by hand), the partitioner file
//   corrupted (Sluice keeps the partitioner in its metadata), SPARK-58750 (Hadoop file systems).
// - ZippedPartitionsSuite, PartitionPruningRDDSuite, PipedRDDSuite, LocalCheckpointSuite:
//   rdd-spark-suites, core-spark-suites, rdd-local-checkpoint.
// - DistributedSuite: core-spark-suites; here "repeatedly failing task that crashes JVM" and its zero
//   exit code (SPARK-16925). "caching ... replicated" are in spark-storage-levels' users; "passing
//   environment variables to cluster" (spark.executorEnv) in executor-env; "local-cluster format" not applicable.
// - JobCancellationSuite: core-spark-suites, core-spark-suites3/9; here "job group with interruption"
//   and the task reaper's spinning task (ended with its thread), and the reason a running job's
//   error gives (a job group's, tags', all jobs'). Not applicable: the task reaper's
//   JVM kill and spark.task.killTimeout (a task thread is terminated, never left running).
// - FailureSuite, BroadcastSuite, AccumulatorSuite, ShuffleSuite, FileSuite,
//   UnpersistSuite, StatusTrackerSuite, ThreadingSuite, AsyncRDDActionsSuite, SparkContextSuite,
//   ContextCleanerSuite: core-spark-suites 1-4/9/11, accumulator-spark-suite, context-cleaner,
//   spark-files. Not applicable: KryoSerializerSuite, SerializerSuites, ExternalShuffleServiceSuite,
//   SecurityManagerSuite, SSLOptionsSuite, MapOutputTrackerSuite and HeartbeatReceiverSuite (internal
//   RPC; their user-visible effects are in the scheduler tests), CacheManagerSuite (a private class,
//   its effect "basic caching" is RDDSuite's), SizeEstimatorSuite, ExecutorAllocationManagerSuite.
//
// Divergences found and fixed here: a running job cancelled by its job group, a tag or
// cancelAllJobs said only 'action N of job J was cancelled', where Spark's says why ("part of
// cancelled job group G", "part of cancelled job tags T", "as part of cancellation of all jobs");
// an RDD of no partition marked for checkpoint was never
// checkpointed (its action returned before checkpointing: isCheckpointed() stayed false), where
// Spark's runJob checkpoints after a job of no partition too. And parallelize of data the structured clone refuses (a function, a
// symbol, a WeakMap) failed its action with a bare DataCloneError (code 25, no SLUICE_ code), and
// took the notifications made in the same turn with it (a broadcast made just before was never
// delivered). Now SLUICE_TASK_NOT_SERIALIZABLE with Spark's words, naming the RDD's creation site
// and partition; the rest is delivered. Sluice fails at the action, as Spark.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, mulberry32 } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
/** Scala's `a until b by step` (or `a to b by step`): its elements. */
function scalaRange(a: number, b: number, step: number, inclusive: boolean): number[] {
  const out: number[] = [];
  for (let x = a; step > 0 ? x < b || (inclusive && x === b) : x > b || (inclusive && x === b); x += step) out.push(x);
  return out;
}

const rand = mulberry32(20261206);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
// ScalaCheck's arbitrary[List[Int]] and Gen.choose(1, 100) slice counts; Gen.choose(-100, 100) bounds, steps in [-5, 5] \ {0}.
const arrays = Array.from({ length: 40 }, () => ({ d: Array.from({ length: int(0, 120) }, () => int(-1_000_000, 1_000_000)), n: int(1, 100) }));
const ranges = Array.from({ length: 60 }, (_, i) => ({ a: int(-100, 100), b: int(-100, 100), step: (int(1, 5) * (rand() < 0.5 ? -1 : 1)), n: int(1, 100), inclusive: i % 2 === 1 }));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-css14-'));
const inputsFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputsFile, JSON.stringify({ arrays, ranges }));

let cases: SparkCaseRun;
before(async () => {
  cases = await runSparkCases('core-spark-suites14.ts', [inputsFile]);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Failure = { code: string | null; error: string };
type Outcome<T> = Failure | { value: T };
function failure(o: Outcome<unknown>, what: string): Failure {
  assert.ok('error' in o, `${what} did not fail: ${JSON.stringify(o)}`);
  return o;
}

/** The slices of `slices` as ParallelCollectionSplitSuite's random tests check them against d. */
function checkSlices(slices: number[][], d: number[], n: number, what: string): void {
  assert.equal(slices.length, n, `${what}: n slices`);
  assert.deepEqual(slices.flat(), d, `${what}: concat to d`);
  for (const s of slices) assert.ok(s.length === Math.floor(d.length / n) || s.length === Math.floor(d.length / n) + 1, `${what}: equal sizes (${slices.map((x) => x.length).join(',')})`);
}

test('ParallelCollectionSplitSuite: one element per slice, one slice, equal and non-equal slices, empty data; zero and negative slice counts refused', () => {
  const r = cases.one<Record<string, unknown>>('pcs-fixed');
  assert.deepEqual(r.oneElementPerSlice, [[1], [2], [3]]);
  assert.deepEqual(r.oneSlice, [[1, 2, 3]]);
  assert.deepEqual(r.equal, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  assert.deepEqual(r.nonEqual, [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]]);
  assert.deepEqual(r.empty, [[], [], [], [], []]);
  for (const [name, call, n] of [['zero', 'sc.parallelize', 0], ['negative', 'sc.parallelize', -5], ['makeRddZero', 'sc.makeRDD', 0], ['rangeZero', 'sc.range', 0]] as const) {
    const f = failure(r[name] as Outcome<unknown>, name);
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', name);
    assert.ok(f.error.startsWith(`${call}: numSlices must be a positive integer, got ${n}`), `${name}: ${f.error}`);
  }
  // "identical slice sizes between Range and NumericRange / List": positions i * length / n.
  assert.deepEqual(r.list7, [[1], [2, 3], [4, 5], [6, 7]]);
  assert.deepEqual(r.list2, [[], [1], [], [2]]);
});

test('ParallelCollectionSplitSuite: exclusive and inclusive ranges sliced (sc.range), slice sizes as a list\'s, empty ranges at Int.MaxValue, large ranges do not overflow', () => {
  const r = cases.one<Record<string, number[][] | number[]>>('pcs-ranges');
  const span = (a: number, b: number): number[] => range(a, b + 1);
  assert.deepEqual(r.exclusive, [span(0, 32), span(33, 65), span(66, 99)]);
  assert.deepEqual(r.inclusive, [span(0, 32), span(33, 66), span(67, 100)]);
  assert.equal((r.exclusiveFrom1 as number[][]).length, 3);
  assert.equal((r.exclusiveFrom1 as number[][]).flat().length, 99);
  assert.equal((r.inclusiveFrom1 as number[][]).length, 3);
  assert.equal((r.inclusiveFrom1 as number[][]).flat().length, 100);
  const cases14 = cases.one<Record<string, number[][]>>('pcs-fixed');
  assert.deepEqual((r.range7 as number[][]).map((s) => s.length), cases14.list7.map((s) => s.length), '1 to 7 in 4: a range slices as a list');
  assert.deepEqual((r.range2 as number[][]).map((s) => s.length), cases14.list2.map((s) => s.length), '1 to 2 in 4: a range slices as a list');
  assert.deepEqual(r.emptyAtMax, [[], [], [], [], []]);
  const N = 100_000_000;
  assert.deepEqual(r.largeStarts, range(0, 40).map((i) => i * (N / 40)));
});

test('ParallelCollectionSplitSuite "random array tests": n slices, concatenated the data, sizes d.size / n or one more', () => {
  const slices = cases.one<number[][][]>('pcs-random-arrays');
  assert.equal(slices.length, arrays.length);
  arrays.forEach(({ d, n }, i) => checkSlices(slices[i], d, n, `array ${i} (${d.length} in ${n})`));
});

test('ParallelCollectionSplitSuite "random exclusive range tests", "random inclusive range tests": n slices, concatenated the range, sizes even', () => {
  const slices = cases.one<number[][][]>('pcs-random-ranges');
  assert.equal(slices.length, ranges.length);
  ranges.forEach(({ a, b, step, n, inclusive }, i) => checkSlices(slices[i], scalaRange(a, b, step, inclusive), n, `${a} ${inclusive ? 'to' : 'until'} ${b} by ${step} in ${n}`));
});

test('PartitionwiseSampledRDDSuite "seed distribution": two partitions of the same elements sampled with one seed keep different elements (a seed each)', () => {
  const r = cases.one<Record<string, number[][]>>('pws-seeds');
  assert.equal(Object.keys(r).length, 6);
  for (const [name, parts] of Object.entries(r)) {
    assert.equal(parts.length, 2, name);
    assert.notDeepEqual(parts[0], parts[1], `${name}: seeds must be different`);
    for (const p of parts) {
      for (const x of p) assert.ok(Number.isInteger(x) && x >= 0 && x < 100, `${name}: ${x}`);
      // In the input's order; without replacement each element at most once. About half kept (10 sd's either way).
      for (let i = 1; i < p.length; i++) assert.ok(name.startsWith('bernoulli') ? p[i] > p[i - 1] : p[i] >= p[i - 1], `${name}: order`);
      assert.ok(p.length >= 10 && p.length <= 110, `${name}: ${p.length} kept of 100`);
    }
  }
});

test('PartitionwiseSampledRDDSuite "concurrency" (SPARK-2251): a Bernoulli and a Poisson sample zipped with itself pairs each element with itself', () => {
  const r = cases.one<Record<string, { zipped: [number, number][]; count: number; values: number[] }>>('pws-zip-self');
  for (const name of ['bernoulli', 'poisson']) {
    const { zipped, count, values } = r[name];
    assert.equal(zipped.length, count, name);
    assert.equal(values.length, count, name);
    assert.ok(count > 0 && count < 111 * 3, `${name}: ${count}`);
    assert.deepEqual(zipped.map(([x]) => x), values, name);
    for (const [x, y] of zipped) assert.equal(x, y, name);
    for (const x of values) assert.ok(Number.isInteger(x) && x >= 0 && x < 111, `${name}: ${x}`);
  }
  assert.equal(new Set(r.bernoulli.values).size, r.bernoulli.values.length, 'without replacement, each once');
});

/** A multiset's canonical form: each element's JSON, sorted. */
const bag = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

test('CheckpointSuite (core) "RDDs with one-to-one dependencies", "ShuffleRDD", "UnionRDD", "CartesianRDD", "CoalescedRDD", "CoGroupedRDD", "ZippedPartitionsRDD", "PartitionerAwareUnionRDD", reliable and local: the same elements, partitions and partitioner; the lineage cut', () => {
  const r = cases.one<Record<string, { first: unknown[]; again: unknown[]; marked: boolean; checkpointed: boolean; samePartitions: boolean; samePartitioner: boolean; dependencies: string[] }>>('ckpt-kinds');
  const xs = range(1, 101);
  const other = range(1, 11);
  const halves = [[0, 50], [1, 50]] as const;
  // Each kind's elements, from the inputs (1 to 100 in 4 partitions; 1 to 10 in 1).
  const expected: Record<string, unknown[]> = {
    map: xs.map(String),
    flatMap: xs.flatMap((x) => range(1, x + 1)),
    filter: xs.filter((x) => x % 2 === 0),
    glom: [range(1, 26), range(26, 51), range(51, 76), range(76, 101)],
    mapPartitions: xs.map(String),
    'reduceByKey.mapValues': halves.map(([k, n]) => [k, String(n)]),
    'reduceByKey.flatMapValues': halves.flatMap(([k, n]) => range(1, n + 1).map((i) => [k, i])),
    pipe: xs.map(String),
    shuffle: xs.map((x) => [x % 2, 1]),
    union: [...xs, ...other],
    cartesian: xs.flatMap((x) => other.map((y) => [x, y])),
    coalesce: xs,
    cogroup: [...xs.map((x) => [x, [[x], x === 0 || x === 1 ? xs.filter((y) => y % 2 === x).map(() => 1) : []]]), [0, [[], xs.filter((y) => y % 2 === 0).map(() => 1)]]],
    zip: xs.map((x) => [x, x]),
    partitionerAwareUnion: [...xs.map((x) => [x, x]), ...halves],
  };
  for (const mode of ['reliable', 'local']) {
    for (const [name, want] of [...Object.entries(expected), ['sample', undefined] as const]) {
      const c = r[`${mode} ${name}`];
      const what = `${mode} ${name}`;
      assert.ok(c, `${what} missing`);
      assert.equal(c.marked, false, `${what}: not checkpointed until an action`);
      assert.equal(c.checkpointed, true, what);
      assert.deepEqual(c.again, c.first, `${what}: the checkpointed RDD's elements as the first action's`);
      if (want !== undefined) assert.deepEqual(bag(c.first), bag(want), what);
      assert.ok(c.samePartitions, `${what}: partitions`);
      assert.ok(c.samePartitioner, `${what}: partitioner`);
      // Reliable: one OneToOneDependency on the ReliableCheckpointRDD; local: none (README: Spark's has its LocalCheckpointRDD).
      if (mode === 'reliable') {
        assert.equal(c.dependencies.length, 1, `${what}: ${c.dependencies.join(', ')}`);
        assert.match(c.dependencies[0], /^OneToOneDependency ReliableCheckpointRDD\[\d+\]$/, what);
      } else assert.deepEqual(c.dependencies, [], what);
    }
  }
  // sample(false, 0.5, 0): a subset of the input, in its order, the same on every computation.
  for (const mode of ['reliable', 'local']) {
    const got = r[`${mode} sample`].first as number[];
    assert.ok(got.every((x, i) => xs.includes(x) && (i === 0 || x > got[i - 1])), mode);
  }
});

test('CheckpointSuite (core) "CheckpointRDD with zero partitions": an RDD of no partition is checkpointed by its first action (reliable and local), as Spark\'s runJob checkpoints after a job of none', () => {
  const r = cases.one<Record<string, { partitions: number; before: boolean; marked: boolean; count: number; after: boolean; file: string | null; again: number }>>('ckpt-zero-partitions');
  for (const mode of ['reliable', 'local']) {
    const c = r[mode];
    assert.deepEqual({ partitions: c.partitions, before: c.before, marked: c.marked, count: c.count, after: c.after, again: c.again }, { partitions: 0, before: false, marked: false, count: 0, after: true, again: 0 }, mode);
  }
  assert.equal(typeof r.reliable.file, 'string', 'getCheckpointFile names where it was written');
  assert.equal(r.local.file, null, 'a local checkpoint has no file');
});

test('JobCancellationSuite "job group with interruption", "task reaper ..." (a spinning task): cancelJobGroup fails the job whose tasks block their threads, with "cancel"; a job after it runs', () => {
  const r = cases.one<Record<string, { bothStarted: boolean; cancelled: number; jobA: Outcome<unknown> | string; jobB: number | string }>>('jc-interruption');
  for (const mode of ['sleep', 'spin']) {
    const c = r[mode];
    assert.equal(c.bothStarted, true, `${mode}: both tasks started`);
    assert.equal(c.cancelled, 1, `${mode}: one action in the group`);
    assert.notEqual(c.jobA, 'still running', `${mode}: the cancelled job ended`);
    const f = failure(c.jobA as Outcome<unknown>, mode);
    assert.equal(f.code, 'SLUICE_CANCELLED', `${mode}: ${f.error}`);
    assert.match(f.error, /cancel/, mode);
    // Spark's reason for a job group's jobs (DAGScheduler.handleJobGroupCancelled): "part of cancelled job group G".
    assert.match(f.error, new RegExp(`^action \\d+ of job \\S+ was cancelled: part of cancelled job group jobA-${mode}$`), mode);
    assert.equal(c.jobB, 100, `${mode}: job B`);
  }
});

test('JobCancellationSuite: a running job cancelled by its tag or by cancelAllJobs fails with Spark\'s reason, "part of cancelled job tags T", "as part of cancellation of all jobs"', () => {
  const r = cases.one<Record<string, { bothStarted: boolean; cancelled: number; job: Outcome<unknown> | string }>>('jc-reasons');
  for (const [how, reason] of [['tag', 'part of cancelled job tags tagged'], ['all', 'as part of cancellation of all jobs']] as const) {
    const c = r[how];
    assert.equal(c.bothStarted, true, how);
    assert.equal(c.cancelled, 1, how);
    assert.notEqual(c.job, 'still running', `${how}: the cancelled job ended`);
    const f = failure(c.job as Outcome<unknown>, how);
    assert.equal(f.code, 'SLUICE_CANCELLED', `${how}: ${f.error}`);
    assert.match(f.error, new RegExp(`^action \\d+ of job \\S+ was cancelled: ${reason}$`), how);
  }
});

test('RDDSuite "task serialization exception should not hang scheduler" (SPARK-4349): data that cannot be sent fails its action with SLUICE_TASK_NOT_SERIALIZABLE naming where; the context goes on, a broadcast made just before still delivered', () => {
  const r = cases.one<{ fns: Outcome<unknown>; symbol: Outcome<unknown>; nested: Outcome<unknown>; weak: Outcome<unknown>; after: number[] }>('rdd-unsendable');
  const source = fs.readFileSync(fixture('core-spark-suites14.ts'), 'utf8').split('\n');
  const lineOf = (marker: string): number => source.findIndex((l) => l.includes(`// site: ${marker}`)) + 1;
  for (const [name, partition, line, value] of [
    ['fns', 0, lineOf('fns'), '() => 1'],
    ['symbol', 0, undefined, 'Symbol(s)'],
    ['nested', 1, lineOf('nested'), '() => 3'],
    ['weak', 0, undefined, '#<WeakMap>'],
  ] as const) {
    const f = failure(r[name], name);
    assert.equal(f.code, 'SLUICE_TASK_NOT_SERIALIZABLE', `${name}: ${f.error}`);
    const site = line === undefined ? '\\S+' : `\\S*core-spark-suites14\\.ts:${line}:\\d+`;
    assert.match(f.error, new RegExp(`^Job aborted due to stage failure: Failed to serialize task, not attempting to retry it \\(Spark's words\\): partition ${partition} of RDD \\d+ \\(parallelize at ${site}\\) holds a value that cannot be sent to workers \\(`), name);
    assert.ok(f.error.includes(`(${value} could not be cloned.)`), `${name}: ${f.error}`);
    assert.match(f.error, /Parallelize plain data/, name);
  }
  assert.deepEqual(r.after, range(1, 101).map((x) => x * 2 + 41));
});

test('DistributedSuite "repeatedly failing task that crashes JVM", "... with a zero exit code (SPARK-16925)": the job fails after 4 attempts; the next job runs', () => {
  const r = cases.one<{ nonZero: Outcome<unknown>; zero: Outcome<unknown>; after: number }>('dist-task-exits');
  for (const [name, code] of [['nonZero', 42], ['zero', 0]] as const) {
    const f = failure(r[name], name);
    assert.equal(f.code, 'SLUICE_TASK_FAILED', name);
    assert.match(f.error, /^Job aborted due to stage failure: Task 0 in stage \d+\.0 failed 4 times/, name);
    assert.ok(f.error.includes(`exited with code ${code}`), `${name}: ${f.error}`);
  }
  assert.equal(r.after, 10);
});
