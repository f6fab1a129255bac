// The scale check: 1,000,000 records in 3 topics x 4 partitions, read by a direct
// stream on 2 workers (driver in this process, 2 worker processes), counted exactly; no
// batch takes more than maxRatePerPartition x interval x partitions. Values are 1..N, so
// the count and the sum of what the job counted are checked against the test's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, startJob } from './job-runner.js';
import { assertRangesCover, batchesOf, jobArgs, nothing, produce, useEnv } from './stream-test-support.js';

const env = useEnv();

test('1,000,000 records in 3 topics x 4 partitions counted exactly on 2 workers, batches within the rate cap', async () => {
  const topics = ['m-a', 'm-b', 'm-c'];
  for (const t of topics) env.kafka.createTopic(t, 4);
  const want = nothing();
  await produce(env.kafka, topics, 4, 1_000_000, 21, want);
  // 60,000 records/s per partition x 0.5 s = 30,000 per partition, 360,000 a batch at most.
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics, groupId: 'g-million', startingOffsets: 'earliest', maxRatePerPartition: 60_000, expectTotal: 1_000_000 }));
  const batches = batchesOf(await job.finished(100_000));
  const count = batches.reduce((n, b) => n + b.count, 0);
  const sum = batches.reduce((n, b) => n + b.sum, 0);
  assert.equal(count, 1_000_000);
  assert.equal(count, want.count);
  assert.equal(sum, want.sum, 'the sum of the values counted is the sum of the values produced: each record once');
  for (const b of batches) assert.ok(b.count <= 30_000 * 12, `batch ${b.time}: ${b.count} records, at most 360,000`);
  assert.ok(batches.filter((b) => b.count > 0).length >= 3, 'several batches');
  assertRangesCover(env.kafka, batches, topics, () => 0);
});
