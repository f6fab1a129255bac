// sumApprox, meanApprox and countByValueApprox's evaluators (Spark's SumEvaluator, MeanEvaluator,
// GroupedCountEvaluator) and Student's t quantile, against figures computed here another way:
// the t density integrated by Simpson's rule, means and variances in two passes over plain arrays,
// Poisson quantiles summed term by term.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupedCountEvaluator, MeanEvaluator, SumEvaluator } from '../../src/rdd/approximate-evaluators.js';
import { BoundedDouble } from '../../src/rdd/partial-result.js';
import { addStatValue, type StatState } from '../../src/rdd/stat-counter.js';
import { studentTQuantile } from '../../src/rdd/student-t.js';
import { poissonQuantileBySum } from './poisson-by-sum.js';

const Z95 = 1.6448536269514722; // the normal quantile at 0.95
const Z975 = 1.959963984540054; // at 0.975

/** Γ(n / 2) for a whole n >= 1, by Γ(1/2) = sqrt(pi), Γ(1) = 1, Γ(x + 1) = x Γ(x). */
function gammaHalf(n: number): number {
  let g = n % 2 === 1 ? Math.sqrt(Math.PI) : 1;
  for (let x = n % 2 === 1 ? 0.5 : 1; x < n / 2; x++) g *= x;
  return g;
}

/** P(T <= t), T Student's t(df), df whole: 1/2 plus the density integrated from 0 to t (Simpson, 4,000 steps). */
function tCdfBySimpson(t: number, df: number): number {
  const c = gammaHalf(df + 1) / (Math.sqrt(df * Math.PI) * gammaHalf(df));
  const f = (x: number): number => c * Math.pow(1 + (x * x) / df, -(df + 1) / 2);
  const n = 4000;
  const h = t / n;
  let s = f(0) + f(t);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(i * h);
  return 0.5 + (s * h) / 3;
}

