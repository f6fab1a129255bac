// The RDD methods of Spark's RDD, PairRDDFunctions, OrderedRDDFunctions and DoubleRDDFunctions
// that rdd-operators.test does not cover, on a cluster of 2 worker processes, each checked
// against the same computation written as plain JS here (Spark's rules: what is kept, what
// throws on an empty RDD). One cluster for the file; the fixture prints `R <name> <json>`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HashPartitioner, partitionFunction } from '@sluice/core/internal';
import { fixture, mulberry32, withCluster } from './harness.js';
import { ReportedOutcomes } from './reported-outcomes.js';
import { printed } from './spark-storage-levels.js';

const rand = mulberry32(20261202);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length)];

// Multiples of 0.5: every sum is exact, so sums compare with ===.
const nums = [-50, 49.5, 0, 0.5, 45, ...Array.from({ length: 195 }, () => int(-100, 100) / 2)];
const distinct = Array.from({ length: 300 }, (_, i) => i);
const pairs = Array.from({ length: 150 }, (): [string, number] => [pick(KEYS), int(0, 100)]);
const tuplePairs = Array.from({ length: 90 }, (): [[string, number], number] => [[pick(['x', 'y', 'z']), int(0, 3)], int(-20, 20)]);
const other = Array.from({ length: 40 }, (_, i): [string, string] => [pick([...KEYS, 'q']), `o${i}`]);
const third = Array.from({ length: 30 }, (): [string, boolean] => [pick([...KEYS.slice(2), 'r']), rand() < 0.5]);
const lookupKeys = ['a', 'c', 'h', 'missing'];
const tupleKey: [string, number] = ['y', 1];
const buckets = [-40, -10.5, 0, 0.5, 30, 45];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-spark-api-'));
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ nums, distinct, pairs, tuplePairs, other, third, lookupKeys, tupleKey, buckets }));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
const failed = (name: string): { error: string; code: string | null } => reported.failed(name);

