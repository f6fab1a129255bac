// Spark's PIDRateEstimator: every expected rate below is worked out by hand from Spark's
// formula (PIDRateEstimator.scala), written out step by step, not taken from the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../../src/errors.js';
import { PIDRateEstimator } from '../../../src/streaming/rate/pid-rate-estimator.js';
import { maxRecordsPerPartition } from '../../../src/streaming/rate/max-records-per-partition.js';

const close = (actual: number | undefined, expected: number, what: string): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);
};

test('default gains (P 1.0, I 0.2, D 0, min 100): the first batch only measures, later batches follow the formula', () => {
  const e = new PIDRateEstimator(1000);
  // Batch 1: 1000 records in 500 ms -> processing rate 2000/s becomes latestRate; no estimate.
  assert.equal(e.compute(1000, 1000, 500, 0), undefined);
  // Batch 2: 1500 records in 1000 ms, 200 ms scheduling delay:
  //   processingRate 1500; error 2000 - 1500 = 500; historical 200 * 1500 / 1000 = 300
  //   new = 2000 - 1.0 * 500 - 0.2 * 300 = 1440
  close(e.compute(2000, 1500, 1000, 200), 1440, 'batch 2');
  // Batch 3: 1440 records in 1200 ms, 400 ms delay:
  //   processingRate 1200; error 1440 - 1200 = 240; historical 400 * 1200 / 1000 = 480
  //   new = 1440 - 240 - 0.2 * 480 = 1104
  close(e.compute(3000, 1440, 1200, 400), 1104, 'batch 3');
  // Batch 4: a 20 s backlog: processingRate 1000; error 104; historical 20000
  //   new = 1104 - 104 - 4000 < 100 -> minRate 100
  close(e.compute(4000, 1000, 1000, 20_000), 100, 'batch 4 (clamped to minRate)');
});

test('a setting given as undefined is its default, as one left out', () => {
  const e = new PIDRateEstimator(1000, { proportional: undefined, integral: undefined, derived: undefined, minRate: undefined });
  assert.equal(e.minRate, 100);
  // The default gains' batches above: 1440, then 1104, then clamped to minRate 100.
  assert.equal(e.compute(1000, 1000, 500, 0), undefined);
  close(e.compute(2000, 1500, 1000, 200), 1440, 'batch 2');
  close(e.compute(3000, 1440, 1200, 400), 1104, 'batch 3');
  close(e.compute(4000, 1000, 1000, 20_000), 100, 'batch 4 (clamped to minRate)');
});

test('batches that are not newer, have no records or took no time give no estimate and change nothing', () => {
  const e = new PIDRateEstimator(1000);
  assert.equal(e.compute(1000, 0, 500, 0), undefined, 'no records');
  assert.equal(e.compute(1000, 100, 0, 0), undefined, 'no processing time');
  assert.equal(e.compute(1000, 1000, 1000, 0), undefined); // first run: latestRate 1000
  assert.equal(e.compute(1000, 5000, 100, 0), undefined, 'same time again');
  assert.equal(e.compute(500, 5000, 100, 0), undefined, 'an older batch');
  // Still as after the first run: 800 records in 1000 ms -> error 1000 - 800 = 200, new 800.
  close(e.compute(2000, 800, 1000, 0), 800, 'next batch');
});

test('the derivative term and a larger minimum, with a 2 s batch interval', () => {
  const e = new PIDRateEstimator(2000, { proportional: 0, integral: 0.5, derived: 0.5, minRate: 10 });
  assert.equal(e.compute(2000, 1000, 1000, 0), undefined); // latestRate 1000, latestError 0, latestTime 2000
  // 4000 records in 2000 ms at t=6000 (4 s later), 1000 ms delay:
  //   processingRate 2000; error 1000 - 2000 = -1000; historical 1000 * 2000 / 2000 = 1000
  //   dError (-1000 - 0) / 4 = -250; new = 1000 - 0 - 0.5 * 1000 - 0.5 * -250 = 625
  close(e.compute(6000, 4000, 2000, 1000), 625, 'with derivative');
  // 10 records in 1000 ms at t=8000, no delay: processingRate 10; error 625 - 10 = 615;
  //   dError (615 - -1000) / 2 = 807.5; new = 625 - 0 - 0 - 403.75 = 221.25
  close(e.compute(8000, 10, 1000, 0), 221.25, 'next');
});

test('bad settings are refused naming the setting, the value and an example', () => {
  for (const [settings, name] of [
    [{ proportional: -1 }, 'proportional'],
    [{ integral: Number.NaN }, 'integral'],
    [{ derived: -0.1 }, 'derived'],
    [{ minRate: 0 }, 'minRate'],
  ] as const) {
    assert.throws(
      () => new PIDRateEstimator(1000, settings),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_BAD_ARGUMENT' && err.message.includes(name) && /for example/.test(err.message),
      name,
    );
  }
});

