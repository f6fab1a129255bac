// Spark's spark-streaming-kafka-0-10 suites, case by case, on a real cluster (the test broker
// + a driver and 2 worker processes, started once for the file): KafkaRDDSuite's "basic
// usage" and "iterator boundary conditions" (and KafkaDataConsumerSuite's many reads of one
// partition through a worker's cached consumer), DirectKafkaStreamSuite's "basic stream
// receiving with multiple topics and smallest starting offset", "pattern based
// subscription", "creating stream by offset", "offset recovery", "offset recovery from
// kafka" and "Direct Kafka stream report input information". Cases already ported elsewhere
// are named in the README's Kafka section (kafka-semantics, direct-stream, driver-recovery);
// maxMessagesPerPartition's are unit cases in core's pid-rate-estimator.test. Expected values
// come from what each test sent and the broker's own log, never from the connector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '@platformatic/kafka';
import { fixture, jsonLines, startJob, type JobEnd } from './job-runner.js';
import { byPosition, logOf as logOfEnv, repeated, runOffsetRecovery, runStream as runStreamIn, send as sendTo, type Range, type StreamRun } from './kafka-spark-support.js';
import { assertTotals, batchesOf, jobArgs, nothing, produce, useEnv, type Produced } from './stream-test-support.js';

/** Each test's own bound (the longest of these files' tests took 97 s at load 27): the file is among scripts/test.sh's OWN_TIMEOUTS, so under load the sum of its tests' waits is not held to the 240 s a whole file gets. */
const TEST_TIMEOUT_MS = 240_000;

const env = useEnv();
const send = (topic: string, values: readonly string[], partition = 0) => sendTo(env, topic, values, partition);
const logOf = (topic: string, partition: number, from?: number, until?: number) => logOfEnv(env, topic, partition, from, until);
const runStream = (o: Record<string, unknown>) => runStreamIn(env, o);

/** Each RDD partition (by index) holds as many records as the offset range of the same index (Spark: partSize === rangeSize). */
function assertSizesMatchRanges(run: StreamRun): void {
  let batchesWithRanges = 0;
  for (const b of run.sizes) {
    assert.equal(b.sizes.length, b.ranges.length, `batch ${b.time}: one RDD partition per offset range`);
    b.sizes.forEach(([i, n]) => assert.equal(n, b.ranges[i]!.untilOffset - b.ranges[i]!.fromOffset, `batch ${b.time}, partition ${i}: offset ranges are wrong`));
    if (b.ranges.length > 0) batchesWithRanges++;
  }
  assert.ok(batchesWithRanges >= 1, 'some batch had ranges');
}

