// Spark's DirectKafkaStreamSuite rate cases on streams of a real cluster (the test broker + a
// driver and 2 worker processes, started once for the file), with Spark's figures:
// "maxMessagesPerPartition with backpressure disabled" and "... with no lag", "... with
// backpressure enabled" (Spark 1.x-2.x's kafka-0-8 suite),
// "backpressure.initialRate should honor maxRatePerPartition" and "use
// backpressure.initialRate with backpressure". ("maxMessagesPerPartition respects max rate" is
// in kafka-spark-suites; the unit forms of all of them, and "with zero offset and rate equal to
// the specified minimum", in core's pid-rate-estimator.test.) Expected values come from
// Spark's figures, what each test sent and the broker's own log, never from the connector.
// A rate of 0 (spark.streaming.kafka.maxRatePerPartition's default; a PerPartitionConfig
// answering 0) as Spark's maxMessagesPerPartition reads it: no rate of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byPosition, logOf as logOfEnv, repeated, runStream as runStreamIn, send as sendTo } from './kafka-spark-support.js';
import { useEnv } from './stream-test-support.js';

const env = useEnv();
const send = (topic: string, values: readonly string[], partition = 0) => sendTo(env, topic, values, partition);
const logOf = (topic: string, partition: number, from?: number, until?: number) => logOfEnv(env, topic, partition, from, until);
const runStream = (o: Record<string, unknown>) => runStreamIn(env, o);

test("DirectKafkaStreamSuite 'maxMessagesPerPartition with backpressure disabled' (maxRatePerPartition 100, 100 ms batches, 50 records in each of 2 partitions: 10 a batch) and 'with no lag' (no range once read)", async () => {
  env.kafka.createTopic('mmpp', 2);
  await send('mmpp', Array.from({ length: 50 }, (_, i) => `0-${i}`), 0);
  await send('mmpp', Array.from({ length: 50 }, (_, i) => `1-${i}`), 1);
  const run = await runStream({ topics: ['mmpp'], groupId: 'g-mmpp', startingOffsets: 'earliest', maxRatePerPartition: 100, batchMs: 100, expectTotal: 100, extraBatches: 2 });
  const withRanges = run.batches.filter((b) => b.ranges.length > 0);
  assert.deepEqual(withRanges[0]!.ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]), [[0, 0, 10], [1, 0, 10]], "Spark's Map(tp0 -> 10, tp1 -> 10)");
  assert.deepEqual(withRanges.flatMap((b) => b.ranges.map((r) => r.untilOffset - r.fromOffset)), Array.from({ length: 10 }, () => 10), 'five batches of 10 per partition');
  assert.deepEqual([...run.received].sort(byPosition), [...logOf('mmpp', 0), ...logOf('mmpp', 1)]);
  assert.deepEqual(run.batches.slice(-2).map((b) => b.ranges), [[], []], 'no lag: no range');
  // Spark's DirectKafkaInputDStream's StreamInputInfo Description (the batch page's Input Metadata):
  // a line for each range with records; an empty one for a batch without.
  const first = run.inputInfo.find((b) => b.time === withRanges[0]!.time)!;
  assert.deepEqual(Object.values(first.descriptions), ['topic: mmpp\tpartition: 0\toffsets: 0 to 10\ntopic: mmpp\tpartition: 1\toffsets: 0 to 10']);
  assert.deepEqual(Object.values(run.inputInfo.at(-1)!.descriptions), ['']);
});

test("DirectKafkaStreamSuite 'maxMessagesPerPartition with backpressure enabled' (Spark 1.x-2.x, kafka-0-8: a rate of 1000 over equal lags, maxRatePerPartition 100, 100 ms batches: 10 each), the rate backpressure's initial one", async () => {
  env.kafka.createTopic('mmpp-bp', 2);
  await send('mmpp-bp', Array.from({ length: 30 }, (_, i) => `0-${i}`), 0);
  await send('mmpp-bp', Array.from({ length: 30 }, (_, i) => `1-${i}`), 1);
  const run = await runStream({ topics: ['mmpp-bp'], groupId: 'g-mmpp-bp', startingOffsets: 'earliest', maxRatePerPartition: 100, backpressure: { initialRate: 1000 }, batchMs: 100, expectTotal: 60, extraBatches: 1 });
  const withRanges = run.batches.filter((b) => b.ranges.length > 0);
  assert.deepEqual(withRanges[0]!.ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]), [[0, 0, 10], [1, 0, 10]], "Spark's Map(tp0 -> 10, tp1 -> 10): 500/s each, capped at 100/s, x 0.1 s");
  for (const b of withRanges) for (const r of b.ranges) assert.ok(r.untilOffset - r.fromOffset <= 10, `${JSON.stringify(r)} within maxRatePerPartition`);
  assert.deepEqual([...run.received].sort(byPosition), [...logOf('mmpp-bp', 0), ...logOf('mmpp-bp', 1)]);
});