test("direct inputs: records per partition as Spark's maxMessagesPerPartition", () => {
  // No rate, no maxRatePerPartition: no bound.
  assert.equal(maxRecordsPerPartition([10, 20], 1000), undefined);
  // maxRatePerPartition only: 300/s x 2 s = 600 each, whatever the lags.
  assert.deepEqual(maxRecordsPerPartition([10, 5000], 2000, { maxRatePerPartition: 300 }), [600, 600]);
  // A rate of 1000/s split by lag 100 : 300 : 600 -> 100, 300, 600 per s; x 0.5 s -> 50, 150, 300.
  assert.deepEqual(maxRecordsPerPartition([100, 300, 600], 500, { rate: 1000 }), [50, 150, 300]);
  // ...capped at maxRatePerPartition 200/s -> 100, 200, 200 per s; x 0.5 s -> 50, 100, 100.
  assert.deepEqual(maxRecordsPerPartition([100, 300, 600], 500, { rate: 1000, maxRatePerPartition: 200 }), [50, 100, 100]);
  // A partition without lag gets its minimum of 1 record; 1000/s over lag 0 : 7 -> 0, 1000 per s.
  assert.deepEqual(maxRecordsPerPartition([0, 7], 1000, { rate: 1000 }), [1, 1000]);
  // 333.33/s x 1 s rounds down to 333 (1000 over three equal lags).
  assert.deepEqual(maxRecordsPerPartition([5, 5, 5], 1000, { rate: 1000 }), [333, 333, 333]);
  // No lag anywhere: no bound (nothing to read anyway).
  assert.equal(maxRecordsPerPartition([0, 0], 1000, { rate: 1000 }), undefined);
});

test("Spark's DirectKafkaStreamSuite maxMessagesPerPartition cases, with Spark's own inputs and expected limits", () => {
  // "with backpressure disabled": maxRatePerPartition 100, 100 ms batches, lag 50 each -> 10 each.
  assert.deepEqual(maxRecordsPerPartition([50, 50], 100, { maxRatePerPartition: 100 }), [10, 10]);
  // "with no lag": a rate of 100, lag 0 everywhere -> no limit (Spark: None).
  assert.equal(maxRecordsPerPartition([0, 0], 100, { rate: 100, maxRatePerPartition: 100 }), undefined);
  // "backpressure.initialRate should honor maxRatePerPartition": 500/s, max 1000, 500 ms, one partition -> 250.
  assert.deepEqual(maxRecordsPerPartition([1000], 500, { rate: 500, maxRatePerPartition: 1000 }), [250]);
  // "use backpressure.initialRate with backpressure": 1000/s capped at 300, 500 ms -> 150.
  assert.deepEqual(maxRecordsPerPartition([1000], 500, { rate: 1000, maxRatePerPartition: 300 }), [150]);
  // "with zero offset and rate equal to the specified minimum": rate 1 over lags 0, 100, 200, 300, 60 s batches, minimum 5 -> 5, 10, 20, 30.
  assert.deepEqual(maxRecordsPerPartition([0, 100, 200, 300], 60_000, { rate: 1, maxRatePerPartition: 100, minRatePerPartition: 5 }), [5, 10, 20, 30]);
  // "respects max rate": a rate of 1000 over equal lags, partitions capped at 50 and 100 (a PerPartitionConfig), 100 ms -> 5, 10.
  assert.deepEqual(maxRecordsPerPartition([1000, 1000], 100, { rate: 1000, maxRatePerPartition: [50, 100] }), [5, 10]);
  // Without a rate, each partition its own cap. A PerPartitionConfig answering 0 beside capped
  // ones: Spark's effectiveRateLimitPerPartition is Map(50, 100, 0), its sum 150 > 0, so the 0
  // becomes Math.max((1.0 * 0).toLong, minRatePerPartition 1) = 1 record a batch.
  assert.deepEqual(maxRecordsPerPartition([10, 10, 10], 1000, { maxRatePerPartition: [50, 100, 0] }), [50, 100, 1]);
  // ... minRatePerPartition 3 there: 3.
  assert.deepEqual(maxRecordsPerPartition([10, 10, 10], 1000, { maxRatePerPartition: [50, 100, 0], minRatePerPartition: 3 }), [50, 100, 3]);
  // Every partition 0 (spark.streaming.kafka.maxRatePerPartition's default): the sum is 0, None: no limit.
  assert.equal(maxRecordsPerPartition([10, 10], 1000, { maxRatePerPartition: 0 }), undefined);
  assert.equal(maxRecordsPerPartition([10, 10], 1000, { maxRatePerPartition: [0, 0] }), undefined);
  // Under backpressure a 0 does not cap the share (maxRateLimitPerPartition > 0 is false):
  // 1000/s over lags 100 : 300 -> 250, 750 per s; the first capped at 200; x 0.5 s -> 100, 375.
  assert.deepEqual(maxRecordsPerPartition([100, 300], 500, { rate: 1000, maxRatePerPartition: [200, 0] }), [100, 375]);
  assert.deepEqual(maxRecordsPerPartition([100, 300], 500, { rate: 1000, maxRatePerPartition: 0 }), [125, 375]);
});
