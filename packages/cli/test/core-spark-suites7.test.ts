// Where Sluice differed from Spark's core semantics (probed through `sluice run` against Spark's
// sources), on a cluster of 2 worker processes: sampleByKey / sampleByKeyExact with a fraction above
// 1 without replacement, treeAggregate's zero of an RDD with no partition, histogram's evenly spaced
// bucket function at NaN and infinite bounds, histogram(n) of an RDD with no partition, sampling
// seeds (Spark's Longs: seeds 2^32 apart were one seed, a fractional one seed 0); and two
// behaviours already as Spark's that no other file covers (combineByKey without map-side combining,
// cogroup of four RDDs). Expected values are computed here from the inputs or from Spark's code as
// cited, never by Sluice. One cluster for the file.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites7.ts', []);
});

const range = (from: number, until: number): number[] => Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
/** The fixture's pairs: [['a', 'b', 'c'][i % 3], i] for i in [0, 30). */
const keyOf = (i: number): string => ['a', 'b', 'c'][i % 3];
const pairsOf = (k: string): [string, number][] => range(0, 30).filter((i) => keyOf(i) === k).map((i): [string, number] => [k, i]);
type Failure = { code: string | null; error: string };
type Outcome<T> = Failure | { value: T };
/** An outcome's value; its error, if it failed, fails the test with its message. */
function valueOf<T>(o: Outcome<T>, what: string): T {
  assert.ok('value' in o, `${what} failed: ${'error' in o ? `${String(o.code)} ${o.error}` : ''}`);
  return o.value;
}

test('sampleByKey / sampleByKeyExact without replacement: a fraction above 1 keeps every pair of its key, as Spark\'s (PairRDDFunctions requires only "no negative sampling rates"); a negative one is refused', () => {
  const r = cases.one<{ byKey: Outcome<[string, number][]>; exact: Outcome<[string, number][]>; negative: Failure; exactNegative: Failure }>('sample-by-key-above-one');
  const byKey = valueOf(r.byKey, 'sampleByKey');
  const exact = valueOf(r.exact, 'sampleByKeyExact');
  // Spark's getBernoulliSamplingFunction keeps a pair when a uniform draw in [0, 1) is below its key's
  // rate: every 'a' (1.5) and 'c' (2), no 'b' (0), in the input's order.
  assert.deepEqual(byKey, range(0, 30).filter((i) => keyOf(i) !== 'b').map((i) => [keyOf(i), i]));
  // Exact: ceil(n * fraction) asked of each key, capped by what it has (Spark's threshold ends at the
  // waitlist's bound, 1): all 10 'a' (1.5) and 'c' (1), ceil(10 * 0.5) = 5 distinct 'b'.
  const of = (k: string): number[] => exact.filter(([key]) => key === k).map(([, v]) => v).sort((x, y) => x - y);
  assert.deepEqual(of('a'), pairsOf('a').map(([, v]) => v));
  assert.deepEqual(of('c'), pairsOf('c').map(([, v]) => v));
  const bs = of('b');
  assert.equal(bs.length, Math.ceil(10 * 0.5));
  assert.equal(new Set(bs).size, bs.length, 'no pair twice without replacement');
  for (const v of bs) assert.equal(keyOf(v), 'b');
  assert.equal(exact.length, 10 + 10 + 5);
  for (const [name, f] of [['sampleByKey', r.negative], ['sampleByKeyExact', r.exactNegative]] as const) {
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', `${name}: ${f.error}`);
    assert.match(f.error, /a fraction must be a (finite )?number >= 0 \(Spark: Negative sampling rates\), got -[0-9.]+ for key "[ab]"/, name);
  }
});

test('treeAggregate never returns the caller\'s zero: with no partition a copy of it, as Spark\'s Utils.clone(zeroValue); changing the result leaves the zero alone', () => {
  const r = cases.one<Record<string, { same: boolean; value: number[]; zeroAfter: number[] }>>('tree-aggregate-zero');
  assert.deepEqual(r.none, { same: false, value: [-1], zeroAfter: [] }, 'sc.emptyRDD()');
  assert.deepEqual(r.emptyPartitions, { same: false, value: [-1], zeroAfter: [] }, '3 empty partitions');
  assert.deepEqual(r.some, { same: false, value: [-1, 1, 2, 3, 4], zeroAfter: [] }, '[1, 2, 3, 4] in 2 partitions');
});