before(async () => {
  await withCluster({ workers: 2 }, async (h) => {
    reported.read(await h.run(fixture('rdd-spark-api.ts'), [inputFile]));
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sorted = <T>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
const sameKey = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
/** Values by key, keys in first-seen order. */
function groups<K, V>(ps: readonly [K, V][]): Map<string, [K, V[]]> {
  const out = new Map<string, [K, V[]]>();
  for (const [k, v] of ps) {
    const id = JSON.stringify(k);
    if (!out.has(id)) out.set(id, [k, []]);
    out.get(id)![1].push(v);
  }
  return out;
}
/** How parallelize slices n elements into p partitions. */
const slice = <T>(xs: readonly T[], p: number): T[][] => Array.from({ length: p }, (_, i) => xs.slice(Math.floor((i * xs.length) / p), Math.floor(((i + 1) * xs.length) / p)));

test('lookup: every value of the key, by value, with and without a partitioner', () => {
  for (const k of lookupKeys) {
    const want = pairs.filter(([pk]) => pk === k).map(([, v]) => v);
    assert.deepEqual(got(`lookup.plain.${k}`), want, `plain ${k}`);
    assert.deepEqual(sorted(got<number[]>(`lookup.hash.${k}`)), sorted(want), `hash-partitioned ${k}`);
  }
  const sums = lookupKeys.map((k) => {
    const vs = pairs.filter(([pk]) => pk === k).map(([, v]) => v);
    return vs.length === 0 ? [] : [sum(vs)];
  });
  assert.deepEqual(got('lookup.reduced'), sums);
  // Range-partitioned by sortByKey: looked up before and after a job sampled the bounds, and through mapValues (which keeps the partitioner).
  const s = got<{ before: number[][]; after: number[][]; mapped: number[][]; lazy: number[][] }>('lookup.sorted');
  const want = lookupKeys.map((k) => sorted(pairs.filter(([pk]) => pk === k).map(([, v]) => v)));
  assert.deepEqual(s.before.map((vs) => sorted(vs)), want);
  assert.deepEqual(s.after.map((vs) => sorted(vs)), want);
  assert.deepEqual(s.mapped.map((vs) => sorted(vs)), want.map((vs) => sorted(vs.map((v) => v * 2))));
  assert.deepEqual(s.lazy.map((vs) => sorted(vs)), want.map((vs) => sorted(vs.map((v) => v * 2))), 'through mapValues of a sort sampled lazily');
  const tupleWant = tuplePairs.filter(([k]) => sameKey(k, tupleKey)).map(([, v]) => v);
  assert.ok(tupleWant.length > 0);
  assert.deepEqual(got('lookup.tuple'), tupleWant);
  const grouped = got<number[][]>('lookup.tuple.grouped');
  assert.equal(grouped.length, 1);
  assert.deepEqual(sorted(grouped[0]), sorted(tupleWant));
});

test('groupBy, groupWith and cogroup (one, two and three others), reduceByKeyLocally', () => {
  const byMod = groups(nums.map((x): [number, number] => [((x % 3) + 3) % 3, x]));
  assert.deepEqual(sorted(got<[number, number[]][]>('groupBy').map(([k, vs]) => [k, sorted(vs)])), sorted([...byMod.values()].map(([k, vs]) => [k, sorted(vs)])));
  assert.equal(got('groupBy.n'), 2);
  const keys = [...new Set([...pairs, ...other, ...third].map(([k]) => k))];
  const values = <V>(ps: readonly [string, V][], k: string): V[] => sorted(ps.filter(([pk]) => pk === k).map(([, v]) => v));
  const one = got<[string, [number[], string[]]][]>('groupWith.one').map(([k, [vs, ws]]) => [k, [sorted(vs), sorted(ws)]]);
  assert.deepEqual(sorted(one), sorted(keys.filter((k) => pairs.some(([p]) => p === k) || other.some(([p]) => p === k)).map((k) => [k, [values(pairs, k), values(other, k)]])));
  const two = got<[string, [number[], string[], boolean[]]][]>('groupWith.two').map(([k, [vs, ws, xs]]) => [k, [sorted(vs), sorted(ws), sorted(xs)]]);
  assert.deepEqual(sorted(two), sorted(keys.map((k) => [k, [values(pairs, k), values(other, k), values(third, k)]])));
  const cog2 = got<[string, [number[], string[], boolean[]]][][]>('cogroup.two');
  assert.equal(cog2.length, 4, 'cogroup(o1, o2, 4): 4 partitions');
  assert.deepEqual(sorted(cog2.flat().map(([k, [vs, ws, xs]]) => [k, [sorted(vs), sorted(ws), sorted(xs)]])), sorted(keys.map((k) => [k, [values(pairs, k), values(other, k), values(third, k)]])));
  const cog3 = got<[string, [number[], string[], boolean[], number[]]][]>('cogroup.three').map(([k, [vs, ws, xs, ys]]) => [k, [sorted(vs), sorted(ws), sorted(xs), sorted(ys)]]);
  const negated = pairs.map(([k, v]): [string, number] => [k, 0 - v]); // JSON has no -0
  assert.deepEqual(sorted(cog3), sorted(keys.map((k) => [k, [values(pairs, k), values(other, k), values(third, k), values(negated, k)]])));
  const local = got<[string, number][]>('reduceByKeyLocally');
  assert.deepEqual(sorted(local), sorted([...groups(pairs).values()].map(([k, vs]) => [k, sum(vs)])));
});

test("sampleByKey: each key at its rate, repeatable by seed, keeps the partitioner; a key with no rate fails", () => {
  const s = got<{ a: [string, number][]; b: [string, number][]; repl: [string, number][]; repl2: [string, number][]; kept: unknown }>('sampleByKey');
  assert.deepEqual(s.a, s.b);
  assert.deepEqual(s.repl, s.repl2);
  const count = (ps: readonly [string, number][], k: string): number => ps.filter(([pk]) => pk === k).length;
  // Without replacement: a sub-multiset of the input in input order, rate 0 none, rate 1 all.
  let at = 0;
  for (const p of s.a) {
    while (at < pairs.length && JSON.stringify(pairs[at]) !== JSON.stringify(p)) at++;
    assert.ok(at < pairs.length, `${JSON.stringify(p)} is an input pair, in input order`);
    at++;
  }
  for (const k of ['a', 'h']) assert.equal(count(s.a, k), 0, k);
  for (const k of ['b', 'g']) assert.equal(count(s.a, k), count(pairs, k), k);
  assert.ok(count(s.a, 'c') > 0 && count(s.a, 'c') < count(pairs, 'c'), 'rate 0.5: some, not all');
  // With replacement: only input pairs, none of rate-0 keys, and some pair more than once.
  for (const p of s.repl) assert.ok(pairs.some((q) => JSON.stringify(q) === JSON.stringify(p)));
  assert.equal(count(s.repl, 'a') + count(s.repl, 'h'), 0);
  assert.ok(count(s.repl, 'b') > count(pairs, 'b'), `rate 2: about twice b's ${count(pairs, 'b')} pairs, got ${count(s.repl, 'b')}`);
  assert.deepEqual(s.kept, { kind: 'hash', numPartitions: 4 });
  assert.match(failed('sampleByKey.missing').error, /no sampling fraction for key "[b-h]"/);
});

test('repartitionAndSortWithinPartitions: placed by the partitioner, each partition sorted by key', () => {
  const r = got<{ partitioner: unknown; parts: [string, number][][] }>('repartitionAndSort');
  assert.deepEqual(r.partitioner, { kind: 'hash', numPartitions: 3 });
  const where = partitionFunction(HashPartitioner.of(3));
  r.parts.forEach((part, i) => {
    for (const [k] of part) assert.equal(where(k), i, `key ${k} in partition ${i}`);
    const ks = part.map(([k]) => k);
    assert.deepEqual(ks, [...ks].sort(), `partition ${i} sorted by key`);
  });
  assert.deepEqual(sorted(r.parts.flat()), sorted(pairs));
});

test('zipWithUniqueId: partition k of n gets k, n + k, 2n + k, ...', () => {
  const want = slice(distinct, 5).map((part, k) => part.map((x, i) => [x, i * 5 + k]));
  assert.deepEqual(got('zipWithUniqueId'), want);
});

test('zip and zipPartitions: partition i with partition i; unequal partitions or element counts fail', () => {
  const a = distinct.slice(0, 60);
  const b = distinct.slice(100, 160).map((x) => `r${x}`);
  assert.deepEqual(got('zip'), a.map((x, i) => [x, b[i]]));
  assert.deepEqual(got('zipPartitions'), [20, 20, 20, 20, 20, 20]);
  const p = failed('zip.partitions');
  assert.equal(p.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(p.error, /unequal numbers of partitions/);
  assert.match(failed('zip.elements').error, /same number of elements in each partition/);
});

test('randomSplit: disjoint, complete, weighted, the same for the same seed; bad weights throw', () => {
  const { a, b } = got<{ a: number[][]; b: number[][] }>('randomSplit');
  assert.deepEqual(a, b);
  assert.equal(a.length, 3);
  assert.deepEqual([...a.flat()].sort((x, y) => x - y), distinct);
  assert.ok(a[0].length > 0 && a[0].length < a[2].length, `sizes ${a.map((s) => s.length)} for weights 1, 2, 3`);
  assert.equal(failed('randomSplit.bad').code, 'SLUICE_BAD_ARGUMENT');
});

test('takeSample: num distinct elements, repeatable by seed, shuffled; all of them when num >= count; with replacement', () => {
  const s = got<{ a: number[]; b: number[]; seeds: number[][]; all: number[]; repl: number[]; zero: number[]; empty: number[] }>('takeSample');
  assert.deepEqual(s.a, s.b);
  assert.equal(s.a.length, 10);
  assert.equal(new Set(s.a).size, 10);
  for (const x of s.a) assert.ok(distinct.includes(x));
  assert.ok(s.seeds.some((xs) => xs.some((x, i) => i > 0 && x < xs[i - 1])), 'samples are shuffled, not in partition order');
  assert.ok(new Set(s.seeds.map((xs) => JSON.stringify(xs))).size > 1, 'other seeds, other samples');
  assert.deepEqual([...s.all].sort((x, y) => x - y), distinct);
  assert.equal(s.repl.length, 50);
  for (const x of s.repl) assert.ok(x >= 0 && x < 20);
  assert.deepEqual(s.zero, []);
  assert.deepEqual(s.empty, []);
});

test('max and min (with a comparator too); first, reduce, treeReduce, max, min of an empty RDD throw "empty collection"', () => {
  assert.equal(got('max'), Math.max(...nums));
  assert.equal(got('min'), Math.min(...nums));
  assert.equal(got('max.cmp'), 'dandelion');
  assert.equal(got('min.cmp'), 'fig');
  for (const name of ['max.empty', 'min.empty', 'first.empty', 'reduce.empty', 'treeReduce.empty']) {
    const f = failed(name);
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', name);
    assert.match(f.error, /empty collection/, name);
  }
});

test('treeReduce and treeAggregate give reduce and aggregate; depth must be >= 1', () => {
  assert.equal(got('treeReduce'), sum(nums));
  assert.equal(got('treeReduce.depth3'), sum(nums));
  assert.deepEqual(got('treeAggregate'), [sum(nums), nums.length]);
  assert.equal(failed('treeAggregate.depth0').code, 'SLUICE_BAD_ARGUMENT');
});

test("sum, stats and its parts, as Spark's StatCounter", () => {
  assert.equal(got('sum'), sum(nums));
  assert.equal(got('sum.empty'), 0);
  const n = nums.length;
  const mean = sum(nums) / n;
  const m2 = sum(nums.map((x) => (x - mean) ** 2));
  const close = (x: number, want: number, what: string): void => assert.ok(Math.abs(x - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${x}, want ${want}`);
  const s = got<{ count: number; mean: number; sum: number; max: number; min: number; variance: number; sampleVariance: number; stdev: number; sampleStdev: number; text: string }>('stats');
  assert.equal(s.count, n);
  assert.equal(s.max, Math.max(...nums));
  assert.equal(s.min, Math.min(...nums));
  close(s.mean, mean, 'mean');
  close(s.sum, sum(nums), 'sum');
  close(s.variance, m2 / n, 'variance');
  close(s.sampleVariance, m2 / (n - 1), 'sampleVariance');
  close(s.stdev, Math.sqrt(m2 / n), 'stdev');
  close(s.sampleStdev, Math.sqrt(m2 / (n - 1)), 'sampleStdev');
  assert.equal(s.text, `(count: ${n}, mean: ${mean.toFixed(6)}, stdev: ${Math.sqrt(m2 / n).toFixed(6)}, max: ${Math.max(...nums).toFixed(6)}, min: ${Math.min(...nums).toFixed(6)})`);
  const each = got<Record<string, number>>('stats.each');
  close(each.mean, mean, 'mean()');
  close(each.variance, m2 / n, 'variance()');
  close(each.sampleVariance, m2 / (n - 1), 'sampleVariance()');
  close(each.stdev, Math.sqrt(m2 / n), 'stdev()');
  close(each.sampleStdev, Math.sqrt(m2 / (n - 1)), 'sampleStdev()');
  assert.deepEqual(got('stats.empty'), { count: 0, mean: 0, variance: 'NaN', max: '-Infinity', min: 'Infinity' });
});

test("histogram: Spark's buckets (right-open, the last closed), evenly spaced or given; what throws", () => {
  /** Counts by boundary comparisons: bucket i is [b_i, b_i+1), the last also b_n. */
  const counts = (bs: readonly number[]): number[] => {
    const out = new Array<number>(bs.length - 1).fill(0);
    for (const x of nums) {
      if (x < bs[0] || x > bs[bs.length - 1]) continue;
      let i = bs.length - 2;
      while (i > 0 && x < bs[i]) i--;
      out[i] += 1;
    }
    return out;
  };
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  const bounds = [...Array.from({ length: 5 }, (_, i) => min + (i * (max - min)) / 5), max];
  assert.deepEqual(got('histogram.count'), [bounds, counts(bounds)]);
  assert.deepEqual(got('histogram.buckets'), counts(buckets));
  const quarters = counts([-50, -25, 0, 25, 50]);
  assert.equal(sum(quarters), nums.length);
  assert.deepEqual(got('histogram.even'), quarters);
  assert.deepEqual(got('histogram.uneven'), quarters);
  assert.deepEqual(got('histogram.same'), [[3, 3], [3]]);
  for (const name of ['histogram.empty', 'histogram.nan', 'histogram.oneBound']) assert.equal(failed(name).code, 'SLUICE_BAD_ARGUMENT', name);
});

test('toLocalIterator gives the elements in order; getNumPartitions, getStorageLevel', () => {
  assert.deepEqual(got('toLocalIterator'), nums);
  assert.deepEqual(got('getters'), { n: 4, level: printed('NONE'), cached: printed('MEMORY_ONLY') });
});

test("sc.makeRDD(seq, numSlices) is Spark's parallelize under its other name: the slices ParallelCollectionRDD cuts, scope makeRDD; 0 slices refused naming makeRDD", () => {
  const slices = Array.from({ length: 7 }, (_, i) => nums.slice(Math.floor((i * nums.length) / 7), Math.floor(((i + 1) * nums.length) / 7)));
  assert.deepEqual(got('makeRDD'), { n: 7, parts: slices, scope: 'makeRDD' });
  const f = failed('makeRDD.zero');
  assert.equal(f.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(f.error, /^sc\.makeRDD: numSlices must be a positive integer, got 0.*Positive number of partitions required/);
});