test("KafkaRDDSuite 'basic usage' and 'iterator boundary conditions': createRDD's count, isEmpty, take, countApprox; an empty range; a range past the end fails; no off-by-one at the log's end; many reads of one partition (KafkaDataConsumerSuite's concurrent use)", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('rdd-basic', 1);
  env.kafka.createTopic('rdd-boundary', 1);
  env.kafka.createTopic('rdd-shared', 1);
  const messages = ['the', 'quick', 'brown', 'fox'];
  await send('rdd-basic', messages);
  const sent = repeated({ a: 5, b: 3, c: 10 });
  await send('rdd-boundary', sent);
  // Spark sends 'd' after defining the empty range and 22 more after the one-record range: the
  // ranges are fixed offsets, so here everything is in the log before the job reads.
  await send('rdd-boundary', ['d']);
  await send('rdd-boundary', repeated({ extra: 22 }));
  const shared = Array.from({ length: 1000 }, (_, i) => String(i + 1));
  await send('rdd-shared', shared);
  const r = (topic: string, fromOffset: number, untilOffset: number): Range => ({ topic, partition: 0, fromOffset, untilOffset });
  const rdds = {
    basic: [r('rdd-basic', 0, 4)],
    empty: [r('rdd-basic', 0, 0)],
    bad: [r('rdd-basic', 0, 5)],
    lots: [r('rdd-boundary', 0, 18)],
    zero: [r('rdd-boundary', 18, 18)],
    one: [r('rdd-boundary', 18, 19)],
    shared: Array.from({ length: 8 }, (_, i) => r('rdd-shared', i % 2 === 0 ? 0 : 500, 1000)),
  };
  const end: JobEnd = await (await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'rdds', rdds, groupId: 'g' }))).finished(120_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  type Got = { name: string; error?: string; records: [number, number, string][]; count: number; isEmpty: boolean; take1: unknown[]; takeMore: unknown[]; approxFinal: number };
  const got = new Map(jsonLines<Got>(end.lines, 'RDD ').map((g) => [g.name, g]));
  const want = (ranges: Range[]) => ranges.flatMap((x) => logOf(x.topic, x.partition, x.fromOffset, x.untilOffset).map(([, p, o, v]) => [p, o, v]));

  const basic = got.get('basic')!;
  assert.deepEqual(basic.records.map((x) => x[2]), messages, 'the messages sent');
  assert.deepEqual(basic.records, want(rdds.basic));
  assert.deepEqual([basic.count, basic.isEmpty, basic.take1, basic.takeMore, basic.approxFinal], [4, false, [want(rdds.basic)[0]], want(rdds.basic), 4], 'count, isEmpty, take(1), take(size + 10), countApprox(0) final');
  const empty = got.get('empty')!;
  assert.deepEqual([empty.records, empty.count, empty.isEmpty, empty.take1, empty.approxFinal], [[], 0, true, [], 0], 'OffsetRange(topic, 0, 0, 0) is empty');
  assert.match(got.get('bad')!.error ?? 'no error', /rdd-basic\/0: offsets \[4, 5\) of the batch's range are past the partition's end 4/, 'a range past the end of the log fails (Spark: SparkException)');

  const lots = got.get('lots')!;
  assert.deepEqual(lots.records.map((x) => x[1]), Array.from({ length: 18 }, (_, i) => i), "didn't get all sent messages");
  assert.deepEqual(lots.records.map((x) => x[2]), sent);
  assert.deepEqual(got.get('zero')!.records, [], "got messages when there shouldn't be any");
  assert.deepEqual(got.get('one')!.records, [[0, 18, 'd']], "didn't get exactly one message");

  const sh = got.get('shared')!;
  assert.deepEqual(sh.records, want(rdds.shared), 'every range of the one partition read in full, in order');
  assert.equal(sh.count, 4 * 1000 + 4 * 500);
});

test("DirectKafkaStreamSuite 'basic stream receiving with multiple topics and smallest starting offset' and 'report input information': offsets given for one partition, auto.offset.reset earliest for the rest; each RDD partition is its offset range; the listener's numRecords of submitted, started and completed batches are what was sent", { timeout: TEST_TIMEOUT_MS }, async () => {
  const topics = ['basic1', 'basic2', 'basic3'];
  const data = repeated({ a: 7, b: 9 });
  for (const t of topics) {
    env.kafka.createTopic(t, 1);
    await send(t, data);
  }
  const run = await runStream({ topics, groupId: 'g-basic', startingOffsets: { basic3: { 0: 2 } }, autoOffsetReset: 'earliest', expectTotal: data.length * 3 - 2 });
  const expected = [...logOf('basic1', 0), ...logOf('basic2', 0), ...logOf('basic3', 0, 2)];
  assert.equal(expected.length, 46);
  assert.deepEqual([...run.received].sort(byPosition), expected, 'every record from the start offsets once, nothing else');
  assertSizesMatchRanges(run);
  assert.deepEqual(run.listener, { submitted: 46, started: 46, completed: 46 }, "the StreamingListener's numRecords (Spark's InputInfoCollector)");
});