test('histogram with evenly spaced buckets at NaN and infinite bounds, as Spark\'s fastBucketFunction (its comparisons as they are, Scala\'s Double.toInt: NaN is 0)', () => {
  const r = cases.one<{ infinite: number[]; nanLow: number[]; hugeSpan: { buckets: (number | string)[]; counts: number[] }; finite: number[] }>('histogram-even-bounds');
  // [-Inf, 0, Inf]: no element but NaN is < -Inf or > Inf, and (e - -Inf) / (Inf - -Inf) is NaN for each
  // (Infinity / Infinity, or -Inf - -Inf): bucket NaN.toInt = 0. Five of the six elements, NaN in none.
  assert.deepEqual(r.infinite, [5, 0]);
  // [NaN, 10]: e < NaN is false, so 1, 5 and 10 are in range (11 is above, NaN never), each at bucket 0.
  assert.deepEqual(r.nanLow, [3]);
  // histogram(2) of [-1.7e308, 1.7e308]: Spark's customRange with span max - min = Infinity gives
  // min + (0 * Inf) / 2 = NaN, min + Inf / 2 = Inf, then max; both elements then fall in bucket 0 as above.
  const [min, max] = [-1.7e308, 1.7e308];
  const span = max - min;
  assert.equal(span, Infinity);
  assert.deepEqual(r.hugeSpan, { buckets: [min + (0 * span) / 2, min + (1 * span) / 2, max].map((x) => (Number.isFinite(x) ? x : String(x))), counts: [2, 0] });
  // Finite: [0, 5) and [5, 10], 10 in the last (Spark: min(count, count - 1)), 11 and NaN in none.
  const values = [0, 1, 4.9, 5, 9, 10, 11];
  assert.deepEqual(r.finite, [values.filter((v) => v >= 0 && v < 5).length, values.filter((v) => v >= 5 && v <= 10).length]);
});

test('histogram of an RDD with no partition: histogram(n) fails with "empty collection" naming histogram (Spark\'s reduce of the min and max), histogram(buckets) gives zero counts (Spark\'s new Array[Long])', () => {
  const r = cases.one<{ count: Failure; buckets: { value: number[] } }>('histogram-no-partition');
  assert.equal(r.count.code, 'SLUICE_BAD_ARGUMENT', r.count.error);
  assert.match(r.count.error, /^rdd\.histogram\(2\) on an RDD with no partition \(rdd \d+\): empty collection$/);
  assert.deepEqual(r.buckets, { value: [0, 0] });
});

test('combineByKey with mapSideCombine false: each key\'s combiner made once, on the reduce side, from createCombiner and mergeValue only (Spark\'s ShuffledRDD.setMapSideCombine(false)); with it, one combiner per input partition, merged', () => {
  const r = cases.one<{ combined: [string, string[]][]; withCombine: [string, string[]][] }>('combine-no-map-side');
  const values = (parts: string[]): number[] => parts.filter((p) => p !== 'merged').map((p) => Number(p.slice(1))).sort((x, y) => x - y);
  for (const { label, got, combiners } of [
    { label: 'mapSideCombine false', got: r.combined, combiners: 1 },
    // Each key has pairs in each of the 3 input partitions (i in [0, 10), [10, 20), [20, 30)).
    { label: 'mapSideCombine true', got: r.withCombine, combiners: 3 },
  ]) {
    assert.deepEqual(got.map(([k]) => k).sort(), ['a', 'b', 'c'], label);
    for (const [k, parts] of got) {
      assert.deepEqual(values(parts), pairsOf(k).map(([, v]) => v), `${label}: ${k}'s values`);
      assert.equal(parts.filter((p) => p.startsWith('c')).length, combiners, `${label}: ${k}'s combiners: ${parts.join(' ')}`);
      assert.equal(parts.filter((p) => p === 'merged').length, combiners - 1, `${label}: ${k}'s merges`);
    }
  }
});

