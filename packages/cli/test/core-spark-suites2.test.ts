// Spark core's suites beyond those of rdd-spark-suites and core-spark-suites, case by case
// (core/src/test/scala/org/apache/spark/ StatusTrackerSuite, scheduler/SparkListenerSuite, ShuffleSuite, FileSuite,
// UnpersistSuite), run through
// Sluice's public API on a cluster of 2 worker processes. Inputs are the ones Spark's tests make
// and the expected values Spark's (written here as the suites assert them), so they do not come
// from Sluice's code. One cluster for the file; the fixture prints `R <name> <json>`. Cases that
// cannot carry over (Kryo against Java serialization, Hadoop's SequenceFile and OutputFormat
// APIs, deleting a shuffle's file on disk: Sluice's map outputs are blocks in memory) are left
// out; README's "The API" says where Sluice differs on purpose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, siteAt, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-core-spark-suites2-'));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
type Outcome = { value: unknown } | { code: string | null; error: string };

/** The shuffle bytes the driver counted for the stages of the jobs sh-metrics ran: [written, read] per job. */
let shuffleBytes: [number, number][] = [];

before(async () => {
  // 2 cores each: a defaultParallelism of 4, past Spark's defaultMinPartitions of 2.
  await withCluster({ workers: 2, coresPerWorker: 2 }, async (h) => {
    const run = await h.run(fixture('core-spark-suites2.ts'), [tmp]);
    reported.read(run);
    const job = h.cluster.driver.jobs.get(run.jobId ?? '');
    const metrics = reported.get('sh-metrics');
    if (job && metrics?.ok) {
      const ids = (metrics.value as { jobIds: number[] }).jobIds;
      shuffleBytes = ids.map((id) => {
        const stages = job.stages.stagesOf(job.stages.job(id)!);
        return [stages.reduce((a, s) => a + s.shuffleWriteBytes, 0), stages.reduce((a, s) => a + s.shuffleReadBytes, 0)];
      });
    }
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
const refused = (o: unknown, code: string, message: RegExp): void => {
  assert.ok(typeof o === 'object' && o !== null && 'code' in o, JSON.stringify(o));
  const e = o as { code: string; error: string };
  assert.equal(e.code, code, e.error);
  assert.match(e.error, message);
};

// ---------------------------------------------------------------- StatusTrackerSuite

test('StatusTrackerSuite "getJobIdsForGroup()": null gives the jobs in no group; a group its jobs as they start', () => {
  const r = got<{ ids: number[]; noGroup: number[]; before: number[]; one: boolean; two: boolean; after: number[]; noGroupAfter: number[]; counts: number[] }>('st-groups');
  const [d, first, second] = r.ids;
  assert.deepEqual(r.noGroup, [d]);
  assert.deepEqual(r.before, []);
  assert.equal(r.one, true, 'the first job of the group');
  assert.equal(r.two, true, 'both jobs of the group');
  assert.deepEqual(r.after, [first, second], 'kept once ended');
  assert.deepEqual(r.noGroupAfter, [d]);
  assert.deepEqual(r.counts, [1000, 1000, 1000]);
});

test('StatusTrackerSuite "getJobIdsForGroup() with takeAsync()", "... across multiple partitions": one job, then two for 999 of 2 partitions', () => {
  const r = got<{ group3: number[]; jobIds: number[] }>('st-take');
  assert.deepEqual(r, { before: [], one: true, taken: [1], many: true, taken2: 999, group3: r.jobIds, jobIds: r.jobIds });
  assert.equal(r.jobIds.length, 2);
});

test("statusTracker asked again and again while a takeAsync's jobs start and end: FutureAction.jobIds has every job the driver gave the group (40 rounds)", () => {
  assert.equal(got('st-race'), 0);
});

test('StatusTrackerSuite "basic status API usage": a job\'s 2 stages known while it runs; its first stage 2 tasks, attempt 0, then 2 completed, none active or failed', () => {
  const r = got<Record<string, unknown>>('st-basic');
  assert.equal(r.n, 10000);
  const running = r.running as { status: string; stages: number };
  assert.notEqual(running.status, 'FAILED');
  assert.equal(running.stages, 2);
  assert.deepEqual(r.first, { isMin: true, attempt: 0, numTasks: 2, submitted: true });
  assert.deepEqual(r.done, [2, 0, 0]);
  assert.deepEqual(r.end, { status: 'SUCCEEDED', stages: 2, same: true });
});

test('statusTracker: getActiveJobIds and getActiveStageIds while tasks run, then none; getJobIdsForTag; a failed job and stage; unknown ids undefined, bad ones SLUICE_BAD_ARGUMENT', () => {
  const r = got<Record<string, unknown>>('st-active');
  assert.equal(r.jobs, true, 'the held job is the active one');
  assert.equal(r.stages, 1);
  assert.equal(r.stageIsJobs, true);
  assert.equal(r.running, 'RUNNING');
  assert.deepEqual(r.stage, [2, 2, 0]);
  assert.deepEqual(r.after, [[], []]);
  assert.equal(r.tagged, true);
  assert.deepEqual(r.untagged, []);
  assert.equal(r.failed, true);
  assert.equal(r.failedInfo, 'FAILED');
  // spark.task.maxFailures: 4 failed attempts of the one task.
  assert.equal(r.failedStage, 4);
  assert.equal(r.unknownJob, null);
  assert.equal(r.unknownStage, null);
  refused(r.badJob, 'SLUICE_BAD_ARGUMENT', /getJobInfo: the job id must be a whole number >= 0, got -1/);
  refused(r.badStage, 'SLUICE_BAD_ARGUMENT', /getStageInfo: the stage id must be a whole number >= 0, got 1.5/);
  refused(r.badGroup, 'SLUICE_BAD_ARGUMENT', /getJobIdsForGroup: the group must be a string/);
});

// ---------------------------------------------------------------- SparkListenerSuite

test('SparkListenerSuite "basic creation of StageInfo", "... with shuffle", "StageInfo with fewer tasks than partitions", "SparkListener moves on if a listener throws an exception"; a failed job\'s events; removeSparkListener', () => {
  const r = got<Record<string, unknown>>('sl-listener');
  // One stage of 4 tasks, submitted then completed, 4 successful tasks, the job's start and end.
  assert.deepEqual(r.basic, { n: 100, at: [1, 1, 1, 1, 4], stage: [[4, true, true]], tasks: ['Success', 'Success', 'Success', 'Success'], starts: [1] });
  assert.equal(r.endSeenFirst, true, "the job's end heard before its action resolved");
  // A map stage and a result stage of 4 tasks each, both known at the job's start.
  const { names, completedNames, ...shuffle } = r.shuffle as { names: string[]; completedNames: string[] };
  assert.deepEqual(shuffle, { n: 3, added: [1, 1, 2, 2, 8], stageIds: 2, numTasks: [4, 4] });
  // Named as Spark's StageInfo.name: the map stage by its map side's creation site (the map
  // before reduceByKey), the result stage by the job's call site (collect), both on the fixture's line.
  const at = 'const n2 = (await rdd1.map((i): [number, number]';
  for (const got of [names, completedNames]) {
    assert.equal(got.length, 2, JSON.stringify(got));
    assert.match(got[0], siteAt('map', fixture('core-spark-suites2.ts'), at));
    assert.match(got[1], siteAt('collect', fixture('core-spark-suites2.ts'), at));
  }
  assert.equal(r.fewer, 1);
  assert.deepEqual(r.failure, { failed: true, reasons: ['ExceptionFailure'], error: 'listener sees this', stage: true, end: true });
  assert.deepEqual(r.props, [
    ['spark.job.description', 'a description'],
    ['spark.jobGroup.id', 'listened'],
  ]);
  // 5 jobs heard (start and end each) although the other listener threw at every end.
  assert.deepEqual(r.jobs, [5, 5]);
  assert.equal(r.unchanged, true, 'nothing heard once removed');
  refused(r.bad, 'SLUICE_BAD_ARGUMENT', /sc\.addSparkListener: the listener must be an object/);
});

// ---------------------------------------------------------------- ShuffleSuite

test('ShuffleSuite "groupByKey without compression"', () => {
  assert.deepEqual(got('sh-groupByKey'), [
    [1, [1, 2, 3]],
    [2, [1]],
  ]);
});

test('ShuffleSuite "shuffle non-zero block size", "shuffle serializer": instances of a job\'s class through a hash shuffle into 3 partitions', () => {
  const r = got<{ count: number; instances: boolean; values: number[][]; sizes: number[] }>('sh-class-values');
  assert.equal(r.count, 10);
  assert.equal(r.instances, true);
  assert.deepEqual(r.values, range(1, 11).map((x) => [x, x * 2]));
  // Spark's HashPartitioner places an Int key k in k mod 3: 3 blocks, none empty.
  assert.deepEqual(r.sizes, [3, 4, 3]);
});

test('ShuffleSuite "zero sized blocks": 4 keys hashed into 201 partitions leave at most 4 non-empty', () => {
  assert.deepEqual(got('sh-zero-blocks'), { count: 4, partitions: 201, nonEmpty: 4 });
});

test('ShuffleSuite "shuffle on mutable pairs", "sorting on mutable pairs", "cogroup using mutable pairs", "subtract mutable pairs"', () => {
  assert.deepEqual(got('sh-pairs'), [
    [1, 1],
    [1, 2],
    [1, 3],
    [2, 1],
  ]);
  assert.deepEqual(got('sh-sort-pairs'), [
    [1, 11],
    [2, 22],
    [3, 33],
    [100, 100],
  ]);
  assert.deepEqual(got('sh-cogroup'), [
    [1, [1, 2, 3], ['11', '12']],
    [2, [1], ['22']],
    [3, [], ['3']],
  ]);
  assert.deepEqual(got('sh-subtract'), [[3, 33]]);
});

test('ShuffleSuite "sort with Java non serializable class - Kryo": keys of a job\'s class sorted by their order', () => {
  assert.deepEqual(got('sh-sort-class-keys'), range(1, 11));
});

test('ShuffleSuite ("cannot find its local shuffle file if no execution of the stage and rerun shuffle"): a shuffle two jobs read is written once', () => {
  assert.deepEqual(got('sh-reused'), { counts: [10, 10], mapTasks: 2, sum: 10 });
});

test('ShuffleSuite "metrics for shuffle without aggregation", "... with aggregation": the bytes written are the bytes read, more than 0', () => {
  const r = got<{ groups: number; keys: number; allHundred: boolean }>('sh-metrics');
  assert.equal(r.groups, 10000);
  assert.equal(r.keys, 10000);
  assert.equal(r.allHundred, true);
  assert.equal(shuffleBytes.length, 2);
  for (const [written, read] of shuffleBytes) {
    assert.ok(written > 0, String(written));
    assert.equal(read, written);
  }
});

test('ShuffleSuite: null keys group together; a shuffle of empty partitions has the partitions asked for and nothing in them', () => {
  assert.deepEqual(got('sh-null-and-empty'), {
    nulls: [
      ['a', [2]],
      [null, [1, 3]],
    ],
    empty: [],
    emptyPartitions: 3,
    reduced: 0,
  });
});

// ---------------------------------------------------------------- FileSuite

test('FileSuite "text files": part-00000 holds the lines, read back by textFile', () => {
  assert.deepEqual(got('f-text'), { files: ['_SUCCESS', 'part-00000'], content: '1\n2\n3\n4\n', read: ['1', '2', '3', '4'] });
});

test('FileSuite "text files (compressed)": parts written with a codec (deflate, gzip) are smaller and read back whole; another program\'s .gz file is one split, wholeTextFiles gives its text; an unknown codec refused', () => {
  const r = got<Record<string, unknown>>('f-text-compressed');
  assert.deepEqual(r.files, [
    ['_SUCCESS', 'part-00000.deflate'],
    ['_SUCCESS', 'part-00000.gz'],
  ]);
  assert.equal(r.normal, true);
  assert.equal(r.deflate, true);
  assert.equal(r.gzip, true);
  assert.equal(r.gunzipped, true, 'a gzip stream any gunzip reads');
  assert.deepEqual(r.smaller, [true, true]);
  assert.equal(r.otherPartitions, 1, 'gzip cannot be split');
  assert.deepEqual(r.otherLines, range(0, 5000).map((i) => `line ${i}`));
  refused(r.badCodec, 'SLUICE_BAD_ARGUMENT', /unknown compression codec "bzip2".*'gzip' \(\.gz\) and 'deflate'/);
  assert.equal(r.whole, true, "wholeTextFiles: the .gz file's text");
  assert.equal(r.binary, true, "binaryFiles: the .gz file's bytes");
});

test('FileSuite "spark.files.ignoreCorruptFiles" off: a gzip file cut short fails the job naming it', () => {
  const o = got<Outcome>('f-corrupt-gz');
  assert.ok('code' in o, JSON.stringify(o));
  assert.match(o.error, /input-corrupt\.gz' is not a whole gzip stream: unexpected end of file/);
});

test('FileSuite "object files of ints", "object files of complex types", "object files of classes from a JAR"', () => {
  assert.deepEqual(got('f-object-ints'), [1, 2, 3, 4]);
  assert.deepEqual(got('f-object-complex'), [
    [1, 'a'],
    [2, 'aa'],
    [3, 'aaa'],
  ]);
  assert.deepEqual(got('f-object-classes'), { size: 3, className: 'NonJavaSerializableClass', instances: true });
});

test('FileSuite "binary file input as byte array", "portabledatastream caching tests", "... persist disk storage", "... flatmap tests"', () => {
  const r = got<{ file: string; data: number[]; cached: number[]; onDisk: number[]; copies: number[][] }>('f-binary');
  const bytes = [1, 2, 3, 4, 5, 6];
  assert.ok(r.file.includes(path.join(tmp, 'record-bytestream-00000.bin')), r.file);
  assert.deepEqual(r.data, bytes);
  assert.deepEqual(r.cached, bytes);
  assert.deepEqual(r.onDisk, bytes);
  assert.deepEqual(r.copies, [bytes, bytes, bytes]);
});

test('FileSuite "fixed record length binary file as byte array", "negative binary record length should raise an exception"', () => {
  const r = got<{ count: number; records: number[][]; partitions: number; negative: Outcome; uneven: Outcome }>('f-binary-records');
  assert.equal(r.count, 10);
  assert.deepEqual(r.records, range(0, 10).map((i) => [1, 2, 3, 4, 5, 6].map((b) => b + i)));
  assert.equal(r.partitions, 1);
  refused(r.negative, 'SLUICE_BAD_ARGUMENT', /sc\.binaryRecords\('.*record-bytestream-copies\.bin', -1\): the record length must be a whole number of bytes > 0/);
  assert.ok('code' in r.uneven, JSON.stringify(r.uneven));
  assert.match(r.uneven.error, /record-bytestream-00000\.bin' is 6 bytes, not a multiple of the record length 4/);
});

test('FileSuite "SPARK-22357 test binaryFiles minPartitions": 8 equal files in 1, 2 and 8 partitions', () => {
  assert.deepEqual(got('f-binary-min-partitions'), [1, 2, 8]);
});

test('FileSuite "file caching"', () => {
  assert.deepEqual(got('f-file-caching'), [3, 3, 3]);
});

test('FileSuite "prevent user from overwriting the empty directory", "... the non-empty directory": refused, the first save kept', () => {
  const r = got<{ emptyDir: Outcome; written: boolean; again: Outcome; content: string }>('f-overwrite');
  refused(r.emptyDir, 'SLUICE_IO', /output directory '.*empty-out' already exists/);
  assert.equal(r.written, true);
  refused(r.again, 'SLUICE_IO', /output directory '.*output' already exists/);
  assert.equal(r.content.split('\n').length, 5, 'the first save\'s 4 lines');
});

test('FileSuite "spark.hadoopRDD.ignoreEmptySplits" off (the default): every part file a split, empty ones too', () => {
  assert.deepEqual(got('f-empty-splits'), [1, 2, 5]);
});

test("textFile's partitions as Hadoop's FileInputFormat under Spark's: splits of total / minPartitions bytes, at most a 32 MiB block, a last split up to 1.1 of them; by default min(defaultParallelism, 2) asked (also wholeTextFiles and binaryFiles)", () => {
  assert.deepEqual(got('f-splits'), {
    defaults: [4, 2],
    // 11 bytes in 10: splits of 1 byte (11 / 10), the last one too (1 <= 1.1).
    eleven: 11,
    elevenLines: ['0123456789'],
    // 21 bytes in 2: a split of 10, then the last 11 (11 <= 1.1 x 10).
    slop: 2,
    slopLines: ['abcdefghij', 'abcdefghi', ''],
    // 70 MiB: 32 + 32 + 6 MiB whatever fewer partitions are asked; 3 asked give 23.3 MiB splits: 23.3 + 23.3 + 23.3.
    big: [3, 3, 3],
    // 7 and 14 bytes: in 1, a split each (21 >= 14 bytes); in 2, splits of 10 bytes: 7, then 10 + 4.
    two: [2, 3],
    twoLines: ['key1,a', 'key2,a', 'key3,b'],
    // Default 2: 11 bytes in splits of 5, 5 + 1 (6 > 1.1 x 5); 70 MiB as above; 8 small files packed into 2.
    byDefault: [3, 3, 2, 2],
  });
});

test('FileSuite "spark.files.ignoreMissingFiles" off: a missing path is an error naming it; a file deleted after its RDD was made fails the job naming it', () => {
  const r = got<{ missing: Outcome; deleted: Outcome }>('f-missing');
  refused(r.missing, 'SLUICE_IO', /test-data-1/);
  assert.ok('code' in r.deleted, JSON.stringify(r.deleted));
  assert.match(r.deleted.error, /test-data-2/);
  assert.match(r.deleted.error, /ENOENT|no such file/i);
});

// ---------------------------------------------------------------- UnpersistSuite

test('UnpersistSuite "unpersist RDD": unpersist(blocking) drops it from getPersistentRDDs and its blocks; the next count computes it again', () => {
  assert.deepEqual(got('unpersist-rdd'), { first: [4, 4], computed: 2, listed: true, after: false, count: 4, recomputed: 2 });
});