test("DirectKafkaStreamSuite 'pattern based subscription': 3 of 4 topics match, two of them from offsets given, the third from the earliest", { timeout: TEST_TIMEOUT_MS }, async () => {
  const topics = ['pat1', 'pat2', 'pat3', 'advanced3'];
  const data = repeated({ a: 7, b: 9 });
  for (const t of topics) {
    env.kafka.createTopic(t, 1);
    await send(t, data);
  }
  const run = await runStream({ topicPattern: 'pat\\d', groupId: 'g-pat', startingOffsets: { pat2: { 0: 3 }, pat3: { 0: 4 } }, autoOffsetReset: 'earliest', expectTotal: data.length * 3 - 7 });
  const expected = [...logOf('pat1', 0), ...logOf('pat2', 0, 3), ...logOf('pat3', 0, 4)];
  assert.equal(expected.length, 41);
  assert.deepEqual([...run.received].sort(byPosition), expected);
  assertSizesMatchRanges(run);
});

test("DirectKafkaStreamSuite 'creating stream by offset': Assign with an offset given and auto.offset.reset none starts there, no error; a partition with neither is named", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('offset', 2);
  await send('offset', repeated({ a: 10 }));
  const bad = await (
    await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'stream', assign: [{ topic: 'offset', partition: 0 }, { topic: 'offset', partition: 1 }], groupId: 'g-offset', startingOffsets: { offset: { 0: 6 } }, autoOffsetReset: 'none', expectTotal: 1 }))
  ).finished(60_000);
  assert.equal(bad.ok, false);
  assert.match(bad.failure!, /autoOffsetReset 'none' \(auto\.offset\.reset=none\) and group 'g-offset' has no committed offset \(nor one in startingOffsets\) for partition offset\/1;/);
  const run = await runStream({ assign: [{ topic: 'offset', partition: 0 }], groupId: 'g-offset', startingOffsets: { offset: { 0: 6 } }, autoOffsetReset: 'none', expectTotal: 4 });
  assert.deepEqual(run.received, logOf('offset', 0, 6));
  assert.equal(run.received.length, 4);
});

test("DirectKafkaStreamSuite 'offset recovery': updateStateByKey over the stream with a checkpoint, stopped and recovered; the recovered batches' ranges are the ones generated; every record summed once (1..20)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { before, after } = await runOffsetRecovery(env, 'recovery');
  const withRanges = before.filter((s) => s.ranges !== null && s.ranges.length > 0);
  assert.ok(withRanges.length >= 1, 'No offset ranges generated');
  assert.deepEqual(withRanges[0]!.ranges!.map((x) => x.fromOffset), [0], 'starting offset not zero');
  assert.ok(after.every((s) => s.total === null || (s.total >= 55 && s.total <= 210)), `the state went on from 55, never past 210: ${after.map((s) => s.total)}`);
  assert.deepEqual(logOf('recovery', 0).map((x) => x[3]), Array.from({ length: 20 }, (_, i) => String(i + 1)));
});

test("DirectKafkaStreamSuite 'offset recovery from kafka': offsets committed with commitAsync are the group's; a stream started again with the group reads from them, only what came after", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('fromkafka', 2);
  const firstRun = nothing();
  await produce(env.kafka, ['fromkafka'], 2, 200, 41, firstRun);
  const job1 = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['fromkafka'], groupId: 'g-fromkafka', startingOffsets: 'earliest', expectTotal: firstRun.count }));
  assertTotals(batchesOf(await job1.finished(60_000)), firstRun);
  const ends = env.kafka.topics.get('fromkafka')!.partitions.map((l) => l.endOffset);
  const c = new Consumer({ clientId: 'check', groupId: 'g-fromkafka', bootstrapBrokers: env.kafka.bootstrap });
  try {
    assert.deepEqual((await c.listCommittedOffsets({ topics: [{ topic: 'fromkafka', partitions: [0, 1] }] })).get('fromkafka'), ends, 'the committed offsets are the ends of what was read');
  } finally {
    await c.close();
  }
  const secondRun: Produced = nothing();
  await produce(env.kafka, ['fromkafka'], 2, 100, 42, secondRun);
  const job2 = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['fromkafka'], groupId: 'g-fromkafka', startingOffsets: 'earliest', expectTotal: secondRun.count }));
  const batches = batchesOf(await job2.finished(60_000));
  const firstFrom = new Map<number, number>();
  for (const b of batches) for (const x of b.ranges) if (!firstFrom.has(x.partition)) firstFrom.set(x.partition, x.fromOffset);
  assert.deepEqual([0, 1].map((p) => firstFrom.get(p)), ends.map(Number), 'each partition starts at its committed offset, not the earliest');
  assertTotals(batches, secondRun);
});