test('cogroup of this RDD and three others: each key\'s values from each, in order, [] where it has none; the largest partition count (Spark\'s defaultPartitioner)', () => {
  const r = cases.one<{ partitions: number; groups: [number, string[][]][] }>('cogroup-four');
  assert.equal(r.partitions, Math.max(2, 5, 1, 3));
  const inputs: [number, string][][] = [
    [[1, 'a1'], [2, 'a2']],
    [[1, 'b1']],
    [[2, 'c2'], [2, 'c2b']],
    [[3, 'd3']],
  ];
  const keys = [...new Set(inputs.flat().map(([k]) => k))].sort((x, y) => x - y);
  const want = keys.map((k): [number, string[][]] => [k, inputs.map((xs) => xs.filter(([key]) => key === k).map(([, v]) => v).sort())]);
  assert.deepEqual(r.groups.map(([k, vs]) => [k, vs.map((v) => [...v].sort())]), want);
});

test('take(n) takes a whole number, as Spark\'s Int: n <= 0 gives none (Spark\'s loop never starts), 2.5, NaN or \'2\' is SLUICE_BAD_ARGUMENT (was 3 elements, none, 2)', () => {
  const r = cases.one<Record<'two' | 'negative' | 'fraction' | 'nan' | 'string', Outcome<number[]>>>('take-whole-number');
  assert.deepEqual(r.two, { value: [1, 2] });
  assert.deepEqual(r.negative, { value: [] });
  for (const [name, shown] of [['fraction', '2.5'], ['nan', 'NaN'], ['string', 'string "2"']] as const) {
    const f = r[name];
    assert.ok('error' in f, `${name}: ${JSON.stringify(f)}`);
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', f.error);
    assert.equal(f.error, `rdd.take: the number of elements must be a whole number, got ${shown} (0 or less gives none, as Spark's)`);
  }
});

test("sampling seeds are Spark's Longs: the same seed the same sample; seeds 2^32 apart different samples (sample, randomSplit, takeSample, sampleByKey, sampleByKeyExact); a seed that is no whole number refused", () => {
  type Samples = Record<'sample' | 'split' | 'takeSample' | 'byKey' | 'exact', unknown[]>;
  const r = cases.one<{ seven: Samples; sevenAgain: Samples; big: Samples; bigAgain: Samples; fractional: Record<keyof Samples, Failure> }>('seeds-as-longs');
  assert.deepEqual(r.sevenAgain, r.seven, 'seed 7 twice');
  assert.deepEqual(r.bigAgain, r.big, 'seed 2^32 + 7 twice');
  for (const k of ['sample', 'split', 'takeSample', 'byKey', 'exact'] as const) {
    // Truncated to 32 bits, 2^32 + 7 was seed 7: the same elements, where Spark's Long seeds differ.
    assert.notDeepEqual(r.big[k], r.seven[k], `${k}: seeds 7 and 2^32 + 7 gave the same sample`);
    assert.ok(r.seven[k].length > 0 && r.big[k].length > 0, `${k}: an empty sample of 100 elements at 0.5`);
  }
  const given: Record<keyof Samples, string> = { sample: '0.25', split: '1.5', takeSample: '0.5', byKey: String(2 ** 53), exact: 'NaN' };
  const operator: Record<keyof Samples, string> = { sample: 'rdd.sample', split: 'rdd.randomSplit', takeSample: 'rdd.takeSample', byKey: 'rdd.sampleByKey', exact: 'rdd.sampleByKeyExact' };
  for (const k of Object.keys(given) as (keyof Samples)[]) {
    const f = r.fractional[k];
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', `${k}: ${JSON.stringify(f)}`);
    assert.ok(f.error.startsWith(`${operator[k]}: the seed must be a whole number (Spark's seed is a Long), got ${given[k]};`), `${k}: ${f.error}`);
  }
});