function tQuantileBySimpson(q: number, df: number): number {
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tCdfBySimpson(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

test("studentTQuantile: Student's t quantiles, against the density integrated here and printed tables", () => {
  for (const df of [1, 2, 3, 5, 9, 19, 29, 39, 99]) {
    for (const q of [0.75, 0.9, 0.95, 0.975, 0.995]) {
      const want = tQuantileBySimpson(q, df);
      assert.ok(Math.abs(studentTQuantile(q, df) - want) <= 1e-7 * want, `df ${df}, q ${q}: ${studentTQuantile(q, df)} against ${want}`);
      assert.ok(Math.abs(studentTQuantile(1 - q, df) + want) <= 1e-7 * want, `df ${df}, q ${1 - q}`);
    }
  }
  // Printed tables (3 decimals).
  for (const [df, q, t] of [[1, 0.975, 12.706], [2, 0.975, 4.303], [5, 0.975, 2.571], [10, 0.975, 2.228], [30, 0.975, 2.042], [1, 0.95, 6.314], [10, 0.95, 1.812]]) {
    assert.equal(studentTQuantile(q, df).toFixed(3), t.toFixed(3), `df ${df}, q ${q}`);
  }
  assert.equal(studentTQuantile(0.5, 4), 0);
  assert.equal(studentTQuantile(1, 4), Infinity);
});

/** The StatState of a partition's values, as a task computes it. */
function stateOf(xs: readonly number[]): StatState[] {
  const s: StatState = { n: 0, mu: 0, m2: 0, max: -Infinity, min: Infinity };
  for (const x of xs) addStatValue(s, x);
  return [s];
}

/** Count, sum, mean and sample variance of `xs` in two passes. */
function moments(xs: readonly number[]): { n: number; sum: number; mean: number; sampleVar: number } {
  const n = xs.length;
  const sum = xs.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  return { n, sum, mean, sampleVar: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) };
}

const close = (got: number, want: number, what: string): void => assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} against ${want}`);

/** Spark's sum estimate from the values of the partitions counted, `merged` of `total`, the interval's factor given. */
function sumBound(xs: readonly number[], merged: number, total: number, factor: number): { mean: number; low: number; high: number } {
  const { n, sum, mean, sampleVar } = moments(xs);
  const p = merged / total;
  const restCount = (n * (1 - p)) / p;
  const countVar = (n * (1 - p)) / (p * p);
  const meanVar = sampleVar / n;
  const sd = Math.sqrt(mean * mean * countVar + restCount * restCount * meanVar + meanVar * countVar);
  const est = sum + mean * restCount;
  return { mean: est, low: est - factor * sd, high: est + factor * sd };
}

test('SumEvaluator: the partitions counted stand for the rest (count and mean), t up to 100 elements, normal past; exact at the end', () => {
  const parts = [[3, 9, 4, 12, 7], [1, 1, 30], [5, 8], [2, 6, 10, 14], [20]];
  const e = new SumEvaluator(parts.length, 0.9);
  assert.deepEqual(e.currentResult(), new BoundedDouble(0, 0, -Infinity, Infinity));
  e.merge(4, stateOf(parts[4]));
  // One element: no variance, the estimate 5 x 20 with no bound.
  assert.deepEqual(e.currentResult(), new BoundedDouble(100, 0.9, -Infinity, Infinity));
  e.merge(0, stateOf(parts[0]));
  e.merge(2, stateOf(parts[2]));
  const seen = [...parts[4], ...parts[0], ...parts[2]];
  const want = sumBound(seen, 3, 5, tQuantileBySimpson(0.95, seen.length - 1));
  const r = e.currentResult();
  assert.equal(r.confidence, 0.9);
  close(r.mean, want.mean, 'mean');
  assert.ok(Math.abs(r.low - want.low) <= 1e-6 * Math.abs(want.low) && Math.abs(r.high - want.high) <= 1e-6 * Math.abs(want.high), JSON.stringify({ r, want }));
  e.merge(1, stateOf(parts[1]));
  e.merge(3, stateOf(parts[3]));
  const all = parts.flat().reduce((a, b) => a + b, 0);
  assert.deepEqual(e.currentResult(), new BoundedDouble(all, 1, all, all));
  // Past 100 elements: the normal quantile. 3 partitions of 40 of 7 counted, an empty one among them.
  const big = Array.from({ length: 7 }, (_, i) => Array.from({ length: i === 2 ? 0 : 40 }, (_, j) => ((i * 37 + j * 11) % 23) - 4.5));
  const b = new SumEvaluator(7, 0.9);
  for (const i of [0, 2, 5, 6]) b.merge(i, stateOf(big[i]));
  const bigSeen = [0, 2, 5, 6].flatMap((i) => big[i]);
  const wantBig = sumBound(bigSeen, 4, 7, Z95);
  const rb = b.currentResult();
  close(rb.mean, wantBig.mean, 'mean');
  assert.ok(Math.abs(rb.low - wantBig.low) <= 1e-5 * Math.abs(wantBig.high - wantBig.low) && Math.abs(rb.high - wantBig.high) <= 1e-5 * Math.abs(wantBig.high - wantBig.low), JSON.stringify({ rb, wantBig }));
});

test('MeanEvaluator: the sample mean of the elements counted with its t or normal interval; exact at the end', () => {
  const parts = [[3, 9, 4, 12, 7], [1, 1, 30], [], [2, 6, 10, 14], [20]];
  const e = new MeanEvaluator(parts.length, 0.95);
  e.merge(2, stateOf(parts[2]));
  assert.deepEqual(e.currentResult(), new BoundedDouble(0, 0, -Infinity, Infinity), 'an empty partition counted: no element yet');
  e.merge(4, stateOf(parts[4]));
  assert.deepEqual(e.currentResult(), new BoundedDouble(20, 0.95, -Infinity, Infinity));
  e.merge(1, stateOf(parts[1]));
  const seen = moments([20, 1, 1, 30]);
  const half = tQuantileBySimpson(0.975, 3) * Math.sqrt(seen.sampleVar / 4);
  const r = e.currentResult();
  close(r.mean, 13, 'mean');
  assert.ok(Math.abs(r.low - (13 - half)) <= 1e-6 * half && Math.abs(r.high - (13 + half)) <= 1e-6 * half, JSON.stringify({ r, half }));
  e.merge(0, stateOf(parts[0]));
  e.merge(3, stateOf(parts[3]));
  const m = moments(parts.flat()).mean;
  const f = e.currentResult();
  close(f.mean, m, 'final');
  assert.deepEqual(f, new BoundedDouble(f.mean, 1, f.mean, f.mean));
  // 150 elements: the normal quantile.
  const xs = Array.from({ length: 150 }, (_, i) => (i * 7919) % 101);
  const n = new MeanEvaluator(3, 0.95);
  n.merge(1, stateOf(xs));
  const mm = moments(xs);
  const nh = Z975 * Math.sqrt(mm.sampleVar / 150);
  const rn = n.currentResult();
  close(rn.mean, mm.mean, 'mean');
  assert.ok(Math.abs(rn.high - rn.mean - nh) <= 1e-5 * nh && Math.abs(rn.mean - rn.low - nh) <= 1e-5 * nh, JSON.stringify({ rn, nh }));
});


test('GroupedCountEvaluator: each value counted by value, bounded as a count (the rest Poisson); empty before any partition; exact at the end', () => {
  const e = new GroupedCountEvaluator<unknown>(4, 0.9);
  assert.equal(e.currentResult().size, 0);
  e.merge(0, [[7, 3], ['7', 1], [[1, 'a'], 2]]);
  e.merge(3, [[7, 5], [[1, 'a'], 1]]);
  const r = e.currentResult();
  assert.equal(r.size, 3, 'the number 7 and the string 7 apart, the tuple [1, "a"] once');
  const bound = (sum: number): BoundedDouble => new BoundedDouble(sum * 2, 0.9, sum + poissonQuantileBySum(sum, 0.05), sum + poissonQuantileBySum(sum, 0.95));
  const byKey = new Map([...r].map(([k, v]) => [JSON.stringify(k), v]));
  assert.deepEqual(byKey.get('7'), bound(8));
  assert.deepEqual(byKey.get('"7"'), bound(1));
  assert.deepEqual(byKey.get('[1,"a"]'), bound(3));
  e.merge(1, []);
  e.merge(2, [['x', 2]]);
  assert.deepEqual(new Map([...e.currentResult()].map(([k, v]) => [JSON.stringify(k), v])), new Map([['7', new BoundedDouble(8, 1, 8, 8)], ['"7"', new BoundedDouble(1, 1, 1, 1)], ['[1,"a"]', new BoundedDouble(3, 1, 3, 3)], ['"x"', new BoundedDouble(2, 1, 2, 2)]]));
});
