// The direct Kafka stream and the sink on a real cluster: the wire-level test broker (2
// broker ids) and a Sluice driver with 2 worker processes, both started once for the file.
// The fixture job (fixtures/count-job.ts) counts each batch's records and the count, sum
// and sum of squares of their values; every expected figure comes from the records the
// test itself produced (values 1..N, each once), and the offset ranges are checked against
// the broker's own logs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '@platformatic/kafka';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { pollUntil } from './sluice-process.js';
import { assertRangesCover, assertTotals, batchesOf, jobArgs, nothing, peekNextValue, produce, tcpPortsOf, useEnv, type Batch } from './stream-test-support.js';

/** Each test's own bound (the longest of these files' tests took 97 s at load 27): the file is among scripts/test.sh's OWN_TIMEOUTS, so under load the sum of its tests' waits is not held to the 240 s a whole file gets. */
const TEST_TIMEOUT_MS = 240_000;

const env = useEnv();

test('exact offset ranges per batch, capped by maxRatePerPartition, every record counted once, commits visible through OffsetFetch', { timeout: TEST_TIMEOUT_MS }, async () => {
  const topics = ['ex-a', 'ex-b', 'ex-c'];
  for (const t of topics) env.kafka.createTopic(t, 4);
  const want = nothing();
  await produce(env.kafka, topics, 4, 12_000, 1, want);
  const ends = new Map(topics.flatMap((t) => env.kafka.topics.get(t)!.partitions.map((l) => [`${t}/${l.partition}`, Number(l.endOffset)] as const)));
  const connectionsBefore = env.kafka.connectionsAccepted;
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics, groupId: 'g-exact', startingOffsets: 'earliest', maxRatePerPartition: 1000, expectTotal: 15_000 }));
  await job.waitLine('BATCH ', 60_000);
  await produce(env.kafka, topics, 4, 3000, 2, want); // while the stream runs
  const batches = batchesOf(await job.finished(60_000));
  const cap = 500; // 1000 records/s x 0.5 s
  // The first batch: every partition from 0, as far as the cap or its end allows.
  const first = batches[0]!;
  const expectedFirst = [...ends].map(([tp, end]) => ({ tp, until: Math.min(end, cap) })).filter((x) => x.until > 0);
  assert.deepEqual(first.ranges.map((r) => ({ tp: `${r.topic}/${r.partition}`, until: r.untilOffset })).sort((a, b) => a.tp.localeCompare(b.tp)), expectedFirst.sort((a, b) => a.tp.localeCompare(b.tp)));
  for (const b of batches) {
    for (const r of b.ranges) assert.ok(r.untilOffset - r.fromOffset <= cap, `range ${JSON.stringify(r)} within maxRatePerPartition x interval`);
    assert.ok(b.count <= cap * 12, `batch ${b.time}: ${b.count} records, at most ${cap * 12}`);
  }
  assert.ok(batches.length >= 3, `12,000 records at 6,000 a batch take several batches (${batches.length})`);
  assertRangesCover(env.kafka, batches, topics, () => 0);
  assertTotals(batches, want);
  // Each worker reads with one cached consumer (a connection per broker, and one to
  // bootstrap), the driver with one consumer: a handful of connections for dozens of tasks.
  const tasks = batches.reduce((n, b) => n + b.ranges.length, 0);
  const connections = env.kafka.connectionsAccepted - connectionsBefore - 2 * 5; // the test's two producers: at most 5 each
  assert.ok(tasks >= 30, `${tasks} read tasks`);
  assert.ok(connections <= 15, `${connections} connections for ${tasks} read tasks: consumers are reused across batches`);
  // Committed offsets, read back through OffsetFetch, are each partition's end.
  const c = new Consumer({ clientId: 'check', groupId: 'g-exact', bootstrapBrokers: env.kafka.bootstrap });
  const committed = await c.listCommittedOffsets({ topics: topics.map((topic) => ({ topic, partitions: [0, 1, 2, 3] })) });
  await c.close();
  for (const t of topics) assert.deepEqual(committed.get(t), env.kafka.topics.get(t)!.partitions.map((l) => l.endOffset), `${t}: committed offsets are the ends`);
});