test("DirectKafkaStreamSuite 'backpressure.initialRate should honor maxRatePerPartition' (max 1000, initial 500: 250 in a 500 ms batch) and 'use backpressure.initialRate with backpressure' (max 300, initial 1000: 150), then no lag: no range", async () => {
  for (const [topic, maxRate, initialRate, first] of [
    ['initial-rate-a', 1000, 500, 250],
    ['initial-rate-b', 300, 1000, 150],
  ] as const) {
    env.kafka.createTopic(topic, 1);
    await send(topic, repeated({ foo: first + 50 }));
    const run = await runStream({ topics: [topic], groupId: `g-${topic}`, startingOffsets: 'earliest', maxRatePerPartition: maxRate, backpressure: { initialRate }, batchMs: 500, expectTotal: first + 50, extraBatches: 1 });
    const withRanges = run.batches.filter((b) => b.ranges.length > 0);
    assert.deepEqual(withRanges[0]!.ranges.map((r) => [r.fromOffset, r.untilOffset]), [[0, first]], `${topic}: the first batch takes min(initialRate, maxRatePerPartition) x 0.5 s`);
    assert.deepEqual([...run.received].sort(byPosition), logOf(topic, 0));
    assert.deepEqual(run.batches.at(-1)!.ranges, [], `${topic}: no lag, no range (with a rate from backpressure)`);
  }
});

test("maxRatePerPartition 0, Spark's default of spark.streaming.kafka.maxRatePerPartition: no limit (the first batch reads every record); a PerPartitionConfig answering 0 for one partition beside 100/s: Spark's effective rate 0 there, so minRatePerPartition (1) a batch, the other 10 (100/s x 0.1 s)", async () => {
  env.kafka.createTopic('rate-zero', 2);
  await send('rate-zero', Array.from({ length: 12 }, (_, i) => `0-${i}`), 0);
  await send('rate-zero', Array.from({ length: 30 }, (_, i) => `1-${i}`), 1);
  const all = [...logOf('rate-zero', 0), ...logOf('rate-zero', 1)];
  const unlimited = await runStream({ topics: ['rate-zero'], groupId: 'g-rate-zero-a', startingOffsets: 'earliest', maxRatePerPartition: 0, batchMs: 100, expectTotal: 42, extraBatches: 1 });
  const first = unlimited.batches.find((b) => b.ranges.length > 0)!;
  assert.deepEqual(first.ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]), [[0, 0, 12], [1, 0, 30]], "Spark's maxMessagesPerPartition is None: each range to the log's end");
  assert.deepEqual([...unlimited.received].sort(byPosition), all);
  const mixed = await runStream({ topics: ['rate-zero'], groupId: 'g-rate-zero-b', startingOffsets: 'earliest', maxRates: { 'rate-zero/0': 0, 'rate-zero/1': 100 }, batchMs: 100, expectTotal: 42, extraBatches: 1 });
  const withRanges = mixed.batches.filter((b) => b.ranges.length > 0);
  assert.deepEqual(withRanges[0]!.ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]), [[0, 0, 1], [1, 0, 10]], "Spark's Map(tp0 -> max(0, 1), tp1 -> 10)");
  const sizes = (p: number) => withRanges.flatMap((b) => b.ranges.filter((r) => r.partition === p).map((r) => r.untilOffset - r.fromOffset));
  assert.deepEqual(sizes(0), Array.from({ length: 12 }, () => 1), 'partition 0: one record a batch, twelve batches');
  assert.deepEqual(sizes(1), [10, 10, 10], 'partition 1: 10 a batch');
  assert.deepEqual([...mixed.received].sort(byPosition), all);
});
