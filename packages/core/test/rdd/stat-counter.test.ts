import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatCounter } from '../../src/rdd/stat-counter.js';

/** Two-pass figures of `xs`, computed here. */
function figures(xs: readonly number[]): { count: number; mean: number; variance: number; sampleVariance: number; max: number; min: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { count: n, mean, variance: m2 / n, sampleVariance: m2 / (n - 1), max: Math.max(...xs), min: Math.min(...xs) };
}

function assertFigures(c: StatCounter, xs: readonly number[]): void {
  const f = figures(xs);
  assert.equal(c.count, f.count);
  assert.equal(c.max, f.max);
  assert.equal(c.min, f.min);
  for (const k of ['mean', 'variance', 'sampleVariance'] as const) assert.ok(Math.abs(c[k] - f[k]) <= 1e-9 * Math.max(1, Math.abs(f[k])), `${k}: ${c[k]}, want ${f[k]}`);
  assert.ok(Math.abs(c.sum - xs.reduce((a, b) => a + b, 0)) <= 1e-9 * Math.max(1, Math.abs(c.sum)));
  assert.equal(c.stdev, Math.sqrt(c.variance));
  assert.equal(c.sampleStdev, Math.sqrt(c.sampleVariance));
}

const xs = Array.from({ length: 101 }, (_, i) => ((i * 37) % 101) - 50 + i / 8);

test('one pass over values gives the two-pass figures', () => {
  assertFigures(new StatCounter(xs), xs);
});

test('merging counters of parts gives the whole, whatever the parts sizes (Chan, as Spark)', () => {
  for (const cut of [0, 1, 5, 50, 95, 100, 101]) {
    const c = new StatCounter(xs.slice(0, cut)).merge(new StatCounter(xs.slice(cut)));
    assertFigures(c, xs);
  }
  const self = new StatCounter([1, 2, 3]);
  assertFigures(self.merge(self), [1, 2, 3, 1, 2, 3]);
  assertFigures(new StatCounter([4]).merge(9).merge([16, 25]), [4, 9, 16, 25]);
});

test("no value: count 0, mean and sum 0, variances NaN, max -Infinity, min Infinity (Spark's)", () => {
  const c = new StatCounter();
  assert.deepEqual([c.count, c.mean, c.sum, c.max, c.min], [0, 0, 0, -Infinity, Infinity]);
  assert.ok(Number.isNaN(c.variance) && Number.isNaN(c.sampleVariance) && Number.isNaN(c.stdev));
  assert.ok(Number.isNaN(new StatCounter([7]).sampleVariance), 'one value: no sample variance');
  assert.equal(new StatCounter([1, 2, 3]).toString(), '(count: 3, mean: 2.000000, stdev: 0.816497, max: 3.000000, min: 1.000000)');
  // Java's %f rounds the shortest digits half up (0.1234565, whose binary value is 0.12345649999...,
  // is 0.123457, where toFixed gives 0.123456), keeps a negative zero's sign and spells out infinities.
  assert.equal(new StatCounter([0.1234565]).toString(), '(count: 1, mean: 0.123457, stdev: 0.000000, max: 0.123457, min: 0.123457)');
  assert.equal(new StatCounter([-0.0000001]).toString(), '(count: 1, mean: -0.000000, stdev: 0.000000, max: -0.000000, min: -0.000000)');
  assert.equal(new StatCounter().toString(), '(count: 0, mean: 0.000000, stdev: NaN, max: -Infinity, min: Infinity)');
  const copy = new StatCounter([1, 2]).copy().merge(3);
  assert.equal(copy.count, 3);
});