test('backpressure: the first batch takes initialRate x interval split over the partitions by lag, each share capped by maxRatePerPartition; then the estimate; every record counted once', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('bp', 3);
  const want = nothing();
  await produce(env.kafka, ['bp'], 1, 3000, 12, want); // partition 0 only
  await produce(env.kafka, ['bp'], 3, 3000, 13, want); // all three
  const ends = env.kafka.topics.get('bp')!.partitions.map((l) => Number(l.endOffset));
  const total = ends.reduce((a, b) => a + b, 0);
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['bp'], groupId: 'g-bp', startingOffsets: 'earliest', maxRatePerPartition: 1200, backpressure: { initialRate: 2000 }, expectTotal: 6000 }));
  const batches = batchesOf(await job.finished(90_000)) as (Batch & { rate: number | null })[];
  // 2000/s over lags e0 : e1 : e2, each at most 1200/s, x 0.5 s, rounded down (at least 1).
  const expectedFirst = ends.map((e) => Math.min(e, Math.max(1, Math.floor(0.5 * Math.min(1200, (2000 * e) / total)))));
  assert.ok(ends[0] > 3000 && expectedFirst[0] === 600, `partition 0 (${ends}) is capped by maxRatePerPartition: ${expectedFirst}`);
  const first = batches.find((b) => b.ranges.length > 0)!;
  assert.deepEqual(
    [0, 1, 2].map((p) => first.ranges.find((r) => r.partition === p)?.untilOffset ?? 0),
    expectedFirst,
    `first batch ${JSON.stringify(first.ranges)} (ends ${ends})`,
  );
  for (const b of batches) for (const r of b.ranges) assert.ok(r.untilOffset - r.fromOffset <= 600, `range ${JSON.stringify(r)} within maxRatePerPartition x interval`);
  assert.ok(batches.some((b) => b.rate !== null && b.rate >= 100 && b.rate !== 2000), `an estimate replaced the initial rate: ${batches.map((b) => b.rate)}`);
  assertRangesCover(env.kafka, batches, ['bp'], () => 0);
  assertTotals(batches, want);
});

test('a worker killed with -9 while it reads its offset ranges loses nothing: its tasks re-read the same ranges elsewhere', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('kill', 4);
  const want = nothing();
  await produce(env.kafka, ['kill'], 4, 8000, 3, want);
  // Every fetch takes 300 ms: the workers (one core each) spend their tasks in fetches.
  env.kafka.delayFetches(300);
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['kill'], groupId: 'g-kill', startingOffsets: 'earliest', maxRatePerPartition: 2000, expectTotal: 8000 }));
  // The victim is a worker caught in a fetch (a worker that happened to read nothing, as
  // when the first batch's partitions all went to the other one, would test nothing).
  const victim = await pollUntil(() => {
    const fetching = env.kafka.fetchingClientPorts();
    if (fetching.length === 0) return undefined;
    return env.cluster.workerProcesses.find((w) => w.exitCode === null && w.signalCode === null && fetching.some((p) => tcpPortsOf(w.pid!).has(p)));
  }, 60_000, 'a worker fetching (the first batch)');
  victim.kill('SIGKILL');
  env.cluster.addWorker();
  const end = await job.finished(60_000).finally(() => env.kafka.delayFetches(0));
  const batches = batchesOf(end);
  assert.ok(victim.killed || victim.signalCode === 'SIGKILL');
  assertRangesCover(env.kafka, batches, ['kill'], () => 0);
  assertTotals(batches, want);
});

