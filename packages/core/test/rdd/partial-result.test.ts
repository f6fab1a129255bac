// countApprox's bounds (Spark's CountEvaluator) against Poisson quantiles summed here term by term.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedDouble, countBound, poissonQuantile } from '../../src/rdd/partial-result.js';
import { poissonQuantileBySum } from './poisson-by-sum.js';


test('poissonQuantile: the smallest k whose cumulative probability reaches q', () => {
  for (const lambda of [0.3, 1, 3.5, 12, 40, 200, 600]) {
    for (const q of [0.005, 0.025, 0.05, 0.5, 0.95, 0.975, 0.995]) {
      assert.equal(poissonQuantile(lambda, q), poissonQuantileBySum(lambda, q), `lambda ${lambda}, q ${q}`);
    }
  }
  // Past lambda ~745 e^-lambda underflows: the log-space sum still finds the quantile, near lambda +- z sqrt(lambda).
  assert.ok(Math.abs(poissonQuantile(10_000, 0.975) - (10_000 + 1.96 * 100)) <= 2);
  assert.ok(Math.abs(poissonQuantile(4e6, 0.025) - (4e6 - 1.96 * 2000)) <= 2);
  assert.equal(poissonQuantile(5, 0), 0);
});

test('countBound: exact when every partition was counted, [0, Infinity] when none, else the sum plus the rest as Poisson', () => {
  assert.deepEqual(countBound(120, 4, 4, 0.95), new BoundedDouble(120, 1, 120, 120));
  assert.deepEqual(countBound(0, 0, 4, 0.95), new BoundedDouble(0, 0, 0, Infinity));
  // 30 counted in 1 of 4 partitions: the other 3 hold Poisson(90) more.
  assert.deepEqual(countBound(30, 1, 4, 0.95), new BoundedDouble(120, 0.95, 30 + poissonQuantileBySum(90, 0.025), 30 + poissonQuantileBySum(90, 0.975)));
});

test("PartialResult: onComplete and onFail get the job's end, map applies to both values (Spark's)", async () => {
  const { PartialResult } = await import('../../src/rdd/partial-result.js');
  const done = new PartialResult(3, false, Promise.resolve(8));
  const seen: number[] = [];
  assert.equal(done.onComplete((v) => seen.push(v)), done);
  const doubled = done.map((v) => v * 2);
  assert.equal(doubled.initialValue, 6);
  assert.equal(doubled.isInitialValueFinal, false);
  assert.equal(await doubled.getFinalValue(), 16);
  assert.deepEqual(seen, [8]);
  const boom = new Error('job failed');
  const failing = new PartialResult(1, false, Promise.reject(boom));
  const errors: Error[] = [];
  failing.onFail((e) => errors.push(e));
  failing.onComplete(() => assert.fail('no final value'));
  await assert.rejects(failing.map((v) => v + 1).getFinalValue(), /job failed/);
  assert.deepEqual(errors, [boom]);
});
