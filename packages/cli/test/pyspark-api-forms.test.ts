// The API forms a Spark Streaming user reaches for that Sluice refused or ignored until
// 2026-12-07, through the public API on a cluster of 2 worker processes (fixture
// pyspark-api-forms.ts, one job); expected values from plain loops over the same data here:
// - PySpark's partitionFunc (rdd.py: partitionBy puts a pair in buckets[partitionFunc(k) %
//   numPartitions], Python's % never negative) on partitionBy, groupByKey, reduceByKey,
//   combineByKey, foldByKey, aggregateByKey, groupBy; partitionBy(numPartitions) alone.
// - saveAsTextFile(path, 'org.apache.hadoop.io.compress.GzipCodec' / DefaultCodec).
// - streaming/context.py's queueStream of lists and union(*dstreams); dstream.py's partitionBy,
//   mapPartitionsWithIndex, pprint, transformWith(func, other) (func(a, b) or func(t, a, b)),
//   reduceByWindow(f, None, ...), slice(datetime, datetime), awaitTermination(timeout); Scala's
//   combineByKey(c, m, mc, partitioner, mapSideCombine).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pyspark-forms-'));
let cases: SparkCaseRun;
before(async () => {
  cases = await runSparkCases('pyspark-api-forms.ts', ['', dir]);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const pyMod = (h: number, n: number): number => ((h % n) + n) % n;
/** The keys 0..9 by partition, as PySpark places them with partitionFunc `f` over `n` partitions. */
function placed(f: (k: number) => number, n: number): number[][] {
  const parts: number[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < 10; k++) parts[pyMod(f(k), n)].push(k);
  return parts;
}
const pf = (k: number): number => 7 * k - 20;
type Refusal = { code: string | null; message: string } | null;

test("PySpark's partitionFunc places every key-shuffling operator's pairs at partitionFunc(key) mod n (it was ignored); partitionBy(n) is a hash partitioner", () => {
  const r = cases.one<Record<string, unknown> & { errors: Record<string, Refusal>; notWhole: string | null }>('rdd-partition-func');
  assert.deepEqual(r.byCount, { partitions: 3, kind: 'hash' });
  const expected = placed(pf, 3);
  for (const op of ['byFunc', 'groupByKey', 'reduceByKey', 'combineByKey', 'foldByKey', 'aggregateByKey', 'groupBy']) assert.deepEqual(r[op], expected, op);
  // No count: PySpark's _defaultReducePartitions, the RDD's 4 partitions (spark.default.parallelism unset).
  assert.deepEqual(r.reduceByKeyDefaultCount, placed(pf, 4));
  const sums = new Map<number, number>();
  for (let x = 1; x <= 40; x++) sums.set(x % 10, (sums.get(x % 10) ?? 0) + x);
  assert.deepEqual(r.sums, [...sums].sort((a, b) => a[0] - b[0]));
  // combineByKey's map sides combine (PySpark's default): 4 map partitions, each holding all 10 keys.
  assert.equal(r.merges, 10 * 3);
  assert.equal(r.errors.partitionerAndFunc?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.errors.partitionerAndFunc?.message ?? '', /partitionFunc goes with a partition count/);
  assert.equal(r.errors.funcNotFunction?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.errors.funcNotFunction?.message ?? '', /rdd\.groupByKey: .*PySpark's partitionFunc, a function \(key\) => number, got string/);
  assert.equal(r.errors.zeroCount?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.notWhole ?? '', /getPartition\(1\) returned 0\.25, not a whole number in \[0, 2\)/);
  assert.match(r.notWhole ?? '', /pyspark-api-forms\.ts:\d+/);
});

test("PySpark's map(f, preservesPartitioning) and flatMap(f, preservesPartitioning): true keeps the partitioner, false or none drops it", () => {
  const r = cases.one<Record<string, unknown> & { refused: Refusal }>('rdd-preserves-partitioning');
  assert.equal(r.mapKept, 'hash/3');
  assert.equal(r.mapDropped, null);
  assert.equal(r.mapFalse, null);
  assert.equal(r.flatMapKept, 'hash/3');
  assert.equal(r.flatMapDropped, null);
  const sums = new Map<number, number>();
  for (let x = 1; x <= 40; x++) sums.set(x % 10, (sums.get(x % 10) ?? 0) + 2 * x);
  assert.deepEqual(r.sums, [...sums].sort((a, b) => a[0] - b[0]));
  assert.equal(r.refused?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.refused?.message ?? '', /rdd\.map: the second argument is PySpark's preservesPartitioning, true or false, got string/);
});

test("saveAsTextFile takes Hadoop's codec class names, PySpark's compressionCodecClass: GzipCodec writes .gz, DefaultCodec .deflate", () => {
  const r = cases.one<{ gzipBack: string[]; defaultBack: string[]; other: Refusal }>('rdd-hadoop-codec');
  const words = ['alpha', 'beta', 'delta', 'gamma'];
  assert.deepEqual(r.gzipBack, words);
  assert.deepEqual(r.defaultBack, words);
  // Read here with zlib, not with Sluice.
  const read = (sub: string, ext: string, inflate: (b: Buffer) => Buffer): string[] => {
    const parts = fs.readdirSync(path.join(dir, sub)).filter((f) => f.startsWith('part-'));
    assert.ok(parts.length > 0 && parts.every((f) => f.endsWith(ext)), `${sub}: ${parts.join(', ')}`);
    return parts.flatMap((f) => inflate(fs.readFileSync(path.join(dir, sub, f))).toString('utf8').split('\n').filter(Boolean)).sort();
  };
  assert.deepEqual(read('gzip-class', '.gz', zlib.gunzipSync), words);
  assert.deepEqual(read('default-class', '.deflate', zlib.inflateSync), words);
  assert.equal(r.other?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.other?.message ?? '', /unknown compression codec "org\.apache\.hadoop\.io\.compress\.SnappyCodec"/);
});

test("PySpark's streaming forms: queueStream of lists, union(a, b), partitionBy, mapPartitionsWithIndex, pprint, transformWith(func, other), reduceByWindow(f, null, ...); Scala's positional mapSideCombine", () => {
  type Out = Record<string, [number, unknown][]>;
  const r = cases.one<{ zeroTime: number; out: Out; merges: number; errors: Record<string, Refusal>; sliced: number[][]; awaited: null; waitedMs: number; stateAfterWait: string }>('streams');
  const z = r.zeroTime;
  const t = [z + 1000, z + 2000, z + 3000];
  // The queue: two lists, then the default list at every later batch.
  const batches = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10], [100]];
  const at = (name: string): unknown[] => {
    const xs = r.out[name];
    assert.ok(xs, `no output for ${name}`);
    assert.deepEqual(xs.map(([time]) => time), t, name);
    return xs.map(([, v]) => v);
  };
  const byJson = (xs: unknown[]): unknown[] => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  const glom = at('glom') as number[][][];
  assert.deepEqual(glom.map((parts) => parts.flat()), batches);
  // mapPartitionsWithIndex pairs each element with the partition glom found it in.
  assert.deepEqual(at('withIndex'), glom.map((parts) => parts.flatMap((part, i) => part.map((x) => [i, x]))));
  // partitionBy(2, k => k === 0 ? -1 : k): key 0 -> -1 mod 2 = 1, key 1 -> 1, key 2 -> 0.
  const f = (k: number): number => (k === 0 ? -1 : k);
  assert.deepEqual(
    at('partitionBy'),
    batches.map((xs) => {
      const parts: number[][] = [[], []];
      for (const k of new Set(xs.map((x) => x % 3))) parts[pyMod(f(k), 2)].push(k);
      return parts.map((p) => p.sort((a, b) => a - b));
    }),
  );
  assert.deepEqual(at('partitionByCount'), batches.map(() => [3, 'hash']));
  assert.deepEqual(at('union'), batches.map((xs) => byJson([...xs, ...xs.map((x) => x * 10)])));
  assert.deepEqual(at('transformWith2'), batches.map((xs) => byJson(xs.map((x) => [x, x]))));
  assert.deepEqual(at('transformWith3'), batches.map((xs, i) => byJson([...xs, ...xs.map((x) => -x)].map((x) => [t[i], x]))));
  // A window of 2 batches: this batch's sum and the one before.
  const sums = batches.map((xs) => xs.reduce((a, b) => a + b, 0));
  assert.deepEqual(at('reduceByWindow'), sums.map((s, i) => [s + (i > 0 ? sums[i - 1] : 0)]));
  assert.deepEqual(
    at('combineNoMapSide'),
    batches.map((xs) => [0, 1, 2].filter((k) => xs.some((x) => x % 3 === k)).map((k) => [k, xs.filter((x) => x % 3 === k)])),
  );
  assert.equal(r.merges, 0, 'mapSideCombine false: mergeCombiners never runs');
  // DStream.map / flatMap(f, true) keep the partitioner of partitionBy(3); without the flag, none.
  assert.deepEqual(at('mapKept'), batches.map(() => 'hash/3'));
  assert.deepEqual(at('flatMapKept'), batches.map(() => 'hash/3'));
  assert.deepEqual(at('mapDropped'), batches.map(() => null));
  assert.match(r.errors.mapFlagNotBoolean?.message ?? '', /dstream\.map: the second argument is PySpark's preservesPartitioning, true or false, got number/);
  // slice(Date, Date): the batches at those times, both included.
  assert.deepEqual(r.sliced.map((xs) => [...xs].sort((a, b) => a - b)), batches.slice(0, 2));
  // awaitTermination(300): back after the timeout (10x-loose bound), the context still running.
  assert.equal(r.awaited, null);
  assert.ok(r.waitedMs >= 290 && r.waitedMs < 3000, `awaitTermination(300) returned after ${r.waitedMs} ms`);
  assert.equal(r.stateAfterWait, 'active');
  // pprint(2): Scala's print format, the first 2 elements and '...'.
  const lines = cases.run.lines;
  const first = lines.indexOf('pp-a');
  assert.ok(first > 0, 'pprint printed no pp-a');
  assert.deepEqual(lines.slice(first - 3, first + 3), ['-------------------------------------------', `Time: ${t[0]} ms`, '-------------------------------------------', 'pp-a', 'pp-b', '...']);
  assert.ok(!lines.includes('pp-c'));
  assert.match(r.errors.unionBoth?.message ?? '', /ssc\.union: give the streams as one array.*or as arguments/);
  assert.equal(r.errors.partitionByNotFunction?.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(r.errors.partitionByNotFunction?.message ?? '', /dstream\.partitionBy/);
  assert.match(r.errors.combineFifth?.message ?? '', /dstream\.combineByKey: the fifth argument is Spark's mapSideCombine, a boolean .* got string/);
});
