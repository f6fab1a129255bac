// Spark's delay scheduling, set as a Spark user sets it (`--conf spark.locality.wait=...` on
// `sluice run`), with real processes: 2 one-core workers, an RDD cached one partition on each,
// and a blocker job holding one worker's core (fixtures/locality-any.ts). Spark's
// TaskSetManager launches a task whose preferred executor is busy at ANY once the locality
// wait is over (getAllowedLocalityLevel), at once with a wait of 0; within a long wait it waits
// for its own executor. TaskInfo.taskLocality (the program's SparkListener) says which.
// Expected values come from the run's own setup: where each partition was cached and which
// worker the blocker took. No timing is asserted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLine, jsonLines, runCli, type CliResult } from './harness.js';

const JOB = fixture('locality-any.ts');

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

interface Placement {
  /** The worker holding each partition's cached block. */
  readonly cachedOn: Record<string, string>;
  /** The worker the blocker job holds. */
  readonly busy: string;
  /** Job 3's task starts. */
  readonly tasks: { index: number; executorId: string; taskLocality: string }[];
}

async function runLocality(conf: readonly string[], release: 'local-end' | 'job-end'): Promise<Placement> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-locality-any-'));
  try {
    const r = await runCli(['run', '--workers', '2', '--cores', '1', ...conf.flatMap((c) => ['--conf', c]), JOB, dir, release], { timeoutMs: 180_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(jsonLine<number[]>(lines, 'RESULT '), [20, 22], show(r));
    const cachedOn = jsonLine<Record<string, string>>(lines, 'CACHED ');
    assert.notEqual(cachedOn['0'], cachedOn['1'], `the two cached partitions ran at once, so on the two workers\n${show(r)}`);
    const busy = jsonLine<{ executorId: string }>(lines, 'BLOCKER ').executorId;
    assert.ok(busy === cachedOn['0'] || busy === cachedOn['1'], show(r));
    return { cachedOn, busy, tasks: jsonLines(lines, 'TASK ') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The partition cached on the busy worker, and the one cached on the free worker. */
function sides(p: Placement): { onBusy: number; onFree: number; free: string } {
  const onBusy = p.cachedOn['0'] === p.busy ? 0 : 1;
  return { onBusy, onFree: 1 - onBusy, free: p.cachedOn[String(1 - onBusy)] };
}

test('--conf spark.locality.wait=300ms: the partition cached on a worker busy past the wait runs on the other worker, ANY; the other PROCESS_LOCAL where it is cached', { timeout: 240_000 }, async () => {
  // legacyResetOnTaskLaunch=false is Spark's default, taken (true is refused below).
  const p = await runLocality(['spark.locality.wait=300ms', 'spark.locality.wait.legacyResetOnTaskLaunch=false'], 'job-end');
  const { onBusy, onFree, free } = sides(p);
  assert.deepEqual(
    [...p.tasks].sort((a, b) => a.index - b.index),
    [
      { index: onBusy, executorId: free, taskLocality: 'ANY' },
      { index: onFree, executorId: free, taskLocality: 'PROCESS_LOCAL' },
    ].sort((a, b) => a.index - b.index),
    JSON.stringify(p),
  );
});

test('--conf spark.locality.wait=0: the partition cached on the busy worker takes the first free core, ANY, even as its own worker frees just after', { timeout: 240_000 }, async () => {
  // The busy worker is released as the other partition's task ends: with no wait, the freed core
  // on the other worker is given the waiting task at once, before the release is seen.
  const p = await runLocality(['spark.locality.wait=0', 'spark.locality.wait.node=0', 'spark.locality.wait.rack=3s'], 'local-end');
  const { onBusy, free } = sides(p);
  const t = p.tasks.find((x) => x.index === onBusy);
  assert.deepEqual(t, { index: onBusy, executorId: free, taskLocality: 'ANY' }, JSON.stringify(p));
  assert.equal(p.tasks.length, 2, JSON.stringify(p));
});

test('--conf spark.locality.wait.process=10min (over spark.locality.wait=0, as Spark reads it): the partition cached on the busy worker waits for it and runs there, PROCESS_LOCAL', { timeout: 240_000 }, async () => {
  const p = await runLocality(['spark.locality.wait=0', 'spark.locality.wait.process=10min'], 'local-end');
  const { onBusy, onFree, free } = sides(p);
  assert.deepEqual(
    [...p.tasks].sort((a, b) => a.index - b.index),
    [
      { index: onBusy, executorId: p.busy, taskLocality: 'PROCESS_LOCAL' },
      { index: onFree, executorId: free, taskLocality: 'PROCESS_LOCAL' },
    ].sort((a, b) => a.index - b.index),
    JSON.stringify(p),
  );
});

test('--conf values Spark would not read as a time, and node waits Sluice has no level for, are refused naming the key and the form; nothing runs', async () => {
  const cases: [string, RegExp][] = [
    ['spark.locality.wait=1.5s', /SLUICE_BAD_ARGUMENT[\s\S]*--conf spark\.locality\.wait=1\.5s: not a time; Spark's form is a whole number and a unit, or milliseconds alone: '3s', '500ms', '0'/],
    ['spark.locality.wait.process=3 s', /--conf spark\.locality\.wait\.process=3 s: not a time/],
    ['spark.locality.wait=-1', /--conf spark\.locality\.wait=-1: not a time/],
    ['spark.locality.wait=3sec', /--conf spark\.locality\.wait=3sec: not a time.*units us, ms, s, m or min, h, d/],
    ['spark.locality.wait.node=1s', /--conf spark\.locality\.wait\.node=1s: Sluice has no node level: .*spark\.locality\.wait\.process or spark\.locality\.wait/],
    ['spark.locality.wait.rack=soon', /--conf spark\.locality\.wait\.rack=soon: not a time/],
    ['spark.locality.wait.legacyResetOnTaskLaunch=true', /--conf spark\.locality\.wait\.legacyResetOnTaskLaunch=true: not provided: Sluice restarts the locality wait as Spark's default \(false\) does/],
    ['spark.locality.wait.legacyResetOnTaskLaunch=yes', /--conf spark\.locality\.wait\.legacyResetOnTaskLaunch=yes: not a boolean/],
    ['spark.default.parallelism=0', /--conf spark\.default\.parallelism=0: give a whole number of partitions, 1 or more/],
    ['spark.default.parallelism=four', /--conf spark\.default\.parallelism=four: give a whole number/],
  ];
  for (const [given, expected] of cases) {
    const r = await runCli(['run', '--conf', given, JOB, path.join(os.tmpdir(), 'sluice-no-such-dir'), 'job-end'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, `${given}\n${show(r)}`);
    assert.equal(r.stdout, '', `${given}: nothing ran\n${show(r)}`);
    assert.match(r.stderr, expected, given);
  }
});

// spark.default.parallelism: sc.defaultParallelism as given (Spark's backends read the setting
// before their core count: 1 stays 1), and every default Spark takes from it (parallelize, range,
// a DStream's reduceByKey; an RDD's keyed operation given no partitions through
// Partitioner.defaultPartitioner, which uses the setting only when it is SET, else the largest
// input's count, and keeps an input's hash partitioner when it is eligible or has at least that
// many partitions). Expected counts come from the fixture's own inputs and the --conf given.
const PARALLELISM_JOB = fixture('default-parallelism.ts');

interface Parts {
  defaultParallelism: number;
  parallelize: number;
  range: number;
  reduceByKey: number;
  groupByKey: number;
  join: number;
  joinEligible: number;
  joinNotEligible: number;
}

/** PairRDDFunctionsSuite's "cogroup between multiple RDD when defaultParallelism is set ..." cases, and sc.emptyRDD().groupBy(f). */
interface SparkCogroups {
  withoutProperPartitioner: number;
  withProperPartitioner: number;
  hugeUpstream: number;
  emptyGroupBy: number;
}

async function runParallelism(conf: readonly string[]): Promise<{ parts: Parts; stream: number[]; spark: SparkCogroups }> {
  const r = await runCli(['run', '--workers', '2', '--cores', '1', ...conf.flatMap((c) => ['--conf', c]), PARALLELISM_JOB], { timeoutMs: 180_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.split('\n');
  // The results, from the inputs: key k of pairs(n) holds the i < n with i % 6 === k.
  const sums: Record<string, number> = {};
  for (let i = 0; i < 30; i++) sums[i % 6] = (sums[i % 6] ?? 0) + i;
  const perKey = (n: number): number => n / 6;
  assert.deepEqual(
    jsonLine(lines, 'R '),
    { sums, groups: [0, 1, 2, 3, 4, 5].map((k) => [k, perKey(30)]), joined: 6 * perKey(12) ** 2, eligible: 6 * perKey(12) ** 2, notEligible: 6 * perKey(60) ** 2 },
    show(r),
  );
  const s = jsonLine<{ error: string | null; partitions: number[] }>(lines, 'S ');
  assert.equal(s.error, null, show(r));
  return { parts: jsonLine<Parts>(lines, 'P '), stream: s.partitions, spark: jsonLine<SparkCogroups>(lines, 'C ') };
}

test('--conf spark.default.parallelism=7: sc.defaultParallelism is 7, and so are parallelize, range, keyed operations given no count (but an eligible hash partitioner is kept) and a DStream reduceByKey', { timeout: 240_000 }, async () => {
  const n = 7;
  const got = await runParallelism([`spark.default.parallelism=${n}`]);
  // PairRDDFunctionsSuite's three cases (Spark sets 4; the rule is the same for 7): rdd1 (20
  // partitions) with rdd2 (10, no partitioner): sc.defaultParallelism; with rdd2 partitioned by
  // HashPartitioner(10), eligible (within 10x of 20): rdd2's 10; with rdd1 of 1000 partitions, not
  // eligible, but 10 >= the default: rdd2's 10. An empty RDD's groupBy: the default too (Spark's
  // defaultNumPartitions when the setting is set).
  assert.deepEqual(got, {
    parts: { defaultParallelism: n, parallelize: n, range: n, reduceByKey: n, groupByKey: n, join: n, joinEligible: 4, joinNotEligible: n },
    stream: [n],
    spark: { withoutProperPartitioner: n, withProperPartitioner: 10, hugeUpstream: 10, emptyGroupBy: n },
  });
});

test('spark.default.parallelism unset: the cluster cores (2 workers x 1 core), and keyed operations keep their largest input count, as Spark without the setting', { timeout: 240_000 }, async () => {
  const cores = 2 * 1;
  const got = await runParallelism([]);
  // Unset: the largest input's count (20; 10 eligible; 1000, as 10 is neither eligible nor >= 1000), 0 for an empty RDD's groupBy.
  assert.deepEqual(got, {
    parts: { defaultParallelism: cores, parallelize: cores, range: cores, reduceByKey: 3, groupByKey: 3, join: 5, joinEligible: 4, joinNotEligible: 30 },
    stream: [cores],
    spark: { withoutProperPartitioner: 20, withProperPartitioner: 10, hugeUpstream: 1000, emptyGroupBy: 0 },
  });
});

test('--conf spark.default.parallelism=1 is 1 (not raised to 2), and an input hash partitioner of at least that many partitions is kept though not eligible', { timeout: 240_000 }, async () => {
  const got = await runParallelism(['spark.default.parallelism=1']);
  assert.deepEqual(got, {
    parts: { defaultParallelism: 1, parallelize: 1, range: 1, reduceByKey: 1, groupByKey: 1, join: 1, joinEligible: 4, joinNotEligible: 2 },
    stream: [1],
    spark: { withoutProperPartitioner: 1, withProperPartitioner: 10, hugeUpstream: 10, emptyGroupBy: 1 },
  });
});

test('spark.default.parallelism in a properties file is taken as --conf, and a --conf on the command line wins over it, as spark-submit flags over spark-defaults.conf', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-parallelism-props-'));
  try {
    const file = path.join(dir, 'spark-defaults.conf');
    fs.writeFileSync(file, 'spark.default.parallelism 5\nspark.locality.wait 0\n');
    for (const [extra, n] of [[[], 5], [['--conf', 'spark.default.parallelism=3'], 3]] as [string[], number][]) {
      const r = await runCli(['run', '--workers', '2', '--cores', '1', '--properties-file', file, ...extra, PARALLELISM_JOB], { timeoutMs: 180_000 });
      assert.equal(r.code, 0, show(r));
      assert.equal(jsonLine<Parts>(r.stdout.split('\n'), 'P ').defaultParallelism, n, show(r));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
