// RDD methods of Spark's that Sluice added late (toDebugString, filterByRange, pipe,
// countApproxDistinct), on a cluster of 2 worker processes, each checked against what the
// same computation gives as plain JS here, under Spark's rules. One cluster for the file;
// the fixture prints `R <name> <json>`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, mulberry32, pollUntil, siteAt, withCluster } from './harness.js';
import { processStartTime, stillRunning } from './fixtures/proc-start-time.js';
import { ReportedOutcomes } from './reported-outcomes.js';

const rand = mulberry32(20261202);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));
const nums = Array.from({ length: 120 }, () => int(0, 1000));
const words = Array.from({ length: 40 }, () => ['pear', 'Apple', 'fig', 'kiwi', 'date', 'äpfel', 'Zebra', '10', '9'][int(0, 9)]);
// 30,000 elements, 6,000 distinct by value: numbers, strings ('7' is not 7) and tuples.
const mixed: unknown[] = Array.from({ length: 30_000 }, () => {
  const i = int(0, 2000);
  return [i, String(i), [i % 50, `t${Math.floor(i / 50)}`]][int(0, 3)];
});
// Key k<i> has 3^i-ish distinct values, each seen several times.
const keyed: [string, number][] = [1, 7, 60, 400, 2500].flatMap((d, i) => Array.from({ length: d * 3 }, (): [string, number] => [`k${i}`, int(0, d) * 7]));
// Strata of 0 to 300 pairs a key, one a tuple key.
const strata: [string | [string, number], number][] = [...Array.from({ length: 300 }, (_, i): [string, number] => [['a', 'b', 'c', 'd', 'e'][i % 5], i]), ...Array.from({ length: 31 }, (_, i): [[string, number], number] => [['t', 1], 1000 + i])];
const ranges: [number, number][] = [[200, 400], [250, 262], [nums[7], nums[7]], [0, 999], [-5, -1]];
// The approximate actions' data: 8 partitions each, 0-3 alike (the fixture holds 4-7 past the timeout).
const alike = <T>(one: T[], held: T[]): T[] => [...one, ...one, ...one, ...one, ...held];
const sumPart = Array.from({ length: 150 }, () => int(-50, 200));
const meanPart = Array.from({ length: 10 }, () => int(0, 100) / 4);
const pairPart = Array.from({ length: 30 }, (_, i): [string, number] => [['a', 'b', 'c', 'd'][i < 4 ? i : int(0, 4)], i]);
const approx = {
  sums: alike(sumPart, Array.from({ length: 600 }, () => int(-500, 900))),
  means: alike(meanPart, Array.from({ length: 40 }, () => int(-100, 300))),
  pairs: alike(pairPart, Array.from({ length: 120 }, (_, i): [string, number] => [['a', 'e', 'c'][int(0, 3)], i])),
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-spark-gaps-'));
const inputFile = path.join(tmp, 'inputs.json');
// pipe's streaming: a text file of 100,000 numbered lines (about 8 MB), larger than stdin's buffers by far.
const bigLines = 100_000;
const big = path.join(tmp, 'big.txt');
const bigLine = (i: number): string => `line ${i} ${'x'.repeat(60 + (i % 17))}`;
fs.writeFileSync(big, Array.from({ length: bigLines }, (_, i) => bigLine(i) + '\n').join(''));
fs.writeFileSync(inputFile, JSON.stringify({ nums, ranges, words, dir: tmp, mixed, keyed, strata, big, bigLines, approx }));

const reported = new ReportedOutcomes();
const got = <T>(name: string): T => reported.got<T>(name);
const failed = (name: string): { error: string; code: string | null } => reported.failed(name);

/** Each job (action) the driver started, by id: its name (the DAG scheduler's listener). */
const jobsStarted = new Map<number, string>();

before(async () => {
  await withCluster({ workers: 2 }, async (h) => {
    // The stages of each job, as files the fixture lists (as a user reads the status pages).
    fs.mkdirSync(path.join(tmp, 'stages'));
    h.cluster.driver.dag.addListener({
      onJobStart: (e) => jobsStarted.set(e.jobId, e.name),
      onStageSubmitted: (e) => fs.writeFileSync(path.join(tmp, 'stages', `${e.jobId}-${e.stageId}-${e.kind}`), ''),
    });
    reported.read(await h.run(fixture('rdd-spark-gaps.ts'), [inputFile]));
  });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `file:line:column` of the fixture line holding `marker`, as a shipped function's call site names it (the column is not checked). */
function siteOf(marker: string): RegExp {
  const file = fixture('rdd-spark-gaps.ts');
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
  assert.ok(line > 0, marker);
  return new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+$`);
}

test('toDebugString: the lineage an RDD a line, a shuffle one level in behind +-(n), storage levels, as Spark draws it', () => {
  const r = got<{ ids: Record<string, number>; before: string; after: string; single: string; named: string }>('toDebugString');
  const { ids } = r;
  const lines = r.before.split('\n');
  // Each RDD's creation site, as Spark's: the program's call that made it (union, reduceByKey, map,
  // parallelize), on the fixture line holding the marker. Since 2026-12-05 for those without a function.
  const site = (l: string, marker: string): string => {
    const m = / at \S+ at (\S+)( \[.*)?$/.exec(l);
    assert.ok(m, l);
    assert.match(m[1], siteOf(marker));
    return l.replace(` at ${m[1]}`, ' at SITE');
  };
  assert.equal(lines.length, 5, r.before);
  assert.equal(site(lines[0], '// debug: union'), `(4) UnionRDD[${ids.both}] at union at SITE []`);
  assert.equal(site(lines[1], '// debug: reduceByKey'), ` |  ShuffledRDD[${ids.reduced}] at reduceByKey at SITE []`);
  assert.equal(site(lines[2], '// debug: map'), ` +-(2) MapPartitionsRDD[${ids.keyed}] at map at SITE [MEMORY_ONLY]`);
  assert.equal(site(lines[3], '// debug: parallelize'), `    |  ParallelCollectionRDD[${ids.base}] at parallelize at SITE []`);
  assert.equal(site(lines[4], '// debug: extra'), ` |  extra ParallelCollectionRDD[${ids.extra}] at parallelize at SITE []`);
  assert.equal(r.after, r.before, 'running a job changes nothing in it');
  assert.equal(site(r.single, '// debug: parallelize'), `(2) ParallelCollectionRDD[${ids.base}] at parallelize at SITE []`);
  // RDD.toString as Spark's: no storage level (toDebugString's lines add it).
  assert.equal(site(r.named, '// debug: extra'), `extra ParallelCollectionRDD[${ids.extra}] at parallelize at SITE`);
});

/** The partition a range partitioner with these sorted upper bounds gives `k` (the first bound >= k; reversed when descending). */
function rangePartition(bounds: readonly number[], n: number, ascending: boolean, k: number): number {
  let i = 0;
  while (i < bounds.length && bounds[i] < k) i++;
  i = Math.min(i, n - 1);
  return ascending ? i : n - 1 - i;
}

test('filterByRange: the pairs with lower <= key <= upper in the sort order, reading only the partitions whose range can hold them', () => {
  for (const ascending of [true, false]) {
    const r = got<{
      out: { rows: [number, number][]; scanned: number[]; partitions: number }[];
      late: { rows: [number, number][]; scanned: number[]; partitions: number; parts: [number, number][][]; partitioner: string | null; debug: string }[];
      chained: { rows: [number, number][]; partitions: number }[];
      lazy: { rows: [number, number][]; partitions: number; sizes: number[] }[];
      bounds: number[];
      parts: [number, number][][];
    }>(`filterByRange.${ascending ? 'asc' : 'desc'}`);
    assert.equal(r.parts.length, 6);
    assert.ok(r.bounds.length >= 3, `bounds ${JSON.stringify(r.bounds)}`);
    // The bounds place the sorted partitions as the test's own range partition function does.
    r.parts.forEach((part, i) => part.forEach(([k]) => assert.equal(rangePartition(r.bounds, 6, ascending, k), i, `key ${k} in partition ${i}`)));
    ranges.forEach(([lo, hi], j) => {
      const { rows, scanned, partitions } = r.out[j];
      const want = nums.filter((k) => k >= lo && k <= hi).sort((a, b) => (ascending ? a - b : b - a));
      assert.deepEqual(rows.map(([k]) => k), want, `[${lo}, ${hi}] ${ascending ? 'ascending' : 'descending'}`);
      assert.ok(rows.every(([k, v]) => v === k * 2));
      const [a, b] = [rangePartition(r.bounds, 6, ascending, lo), rangePartition(r.bounds, 6, ascending, hi)];
      const expected = Array.from({ length: Math.max(a, b) - Math.min(a, b) + 1 }, (_, i) => Math.min(a, b) + i);
      // sortByKey sampled its bounds when called (as Spark's): a filter made before any action holds only the partitions that can hold the range.
      assert.equal(partitions, expected.length, `[${lo}, ${hi}]: partitions of a filter made right after sortByKey`);
      assert.deepEqual([...scanned].sort((x, y) => x - y), expected, `[${lo}, ${hi}]: partitions read`);
      // sortByKey().filterByRange() straight: as many or fewer partitions (a sort of its own, its own sample), the same rows in order.
      const c = r.chained[j];
      assert.deepEqual(c.rows, rows, `[${lo}, ${hi}] chained`);
      assert.ok(c.partitions >= 1 && c.partitions <= 6, `[${lo}, ${hi}] chained: ${c.partitions}`);
      // Bounds sampled at the first job (the lineage has sampleByKeyExact's count first): 6 partitions kept, the rows the same.
      const z = r.lazy[j];
      assert.equal(z.partitions, 6, `[${lo}, ${hi}] lazy`);
      assert.deepEqual(z.rows, rows, `[${lo}, ${hi}] lazy`);
      assert.equal(z.sizes.reduce((x, y) => x + y, 0), rows.length);
    });
    // A point range fits one partition: pruned to 1 before any action; a narrow one to fewer than 6.
    assert.equal(r.chained[2].partitions, 1, JSON.stringify(r.chained.map((c) => c.partitions)));
    assert.ok(r.chained[1].partitions < 6 && r.chained[3].partitions === 6, JSON.stringify(r.chained.map((c) => c.partitions)));
    // The lazy filters left partitions empty rather than dropping them: fewer non-empty ones for a point range.
    assert.ok(r.lazy[2].sizes.filter((n) => n > 0).length <= 1, JSON.stringify(r.lazy[2].sizes));
    // The narrow ranges read fewer partitions than there are.
    assert.ok(r.out[1].scanned.length < 6 && r.out[2].scanned.length === 1, JSON.stringify(r.out.map((o) => o.scanned)));
    // Made once the bounds were known: the same rows and partitions read, and only those
    // partitions, renumbered from 0 in order (each the sorted partition's pairs in the range), no partitioner.
    ranges.forEach(([lo, hi], j) => {
      const l = r.late[j];
      const where = `[${lo}, ${hi}] ${ascending ? 'ascending' : 'descending'}, made late`;
      assert.deepEqual(l.rows, r.out[j].rows, where);
      assert.deepEqual([...l.scanned].sort((x, y) => x - y), [...r.out[j].scanned].sort((x, y) => x - y), where);
      const [a, b] = [rangePartition(r.bounds, 6, ascending, lo), rangePartition(r.bounds, 6, ascending, hi)];
      const from = Math.min(a, b);
      const kept = Math.max(a, b) - from + 1;
      assert.equal(l.partitions, kept, where);
      assert.deepEqual(
        l.parts,
        Array.from({ length: kept }, (_, i) => r.parts[from + i].filter(([k]) => k >= lo && k <= hi)),
        where,
      );
      assert.equal(l.partitioner, null, where);
      assert.match(l.debug, new RegExp(`^\\(${kept}\\) MapPartitionsRDD\\[\\d+\\] at filterByRange`), `${where}:\n${l.debug}`);
      assert.match(l.debug, /\n \|  PartitionPruningRDD\[\d+\] at filterByRange at \S+ \[\]\n \|  MapPartitionsRDD\[\d+\] at mapPartitionsWithIndex/, `${where}:\n${l.debug}`);
    });
    assert.ok(r.late.some((l) => l.partitions === 1) && r.late.some((l) => l.partitions === 6), JSON.stringify(r.late.map((l) => l.partitions)));
  }
  // Not range-partitioned: every partition is read and filtered, the order kept.
  const u = got<{ rows: [number, number][]; scanned: number[] }>('filterByRange.unpartitioned');
  assert.deepEqual(u.rows.map(([k]) => k), nums.filter((k) => k >= ranges[0][0] && k <= ranges[0][1]));
  assert.deepEqual([...u.scanned].sort(), [0, 1, 2]);
  assert.deepEqual(got('filterByRange.empty'), []);
  assert.deepEqual(got('filterByRange.emptyRange'), []);
  const bad = reported.get('filterByRange.badBound');
  assert.ok(bad && !bad.ok && bad.code === 'SLUICE_BAD_ARGUMENT' && /filterByRange: the lower bound is undefined/.test(bad.error), JSON.stringify(bad));
});

test('sortByKey samples its bounds when called, as Spark\'s: an action running meanwhile still ends right, a failing sample throws from sortByKey', () => {
  const r = got<{ running: number[]; boundsKnown: boolean; sorted: number[]; made: boolean; threw: string; addedBySample: number }>('sortByKey.eager');
  assert.equal(r.addedBySample, nums.length, 'the sampling job computed every element once, its accumulator updates applied');
  assert.deepEqual(r.running, nums.map((x) => x + 1));
  assert.equal(r.boundsKnown, true);
  assert.deepEqual(r.sorted, [...nums].sort((a, b) => a - b));
  assert.equal(r.made, false);
  assert.match(r.threw, /bad key 2/);
});

test('countApprox: by the timeout, the partitions counted give an estimate with bounds (Spark\'s CountEvaluator); the exact count once the job ends; bad arguments refused', () => {
  type Bounded = { mean: number; confidence: number; low: number; high: number };
  const r = got<{ initial: Bounded; isFinal: boolean; final: Bounded; fast: Bounded; fastIsFinal: boolean; fastFinal: Bounded }>('countApprox');
  assert.equal(r.isFinal, false, 'partitions 4-7 were held past the timeout');
  // k of 8 equal partitions (2,500 each) counted, k in 1..4: the mean is 20,000 whatever k; the
  // rest's 90% Poisson interval about its mean lambda = 2,500 (8 - k) is within a few units of the normal one.
  assert.ok(Math.abs(r.initial.mean - 20_000) < 1e-6, JSON.stringify(r.initial));
  assert.equal(r.initial.confidence, 0.9);
  const k = [1, 2, 3, 4].find((j) => Math.abs(r.initial.low - (2500 * j + 2500 * (8 - j) - 1.6449 * Math.sqrt(2500 * (8 - j)))) < 3);
  assert.ok(k !== undefined, `low ${r.initial.low} fits no k of 1..4`);
  const lambda = 2500 * (8 - k);
  assert.ok(Math.abs(r.initial.high - (2500 * k + lambda + 1.6449 * Math.sqrt(lambda))) < 3, JSON.stringify(r.initial));
  assert.ok(Number.isInteger(r.initial.low) && Number.isInteger(r.initial.high));
  assert.deepEqual(r.final, { mean: 20_000, confidence: 1, low: 20_000, high: 20_000 });
  // A job that ends before the timeout: the exact count at once.
  assert.equal(r.fastIsFinal, true);
  assert.deepEqual(r.fast, { mean: 777, confidence: 1, low: 777, high: 777 });
  assert.deepEqual(r.fastFinal, r.fast);
  for (const [name, re] of [['countApprox.badTimeout', /timeoutMs must be a finite number of milliseconds .*got soon/], ['countApprox.badConfidence', /confidence \(1\.5\) must be in \[0,1\]/]] as const) {
    const e = failed(name);
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT', name);
    assert.match(e.error, re, name);
  }
});

type Bounded = { mean: number; confidence: number; low: number; high: number };
type Approx<R> = { initial: R; isFinal: boolean; final: R };
const Z95 = 1.6448536269514722; // the normal quantile at 0.95

/** Count, sum, mean and sample variance of `xs` in two passes. */
function moments(xs: readonly number[]): { n: number; sum: number; mean: number; sampleVar: number } {
  const n = xs.length;
  const sum = xs.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  return { n, sum, mean, sampleVar: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) };
}

/** P(T <= t), T Student's t with a whole df: 1/2 plus its density integrated from 0 (Simpson, 4,000 steps); then the quantile by bisection. */
function tQuantile(q: number, df: number): number {
  const gammaHalf = (n: number): number => {
    let g = n % 2 === 1 ? Math.sqrt(Math.PI) : 1;
    for (let x = n % 2 === 1 ? 0.5 : 1; x < n / 2; x++) g *= x;
    return g;
  };
  const c = gammaHalf(df + 1) / (Math.sqrt(df * Math.PI) * gammaHalf(df));
  const f = (x: number): number => c * Math.pow(1 + (x * x) / df, -(df + 1) / 2);
  const cdf = (t: number): number => {
    const h = t / 4000;
    let s = f(0) + f(t);
    for (let i = 1; i < 4000; i++) s += (i % 2 === 1 ? 4 : 2) * f(i * h);
    return 0.5 + (s * h) / 3;
  };
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The smallest k with P(X <= k) >= q, X Poisson(lambda), its terms summed. */
function poissonQuantile(lambda: number, q: number): number {
  let term = Math.exp(-lambda);
  let cdf = term;
  let k = 0;
  while (cdf < q) {
    k++;
    term *= lambda / k;
    cdf += term;
  }
  return k;
}

const near = (a: number, b: number, rel: number): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

/** Which k of partitions 0-3 (alike) fits `fits`: exactly one must. */
function countedOf(fits: (k: number) => boolean, what: string): number {
  const ks = [1, 2, 3, 4].filter(fits);
  assert.equal(ks.length, 1, `${what}: the initial value fits k = ${JSON.stringify(ks)} of the partitions 0-3 counted`);
  return ks[0];
}

test("sumApprox: by the timeout, the partitions summed stand for the rest with Spark's SumEvaluator interval (normal past 100 elements); the exact sum once the job ends; bad arguments refused", () => {
  const { held, fast } = got<{ held: Approx<Bounded>; fast: Approx<Bounded> }>('sumApprox');
  const total = approx.sums.reduce((a, b) => a + b, 0);
  assert.equal(held.isFinal, false, 'partitions 4-7 were held past the timeout');
  assert.equal(held.initial.confidence, 0.9);
  // k copies of partition 0 summed (150 k elements): the estimate sum + mean * 150 k (1 - p) / p, p = k / 8 (8 x its sum whatever k).
  const bound = (k: number): { mean: number; low: number; high: number } => {
    const { n, sum, mean, sampleVar } = moments(Array.from({ length: k }, () => sumPart).flat());
    const p = k / 8;
    const rest = (n * (1 - p)) / p;
    const countVar = (n * (1 - p)) / (p * p);
    const meanVar = sampleVar / n;
    const sd = Math.sqrt(mean * mean * countVar + rest * rest * meanVar + meanVar * countVar);
    return { mean: sum + mean * rest, low: sum + mean * rest - Z95 * sd, high: sum + mean * rest + Z95 * sd };
  };
  const k = countedOf((j) => near(held.initial.low, bound(j).low, 1e-6), `low ${held.initial.low}`);
  const want = bound(k);
  assert.ok(near(held.initial.mean, want.mean, 1e-9) && near(held.initial.mean, 8 * moments(sumPart).sum, 1e-9), JSON.stringify({ got: held.initial, want }));
  assert.ok(near(held.initial.high, want.high, 1e-6), JSON.stringify({ got: held.initial, want }));
  // Exact as Spark's StatCounter.sum is: count x mean (the last digits may differ from the sum's).
  for (const [r, what] of [[held.final, 'final'], [fast.initial, 'fast']] as const) {
    assert.ok(near(r.mean, total, 1e-12) && r.confidence === 1 && r.low === r.mean && r.high === r.mean, `${what}: ${JSON.stringify(r)} against ${total}`);
  }
  assert.equal(fast.isFinal, true);
  assert.deepEqual(fast.final, fast.initial);
  const e = failed('sumApprox.badTimeout');
  assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(e.error, /rdd\.sumApprox: timeoutMs must be a finite number of milliseconds .*got NaN/);
});

test("meanApprox: by the timeout, the mean of the elements counted with Student's t interval (up to 100 elements), as Spark's MeanEvaluator; the exact mean once the job ends", () => {
  const { held, fast } = got<{ held: Approx<Bounded>; fast: Approx<Bounded> }>('meanApprox');
  const exact = moments(approx.means).mean;
  assert.equal(held.isFinal, false);
  assert.equal(held.initial.confidence, 0.95);
  const bound = (k: number): { low: number; high: number } => {
    const { n, mean, sampleVar } = moments(Array.from({ length: k }, () => meanPart).flat());
    const half = tQuantile(0.975, n - 1) * Math.sqrt(sampleVar / n);
    return { low: mean - half, high: mean + half };
  };
  const k = countedOf((j) => near(held.initial.low, bound(j).low, 1e-6), `low ${held.initial.low}`);
  assert.ok(near(held.initial.mean, moments(meanPart).mean, 1e-9), JSON.stringify(held.initial));
  assert.ok(near(held.initial.high, bound(k).high, 1e-6), JSON.stringify({ got: held.initial, want: bound(k) }));
  assert.ok(near(held.final.mean, exact, 1e-12), `${held.final.mean} against ${exact}`);
  assert.deepEqual(held.final, { mean: held.final.mean, confidence: 1, low: held.final.mean, high: held.final.mean });
  assert.equal(fast.isFinal, true);
  assert.ok(near(fast.initial.mean, exact, 1e-12));
  const e = failed('meanApprox.badConfidence');
  assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(e.error, /rdd\.meanApprox: confidence \(-0\.1\) must be in \[0,1\]/);
});

test("countByKeyApprox / countByValueApprox: each key's count in the partitions counted, bounded as a count (Spark's GroupedCountEvaluator: the rest Poisson), a key seen only later absent; exact once the job ends", () => {
  const { held, fast } = got<{ held: Approx<[string, Bounded][]>; fast: Approx<[unknown, Bounded][]> }>('countByKeyApprox');
  const countsOf = <K>(xs: readonly K[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(JSON.stringify(x), (m.get(JSON.stringify(x)) ?? 0) + 1);
    return m;
  };
  const exactOf = (xs: readonly unknown[]): Map<string, Bounded> => new Map([...countsOf(xs)].map(([k, n]) => [k, { mean: n, confidence: 1, low: n, high: n }]));
  const asMap = <K>(es: [K, Bounded][]): Map<string, Bounded> => new Map(es.map(([k, b]) => [JSON.stringify(k), b]));
  assert.equal(held.isFinal, false);
  const inPart = countsOf(pairPart.map(([k]) => k));
  // k of partitions 0-3 counted: key c seen c_p k times, the rest Poisson(c_p k (1 - p) / p) = Poisson(c_p (8 - k)).
  const bounds = (k: number): Map<string, Bounded> => new Map([...inPart].map(([key, c]) => [key, { mean: c * 8, confidence: 0.8, low: c * k + poissonQuantile(c * (8 - k), 0.1), high: c * k + poissonQuantile(c * (8 - k), 0.9) }]));
  const initial = asMap(held.initial);
  const k = countedOf((j) => JSON.stringify([...bounds(j)].sort()) === JSON.stringify([...initial].sort()), JSON.stringify(held.initial));
  assert.ok(k >= 1 && !initial.has('"e"'), "key e is only in the held partitions");
  assert.deepEqual(asMap(held.final), exactOf(approx.pairs.map(([key]) => key)));
  assert.equal(fast.isFinal, true);
  assert.deepEqual(asMap(fast.initial), exactOf(mixed), 'countByValueApprox of 30,000 numbers, strings and tuples, by value');
  assert.deepEqual(asMap(fast.final), asMap(fast.initial));
  for (const [name, re] of [['countByValueApprox.badConfidence', /rdd\.countByValueApprox: confidence \(2\.0\) must be in \[0,1\]/], ['countByKeyApprox.badTimeout', /rdd\.countByKeyApprox: timeoutMs must be a finite number of milliseconds .*got Infinity/]] as const) {
    const e = failed(name);
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT', name);
    assert.match(e.error, re, name);
  }
});

test("AsyncRDDActions: collectAsync, countAsync, takeAsync, foreachAsync, foreachPartitionAsync give the plain actions' results; cancel() kills the job's tasks (the map stage's too) and rejects with SLUICE_CANCELLED; sc.cancelJobGroup and cancelAllJobs", () => {
  type Cancelled = { error: string; code: string | null; cancelled: boolean; completed: boolean; started: number };
  const r = got<{ collect: number[]; count: number; take: number[]; takeAll: number[]; foreachSum: number; foreachPartitionCount: number; narrow: Cancelled; shuffled: Cancelled; next: number; early: { code: string | null; cancelled: boolean }; done: { value: number; cancelled: boolean; completed: boolean }; groups: Record<string, unknown>; ended: string[] }>('asyncActions');
  assert.deepEqual(r.collect, nums);
  assert.equal(r.count, nums.length);
  assert.deepEqual(r.take, nums.slice(0, 7));
  assert.deepEqual(r.takeAll, nums);
  assert.equal(r.foreachSum, nums.reduce((a, b) => a + b, 0));
  assert.equal(r.foreachPartitionCount, nums.length);
  for (const [name, c] of [['narrow', r.narrow], ['shuffled', r.shuffled]] as const) {
    assert.equal(c.code, 'SLUICE_CANCELLED', `${name}: ${c.error}`);
    assert.match(c.error, /action \d+ of job \S+ was cancelled/, name);
    assert.equal(c.cancelled, true, name);
    assert.equal(c.completed, true, name);
    // Two cores: two tasks started and held them; once killed, the next two may have started too.
    assert.ok(c.started >= 2 && c.started <= 4, `${name}: ${c.started} tasks started`);
  }
  // The next job ran on the cores the killed tasks held, before any of them got past its 60 s wait.
  assert.equal(r.next, 1000);
  assert.deepEqual(r.ended, [], 'no cancelled task ran to its end');
  assert.deepEqual(r.early, { code: 'SLUICE_CANCELLED', cancelled: true });
  assert.deepEqual(r.done, { value: 10, cancelled: false, completed: true }, 'cancel() after the end changes nothing');
  // setJobGroup / cancelJobGroup / cancelAllJobs: g1's action cancelled alone, g2's (queued behind it) by cancelAllJobs.
  assert.deepEqual(r.groups, { groupCancelled: 1, g1Code: 'SLUICE_CANCELLED', g2EndedWithG1: false, allCancelled: 1, g2Code: 'SLUICE_CANCELLED', after: 10, none: 0 });
});

test("sc.cancelJob(jobId) and sc.cancelStage(stageId) kill a running job's tasks and fail it with SLUICE_CANCELLED naming the job, the stage and the reason; FutureAction.jobIds are the driver's job ids; bad ids are SLUICE_BAD_ARGUMENT", () => {
  type Outcome = { code: string | null; error: string };
  const r = got<{ before: number[]; collectIds: number[]; takeIds: number[]; heldIds: number[]; byJob: Outcome & { futureCancelled: boolean }; shuffledIds: number[]; stages: string[]; mapStage: number; byStage: Outcome; after: number; ended: string[] }>('cancelJobStage');
  // jobIds: none before the job started; collectAsync one job, takeAsync(1000) over 4 partitions two (1, then 3 partitions).
  assert.deepEqual(r.before, []);
  assert.equal(r.collectIds.length, 1);
  assert.equal(r.takeIds.length, 2);
  assert.ok(r.takeIds[0] < r.takeIds[1], JSON.stringify(r.takeIds));
  // Each job named as Spark's, by its action's call site: the async action called and the fixture's line.
  const FILE = fixture('rdd-spark-gaps.ts');
  for (const [ids, action, text] of [
    [r.collectIds, 'collectAsync', 'const collected = data.collectAsync();'],
    [r.takeIds, 'takeAsync', 'const taken = data.takeAsync(1000);'],
    [r.heldIds, 'countAsync', "const held = sc.range(0, 100, 1, 4).mapPartitionsWithIndex(hung('byjob')).countAsync();"],
    [r.shuffledIds, 'collectAsync', "const shuffled = sc.range(0, 100, 1, 4).mapPartitionsWithIndex(hung('bystage'))"],
  ] as const) {
    assert.equal(ids.length, 1 + Number(action === 'takeAsync'));
    for (const id of ids) assert.match(jobsStarted.get(id) ?? '', siteAt(action, FILE, text), `job ${id} as the driver started it`);
  }
  // cancelJob: the held count, by its id, with the reason; the future was not cancel()led itself (Spark's isCancelled).
  assert.equal(r.byJob.code, 'SLUICE_CANCELLED', r.byJob.error);
  assert.match(r.byJob.error, new RegExp(`^action ${r.heldIds[0]} of job \\S+ was cancelled: the test asked$`));
  assert.equal(r.byJob.futureCancelled, false);
  // cancelStage: the held reduceByKey's map stage (its result stage not submitted while the map stage runs).
  assert.ok(Number.isInteger(r.mapStage), JSON.stringify(r.stages));
  assert.deepEqual(r.stages, [`${r.shuffledIds[0]}-${r.mapStage}-shuffleMap`]);
  assert.equal(r.byStage.code, 'SLUICE_CANCELLED', r.byStage.error);
  assert.match(r.byStage.error, new RegExp(`^action ${r.shuffledIds[0]} of job \\S+ was cancelled because stage ${r.mapStage} was cancelled$`));
  // The held tasks were killed: the next job ran on their cores, none ran to its end.
  assert.equal(r.after, 10);
  assert.deepEqual(r.ended, [], 'no cancelled task ran to its end');
  assert.equal(failed('cancelJob.badId').code, 'SLUICE_BAD_ARGUMENT');
  assert.match(failed('cancelJob.badId').error, /sc\.cancelJob: the job id must be a non-negative integer .*got -1/);
  assert.equal(failed('cancelStage.badId').code, 'SLUICE_BAD_ARGUMENT');
  assert.match(failed('cancelStage.badId').error, /sc\.cancelStage: the stage id must be a non-negative integer .*got 1\.5/);
});

/** How parallelize slices n elements into p partitions. */
const slices = <T>(xs: readonly T[], p: number): T[][] => Array.from({ length: p }, (_, i) => xs.slice(Math.floor((i * xs.length) / p), Math.floor(((i + 1) * xs.length) / p)));
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

test("pipe: a command that never reads its input is killed with its task's thread when the job ends under it, as Spark's PipedRDD destroys its process", async () => {
  const commands = got<[number, string][]>('pipe.leftRunning');
  assert.ok(commands.length >= 1, 'the command started');
  assert.ok(commands.every(([, start]) => start !== ''), `each command's start time read while it ran: ${JSON.stringify(commands)}`);
  // Gone, a zombie not yet reaped by the worker, or its pid given to another process since
  // (its start time differs): not running `sleep 300` any more.
  const running = ([pid, start]: [number, string]): boolean => stillRunning(pid, start);
  // The check tells a process from another with its pid: this one's start time, and another.
  assert.equal(stillRunning(process.pid, processStartTime(process.pid)!), true);
  assert.equal(stillRunning(process.pid, String(Number(processStartTime(process.pid)) + 1)), false, 'a pid reused by a later process is not the command');
  try {
    await pollUntil(() => (commands.some(running) ? undefined : true), 30_000, `the pipe's commands (pids ${commands.map(([pid]) => pid).join(', ')}) to be killed`);
  } finally {
    for (const c of commands) if (running(c)) process.kill(c[0], 'SIGKILL');
  }
});

test('pipe: the command starts before its partition is computed and reads it as it comes; a text file waits while stdin is full; head and a failing parent', () => {
  const r = got<{ startedSeen: boolean; held: number; out: string[] }>('pipe.backpressure');
  assert.ok(r.startedSeen, 'the command read its first line while the partition was being computed');
  // Stdin's pipe and buffer, and one 1 MiB read of the file ahead, hold well under half the file.
  assert.ok(r.held >= 0 && r.held < bigLines / 2, `the partition got to line ${r.held} of ${bigLines} while the command was not reading`);
  assert.deepEqual(r.out, [bigLine(0), String(bigLines - 1)]);
  assert.deepEqual(got('pipe.head'), ['0', '150000']);
  assert.deepEqual(got('pipe.headFile'), [bigLine(0), bigLine(1)]);
  const bad = failed('pipe.parentThrows');
  assert.match(bad.error, /bad record 50000/);
});

test('pipe: each partition through the command, its stdout lines the new partition; env, cwd, empty partitions, early stop', () => {
  // sort in the C locale: byte order, partition by partition.
  assert.deepEqual(got('pipe.sort'), slices(words, 3).map((p) => [...p].sort(byteOrder)));
  // The command runs for an empty partition too (it prints its first line).
  assert.deepEqual(got('pipe.env'), slices([1, 2, 3, 4, 5], 4).map((p) => ['start hi there', ...p.map(String)]));
  // \r\n and \n end lines; an empty line is a record; a last line without \n is one.
  assert.deepEqual(got('pipe.lineEnds'), ['a', 'b', '', 'c']);
  assert.deepEqual(got('pipe.cwd'), [fs.realpathSync(tmp)]);
  assert.deepEqual(got('pipe.take'), ['0', '1', '2']);
  const printed = slices([1, 2, 3, 4], 2).map((p) => ['ctx start', ...p.flatMap((x) => (x % 2 === 0 ? [`${x}a`, `${x}b`] : [`${x}a`]))]);
  assert.deepEqual(got('pipe.printers'), printed);
  const thrown = failed('pipe.printerThrows');
  assert.equal(thrown.code, 'SLUICE_TASK_FAILED', thrown.error);
  assert.match(thrown.error, /no printing 1/);
});

test('pipe: a command that exits non-zero or cannot start fails the job naming it; a blank command is refused', () => {
  const status = failed('pipe.status');
  assert.equal(status.code, 'SLUICE_TASK_FAILED', status.error);
  assert.match(status.error, /rdd\.pipe\('sh -c cat >\/dev\/null; echo "boom on \$0" >&2; exit 3'\) on partition \d: the command exited with status 3; its stderr ended: boom on sh/);
  const missing = failed('pipe.missing');
  assert.equal(missing.code, 'SLUICE_TASK_FAILED', missing.error);
  assert.match(missing.error, /rdd\.pipe\('sluice-no-such-command --flag'\) on partition \d: cannot run it: command 'sluice-no-such-command' not found/);
  const empty = failed('pipe.empty');
  assert.equal(empty.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(empty.error, /rdd\.pipe: the command must be a non-empty string/);
});

test('countApproxDistinct and countApproxDistinctByKey: within the relative error Spark aims for, on known sets; bad precisions refused', () => {
  const err = (est: number, n: number): number => Math.abs(est - n) / n;
  const exact = new Set(mixed.map((x) => JSON.stringify(x))).size;
  assert.ok(exact > 5000 && exact <= 6000, String(exact));
  // 2^p registers give a relative standard error of about 1.04 / sqrt(2^p); allowed: 3 of them.
  const sd = (p: number): number => 1.04 / Math.sqrt(2 ** p);
  for (const [name, p] of [['approx.default', 9], ['approx.0.01', 14], ['approx.p16', 16], ['approx.p16.sp20', 16]] as const) {
    const est = got<number>(name);
    assert.ok(Number.isInteger(est), `${name}: ${est}`);
    assert.ok(err(est, exact) < 3 * sd(p), `${name}: ${est} for ${exact} distinct (error ${err(est, exact).toFixed(4)}, allowed ${(3 * sd(p)).toFixed(4)})`);
  }
  assert.equal(got('approx.empty'), 0);
  assert.equal(got('approx.least'), 'ok');
  for (const [name, re] of [
    ['zero', /relativeSD must be a number greater than 0.000017, got 0/],
    ['tiny', /relativeSD must be a number greater than 0.000017, got 0.000017/],
    ['tooPrecise', /relativeSD 0.0001 needs 27 bits of precision .* the most is 24: give a relativeSD of at least 0.000258/],
    ['p3', /p must be a whole number in \[4, 24\], got 3/],
    ['sp', /sp must be 0 or a whole number in \[p, 32\] \(p is 10\), got 5/],
    ['byKeyZero', /countApproxDistinctByKey: relativeSD must be a number greater than 0.000017, got -1/],
  ] as const) {
    const f = failed(`approx.bad.${name}`);
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT', `${name}: ${f.error}`);
    assert.match(f.error, re);
  }
  const distinctByKey = new Map<string, Set<number>>();
  for (const [k, v] of keyed) (distinctByKey.get(k) ?? distinctByKey.set(k, new Set()).get(k)!).add(v);
  const byKey = got<{ rows: [string, number][]; partitions: number }>('approxByKey.0.02');
  assert.equal(byKey.partitions, 3);
  assert.deepEqual(byKey.rows.map(([k]) => k).sort(), [...distinctByKey.keys()].sort());
  for (const [k, est] of byKey.rows) {
    const n = distinctByKey.get(k)!.size;
    // p = 12 (relativeSD 0.02); a handful of values is counted exactly.
    assert.ok(n < 100 ? est === n : err(est, n) < 3 * sd(12), `${k}: ${est} for ${n}`);
  }
  // p = 20: about 0.1%, as Spark's own test of this form checks (error under 1%).
  for (const [k, est] of got<[string, number][]>('approxByKey.p20')) assert.ok(err(est, distinctByKey.get(k)!.size) < 0.01, `${k}: ${est} for ${distinctByKey.get(k)!.size}`);
  for (const [k, est] of got<[string, number][]>('approxByKey.default')) assert.ok(err(est, distinctByKey.get(k)!.size) < 3 * sd(9), `${k}: ${est}`);
});

test('sampleByKeyExact: exactly ceil(count * fraction) of each key, a uniform choice, with and without replacement; repeatable by seed', () => {
  const countOf = (ps: readonly [unknown, number][]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const [k] of ps) m.set(JSON.stringify(k), (m.get(JSON.stringify(k)) ?? 0) + 1);
    return m;
  };
  const input = countOf(strata);
  const inputPairs = new Map(strata.map(([k, v]) => [v, JSON.stringify(k)]));
  const check = (sample: [unknown, number][], fractions: Record<string, number>, withReplacement: boolean, label: string): void => {
    const got = countOf(sample);
    for (const [k, n] of input) assert.equal(got.get(k) ?? 0, Math.ceil(n * fractions[k]), `${label}: key ${k} of ${n} pairs at ${fractions[k]}`);
    // Every sampled pair is one of the input's; without replacement, none twice.
    for (const [k, v] of sample) assert.equal(inputPairs.get(v), JSON.stringify(k), `${label}: ${JSON.stringify([k, v])} is not an input pair`);
    if (!withReplacement) assert.equal(new Set(sample.map(([, v]) => v)).size, sample.length, `${label}: a pair taken twice`);
  };
  const without = { '"a"': 0, '"b"': 1, '"c"': 0.5, '"d"': 0.33, '"e"': 0.1, '["t",1]': 0.5 };
  const w = got<{ a: [unknown, number][]; b: [unknown, number][]; c: [unknown, number][] }>('exact.without');
  check(w.a, without, false, 'without replacement');
  check(w.c, without, false, 'without replacement, seed 8');
  assert.deepEqual(w.b, w.a, 'same seed, same sample');
  assert.notDeepEqual(w.c, w.a, 'another seed, another sample');
  const withR = { '"a"': 0, '"b"': 2, '"c"': 1.5, '"d"': 0.3, '"e"': 1, '["t",1]': 3 };
  const r = got<{ a: [unknown, number][]; b: [unknown, number][] }>('exact.with');
  check(r.a, withR, true, 'with replacement');
  assert.deepEqual(r.b, r.a);
  assert.ok(new Set(r.a.map(([, v]) => v)).size < r.a.length, 'with replacement some pair is drawn twice');
  // 12 samples of half of 40 values: every value is chosen sometimes, none always (a prefix, or one partition's, would be).
  const picks = got<number[][]>('exact.spread');
  const times = new Array<number>(40).fill(0);
  for (const p of picks) {
    assert.equal(p.length, 20);
    for (const v of p) times[v]++;
  }
  assert.ok(times.every((t) => t > 0 && t < 12), JSON.stringify(times));
  assert.deepEqual(got('exact.empty'), []);
  const missing = failed('exact.missing');
  assert.equal(missing.code, 'SLUICE_BAD_ARGUMENT', missing.error);
  assert.match(missing.error, /rdd\.sampleByKeyExact: no sampling fraction for key "[b-e]"; give one for every key/);
  const bad = failed('exact.bad');
  assert.equal(bad.code, 'SLUICE_BAD_ARGUMENT');
  assert.match(bad.error, /a fraction must be a finite number >= 0 .* got -0.5 for key "a"/);
});
