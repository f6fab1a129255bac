// Spark's spark-streaming-kafka-0-10 suites, the cases kafka-spark-suites.test.ts (at its
// time budget) does not hold, on a real cluster (the test broker + a driver and 2 worker
// processes, started once for the file): DirectKafkaStreamSuite's "receiving from largest
// starting offset", "creating stream by offset" with Spark's offset past the log's end,
// "offset recovery" under a rate limit, the consumers' laziness, and KafkaRDDSuite's
// "compacted topic" (the rate
// cases are in kafka-spark-rates.test.ts). Expected values come from what each test sent and
// the broker's own log, never from the connector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { logOf as logOfEnv, repeated, runOffsetRecovery, send as sendTo, sendPairs, streamRunOf } from './kafka-spark-support.js';
import { jobArgs, useEnv } from './stream-test-support.js';

const env = useEnv();
const send = (topic: string, values: readonly string[], partition = 0) => sendTo(env, topic, values, partition);
const logOf = (topic: string, partition: number, from?: number, until?: number) => logOfEnv(env, topic, partition, from, until);
const startStream = async (o: Record<string, unknown>) => startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'stream', extraBatches: 2, ...o }));

test("DirectKafkaStreamSuite 'receiving from largest starting offset': 'latest' is where the log ended when the context started; what is sent after start() (before the first batch, before the brokers answered the start's lookup) is read, nothing from before", async () => {
  env.kafka.createTopic('latest', 1);
  await send('latest', repeated({ a: 10 }));
  // The brokers answer the start's offset lookup late, the 'b's written meanwhile: they came after start() all the same.
  env.kafka.delayNextListOffsets(1, 1000);
  const job = await startStream({ topics: ['latest'], groupId: 'g-latest', batchMs: 200, expectTotal: 10, extraBatches: 1 });
  await job.waitLine('STARTED', 30_000);
  await send('latest', repeated({ b: 10 }));
  const run = streamRunOf(await job.finished(30_000));
  assert.deepEqual(run.received, logOf('latest', 0, 10), "every 'b' once, from offset 10 on");
  assert.ok(!run.received.some((r) => r[3] === 'a'), "no 'a': they were in the log before the stream started");
});

test("DirectKafkaStreamSuite 'creating stream by offset' with Spark's offset 11 on a log ending at 10 (Assign, auto.offset.reset none): batches before the log reaches it read nothing, then the stream starts at 11", async () => {
  env.kafka.createTopic('offset11', 1);
  await send('offset11', repeated({ a: 10 }));
  const job = await startStream({ assign: [{ topic: 'offset11', partition: 0 }], groupId: 'g-offset11', startingOffsets: { offset11: { 0: 11 } }, autoOffsetReset: 'none', batchMs: 200, expectTotal: 9, extraBatches: 1 });
  // A batch runs while the log still ends at 10.
  await job.waitLine('RECEIVED ', 30_000);
  await send('offset11', repeated({ b: 10 }));
  const run = streamRunOf(await job.finished(30_000));
  assert.deepEqual(run.received, logOf('offset11', 0, 11), "the 'b's from offset 11, each once");
  assert.ok(!run.received.some((r) => r[3] === 'a'));
  const withRanges = run.batches.filter((b) => b.ranges.length > 0);
  assert.deepEqual(withRanges[0]!.ranges[0]!.fromOffset, 11, 'the first range starts at the offset given');
  assert.ok(run.batches.length > withRanges.length, 'some batch ran before the log reached offset 11, with no range');
});

test("DirectKafkaStreamSuite 'offset recovery' under maxRatePerPartition: stopped and recovered from the checkpoint, each batch within the rate, the recovered ranges the generated ones, 1..20 summed once", async () => {
  // 4 records/s x 500 ms: at most 2 records a batch.
  const { before, after } = await runOffsetRecovery(env, 'recovery-rate', { maxRatePerPartition: 4 });
  const ranges = [...before, ...after].flatMap((s) => s.ranges ?? []);
  for (const r of ranges) assert.ok(r.untilOffset - r.fromOffset <= 2, `${JSON.stringify(r)} within 4/s x 0.5 s`);
  assert.ok(ranges.filter((r) => r.untilOffset - r.fromOffset === 2).length >= 4, 'the rate bounded batches (groups of 4 sent at once were split)');
});

test("KafkaRDDSuite 'compacted topic': createRDD over [0, 7) of a log compacted to the last record of each key reads those 3 (count, countApprox, isEmpty, take); an empty range; [0, 8) is past the end and fails", async () => {
  env.kafka.createTopic('rdd-compacted', 1);
  const messages: [string, string][] = [['a', '1'], ['a', '2'], ['b', '1'], ['c', '1'], ['c', '2'], ['b', '2'], ['b', '3']];
  // One record a batch, as Spark's compactLogs appends them.
  await sendPairs(env, 'rdd-compacted', messages.map((m) => [m]));
  const lastOfKey = new Map(messages.map(([k], i) => [k, i]));
  env.kafka.log('rdd-compacted', 0)!.compact((r) => lastOfKey.get(r.key!.toString()) === Number(r.offset));
  const compacted = [...lastOfKey.values()].sort((x, y) => x - y).map((o) => [0, o, messages[o]![1]]);
  assert.deepEqual(compacted, [[0, 1, '2'], [0, 4, '2'], [0, 6, '3']], "Spark's compactedMessages (a,2), (c,2), (b,3) at their offsets");
  const r = (fromOffset: number, untilOffset: number) => [{ topic: 'rdd-compacted', partition: 0, fromOffset, untilOffset }];
  const end = await (await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'rdds', rdds: { compacted: r(0, 7), empty: r(0, 0), bad: r(0, 8) } }))).finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  type Got = { name: string; error?: string; records: [number, number, string][]; count: number; isEmpty: boolean; take1: unknown[]; takeMore: unknown[]; approxFinal: number };
  const got = new Map(jsonLines<Got>(end.lines, 'RDD ').map((g) => [g.name, g]));
  const c = got.get('compacted')!;
  assert.deepEqual(c.records, compacted);
  assert.deepEqual([c.count, c.approxFinal, c.isEmpty, c.take1, c.takeMore], [3, 3, false, [compacted[0]], compacted], 'count, countApprox(0), isEmpty, take(1), take(7 + 10)');
  assert.deepEqual([got.get('empty')!.records, got.get('empty')!.isEmpty], [[], true]);
  assert.match(got.get('bad')!.error ?? 'no error', /rdd-compacted\/0: offsets \[7, 8\) of the batch's range are past the partition's end 7/);
});

test("lazy consumers, as Spark's (DirectKafkaInputDStream's consumer made at start(), KafkaRDD's in compute): a direct stream made and never started, and a createRDD never acted on, open no connection to the brokers", async () => {
  env.kafka.createTopic('lazy', 1);
  await send('lazy', ['x', 'y']);
  const before = env.kafka.connectionsAccepted;
  const end = await (
    await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'lazy', topics: ['lazy'], groupId: 'g-lazy', startingOffsets: 'earliest', rdds: { r: [{ topic: 'lazy', partition: 0, fromOffset: 0, untilOffset: 2 }] }, waitMs: 1000 }))
  ).finished(30_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  assert.equal(jsonLines(end.lines, 'MADE ').length, 1);
  assert.equal(env.kafka.connectionsAccepted - before, 0, 'no connection to any broker');
});