test("commitAsync(ranges, callback), as Spark's OffsetCommitCallback ('offset recovery from kafka' commits so): the callback gets each batch's offsets once committed, and the group holds them", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('callback', 2);
  await produce(env.kafka, ['callback'], 2, 200, 43, nothing());
  const end = await (await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'stream', topics: ['callback'], groupId: 'g-callback', startingOffsets: 'earliest', expectTotal: 200, extraBatches: 1, commitCallback: true }))).finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  const ranges = new Map(jsonLines<{ time: number; ranges: Range[] }>(end.lines, 'RECEIVED ').map((b) => [b.time, b.ranges]));
  const callbacks = jsonLines<{ time: number; offsets: { topic: string; partition: number; offset: number }[]; error: string | null }>(end.lines, 'COMMIT-CALLBACK ');
  assert.ok(callbacks.length >= 1);
  for (const c of callbacks) {
    assert.equal(c.error, null);
    assert.deepEqual(c.offsets, ranges.get(c.time)!.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.untilOffset })), `batch ${c.time}: the callback names the offsets committed`);
  }
  assert.equal(callbacks.length, [...ranges.values()].filter((r) => r.length > 0).length, 'one callback per batch with ranges (none for a batch with nothing to commit, as Spark commits nothing then)');
  const ends = env.kafka.topics.get('callback')!.partitions.map((l) => l.endOffset);
  const c = new Consumer({ clientId: 'check', groupId: 'g-callback', bootstrapBrokers: env.kafka.bootstrap });
  try {
    assert.deepEqual((await c.listCommittedOffsets({ topics: [{ topic: 'callback', partitions: [0, 1] }] })).get('callback'), ends);
  } finally {
    await c.close();
  }
});

test("maxRatePerPartition per partition (Spark's PerPartitionConfig, DirectKafkaStreamSuite 'maxMessagesPerPartition respects max rate'): each partition's ranges within its own rate x interval; every record once", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('ppc', 2);
  const values = (p: number) => Array.from({ length: 150 }, (_, i) => `${p}-${i}`);
  await send('ppc', values(0), 0);
  await send('ppc', values(1), 1);
  const run = await runStream({ topics: ['ppc'], groupId: 'g-ppc', startingOffsets: 'earliest', maxRates: { 'ppc/0': 50, 'ppc/1': 100 }, expectTotal: 300, extraBatches: 1 });
  const caps = [25, 50]; // 50/s and 100/s x 0.5 s
  const withRanges = run.batches.filter((b) => b.ranges.length > 0);
  assert.deepEqual(withRanges[0]!.ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]), [[0, 0, 25], [1, 0, 50]], 'the first batch: each partition its own cap');
  for (const b of withRanges) for (const r of b.ranges) assert.ok(r.untilOffset - r.fromOffset <= caps[r.partition]!, `${JSON.stringify(r)} within its partition's rate`);
  assert.deepEqual([...run.received].sort(byPosition), [...logOf('ppc', 0), ...logOf('ppc', 1)]);
  const bad = await (await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'stream', topics: ['ppc'], groupId: 'g-ppc-bad', startingOffsets: 'earliest', maxRates: { 'ppc/0': 50 }, expectTotal: 1 }))).finished(60_000);
  assert.equal(bad.ok, false);
  assert.match(bad.failure!, /maxRatePerPartition\("ppc", 1\) answered undefined; answer records per second > 0 for every partition/);
});