test('the brokers restarted mid-stream (same ports), then every leader moved: the stream resumes and counts exactly', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('restart', 3);
  const want = nothing();
  await produce(env.kafka, ['restart'], 3, 3000, 4, want);
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['restart'], groupId: 'g-restart', startingOffsets: 'earliest', maxRatePerPartition: 1000, expectTotal: 6000 }));
  await job.waitLine('BATCH ', 60_000);
  await env.kafka.stop();
  await new Promise((r) => setTimeout(r, 1500));
  await env.kafka.start();
  await produce(env.kafka, ['restart'], 3, 1500, 5, want);
  await job.waitLine('BATCH ', 60_000, (l) => (JSON.parse(l.slice(6)) as Batch).ranges.length > 0 && jsonLines<Batch>(job.lines, 'BATCH ').reduce((n, b) => n + b.count, 0) > 3000);
  for (const log of env.kafka.topics.get('restart')!.partitions) env.kafka.moveLeader('restart', log.partition, 1 - log.leader);
  await produce(env.kafka, ['restart'], 3, 1500, 9, want);
  const batches = batchesOf(await job.finished(60_000));
  assertRangesCover(env.kafka, batches, ['restart'], () => 0);
  assertTotals(batches, want);
});

test('partitions added to a topic while the stream runs are read from their start', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('grow', 2);
  const want = nothing();
  await produce(env.kafka, ['grow'], 2, 1000, 6, want);
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['grow'], groupId: 'g-grow', startingOffsets: 'earliest', expectTotal: 3000 }));
  await job.waitLine('BATCH ', 60_000);
  env.kafka.addPartitions('grow', 4);
  await produce(env.kafka, ['grow'], 4, 2000, 7, want);
  const batches = batchesOf(await job.finished(60_000));
  assert.ok(
    batches.some((b) => b.ranges.some((r) => r.partition >= 2)),
    'the new partitions were read',
  );
  assertRangesCover(env.kafka, batches, ['grow'], () => 0);
  assertTotals(batches, want);
});

test('topics that come to match topicPattern while the stream runs are read from their start', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('pat-one', 2);
  env.kafka.createTopic('other', 1);
  const want = nothing();
  await produce(env.kafka, ['pat-one'], 2, 500, 10, want);
  await produce(env.kafka, ['other'], 1, 300, 11, nothing()); // not matched: never read
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topicPattern: '^pat-', groupId: 'g-pat', startingOffsets: 'earliest', expectTotal: 1500 }));
  await job.waitLine('BATCH ', 60_000);
  env.kafka.createTopic('pat-two', 3);
  await produce(env.kafka, ['pat-two'], 3, 1000, 12, want);
  const batches = batchesOf(await job.finished(60_000));
  assert.ok(batches.every((b) => b.ranges.every((r) => r.topic.startsWith('pat-'))), 'only matching topics are read');
  assertRangesCover(env.kafka, batches, ['pat-one', 'pat-two'], () => 0);
  assertTotals(batches, want);
});

test('saveToKafka writes every record once although produce answers were lost (idempotent producer)', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('sink-in', 2);
  env.kafka.createTopic('sink-out', 3);
  const want = nothing();
  const firstValue = peekNextValue();
  await produce(env.kafka, ['sink-in'], 2, 3000, 8, want);
  const drops = env.kafka.requestCounts.get(0) ?? 0;
  env.kafka.dropNextProduceResponses(3);
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['sink-in'], groupId: 'g-sink', startingOffsets: 'earliest', sinkTopic: 'sink-out', expectTotal: 3000 }));
  batchesOf(await job.finished(60_000));
  assert.ok((env.kafka.requestCounts.get(0) ?? 0) > drops + 3, 'the sink produced (and retried)');
  const written = [0, 1, 2].flatMap((p) => env.kafka.records('sink-out', p).map((r) => Number(r.value!.toString())));
  const expected = Array.from({ length: 3000 }, (_, i) => (firstValue + i) * 2);
  assert.deepEqual(
    written.sort((a, b) => a - b),
    expected,
    'each record written exactly once',
  );
});
