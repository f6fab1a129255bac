// The direct Kafka stream and the sink on a real cluster: the wire-level test broker (2
// broker ids) and a Sluice driver with 2 worker processes, both started once for the file.
// The fixture job (fixtures/count-job.ts) counts each batch's records and the count, sum
// and sum of squares of their values; every expected figure comes from the records the
// test itself produced (values 1..N, each once), and the offset ranges are checked against
// the broker's own logs.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Consumer, Producer } from '@platformatic/kafka';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, startCluster, startJob, type JobEnd } from './job-runner.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

interface Range {
  topic: string;
  partition: number;
  fromOffset: number;
  untilOffset: number;
}
interface Batch {
  time: number;
  ranges: Range[];
  count: number;
  sum: number;
  sumSq: number;
}

let kafka: KafkaTestCluster;
let cluster: LocalCluster;
let nextValue = 1;

before(async () => {
  kafka = await KafkaTestCluster.start({ brokers: 2 });
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kafka?.close();
});

/** A seeded PRNG (mulberry32), so a failing run can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Produced {
  count: number;
  sum: number;
  sumSq: number;
}

/** Writes `n` records with fresh values (decimal numbers) to random partitions of `topics`. */
async function produce(topics: readonly string[], partitions: number, n: number, seed: number, into: Produced): Promise<void> {
  const rand = prng(seed);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
  try {
    for (let sent = 0; sent < n; ) {
      const messages = [];
      for (let i = 0; i < 500 && sent < n; i++, sent++) {
        const v = nextValue++;
        into.count++;
        into.sum += v;
        into.sumSq += v * v;
        messages.push({ topic: topics[Math.floor(rand() * topics.length)]!, partition: Math.floor(rand() * partitions), key: Buffer.from(`k${v}`), value: Buffer.from(String(v)) });
      }
      await p.send({ messages });
    }
  } finally {
    await p.close();
  }
}

function jobArgs(o: Record<string, unknown>): string[] {
  return [JSON.stringify({ brokers: kafka.bootstrap, batchMs: 500, ...o })];
}

/** The batches of a finished job, checked to have ended well. */
function batchesOf(end: JobEnd): Batch[] {
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  return jsonLines<Batch>(end.lines, 'BATCH ');
}

/** Every partition's ranges are adjacent, from `start` to the partition's end in the broker, and each batch counted its ranges. */
function assertRangesCover(batches: Batch[], topics: readonly string[], start: (topic: string, partition: number) => number): void {
  const byTp = new Map<string, Range[]>();
  for (const b of batches) {
    assert.equal(b.count, b.ranges.reduce((n, r) => n + r.untilOffset - r.fromOffset, 0), `batch ${b.time} counted exactly its ranges`);
    for (const r of b.ranges) byTp.set(`${r.topic}/${r.partition}`, [...(byTp.get(`${r.topic}/${r.partition}`) ?? []), r]);
  }
  for (const t of topics) {
    for (const log of kafka.topics.get(t)!.partitions) {
      const rs = byTp.get(`${t}/${log.partition}`) ?? [];
      let at = start(t, log.partition);
      for (const r of rs) {
        assert.equal(r.fromOffset, at, `${t}/${log.partition}: a range starts where the previous one ended`);
        assert.ok(r.untilOffset > r.fromOffset, 'no empty range');
        at = r.untilOffset;
      }
      assert.equal(at, Number(log.endOffset), `${t}/${log.partition}: the ranges reach the partition's end`);
    }
  }
}

function assertTotals(batches: Batch[], want: Produced): void {
  const got = batches.reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq }), { count: 0, sum: 0, sumSq: 0 });
  assert.deepEqual(got, want, 'every produced record counted exactly once');
}

test('exact offset ranges per batch, capped by maxRatePerPartition, every record counted once, commits visible through OffsetFetch', async () => {
  const topics = ['ex-a', 'ex-b', 'ex-c'];
  for (const t of topics) kafka.createTopic(t, 4);
  const want: Produced = { count: 0, sum: 0, sumSq: 0 };
  await produce(topics, 4, 12_000, 1, want);
  const ends = new Map(topics.flatMap((t) => kafka.topics.get(t)!.partitions.map((l) => [`${t}/${l.partition}`, Number(l.endOffset)] as const)));
  const connectionsBefore = kafka.connectionsAccepted;
  const job = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topics, groupId: 'g-exact', startingOffsets: 'earliest', maxRatePerPartition: 1000, expectTotal: 15_000 }));
  await job.waitLine('BATCH ', 60_000);
  await produce(topics, 4, 3000, 2, want); // while the stream runs
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
  assertRangesCover(batches, topics, () => 0);
  assertTotals(batches, want);
  // Each worker reads with one cached consumer (a connection per broker, and one to
  // bootstrap), the driver with one consumer: a handful of connections for dozens of tasks.
  const tasks = batches.reduce((n, b) => n + b.ranges.length, 0);
  const connections = kafka.connectionsAccepted - connectionsBefore - 2 * 5; // the test's two producers: at most 5 each
  assert.ok(tasks >= 30, `${tasks} read tasks`);
  assert.ok(connections <= 15, `${connections} connections for ${tasks} read tasks: consumers are reused across batches`);
  // Committed offsets, read back through OffsetFetch, are each partition's end.
  const c = new Consumer({ clientId: 'check', groupId: 'g-exact', bootstrapBrokers: kafka.bootstrap });
  const committed = await c.listCommittedOffsets({ topics: topics.map((topic) => ({ topic, partitions: [0, 1, 2, 3] })) });
  await c.close();
  for (const t of topics) assert.deepEqual(committed.get(t), kafka.topics.get(t)!.partitions.map((l) => l.endOffset), `${t}: committed offsets are the ends`);
});

test('a worker killed with -9 mid-batch loses nothing: its tasks re-read the same ranges elsewhere', async () => {
  kafka.createTopic('kill', 4);
  const want: Produced = { count: 0, sum: 0, sumSq: 0 };
  await produce(['kill'], 4, 8000, 3, want);
  const job = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topics: ['kill'], groupId: 'g-kill', startingOffsets: 'earliest', maxRatePerPartition: 2000, slowMs: 300, expectTotal: 8000 }));
  await job.waitLine('BATCH ', 60_000);
  const victim = cluster.workerProcesses[0]!;
  victim.kill('SIGKILL');
  cluster.addWorker();
  const batches = batchesOf(await job.finished(60_000));
  assert.ok(victim.killed || victim.signalCode === 'SIGKILL');
  assertRangesCover(batches, ['kill'], () => 0);
  assertTotals(batches, want);
});

test('the brokers restarted mid-stream (same ports), then every leader moved: the stream resumes and counts exactly', async () => {
  kafka.createTopic('restart', 3);
  const want: Produced = { count: 0, sum: 0, sumSq: 0 };
  await produce(['restart'], 3, 3000, 4, want);
  const job = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topics: ['restart'], groupId: 'g-restart', startingOffsets: 'earliest', maxRatePerPartition: 1000, expectTotal: 6000 }));
  await job.waitLine('BATCH ', 60_000);
  await kafka.stop();
  await new Promise((r) => setTimeout(r, 1500));
  await kafka.start();
  await produce(['restart'], 3, 1500, 5, want);
  await job.waitLine('BATCH ', 60_000, (l) => (JSON.parse(l.slice(6)) as Batch).ranges.length > 0 && jsonLines<Batch>(job.lines, 'BATCH ').reduce((n, b) => n + b.count, 0) > 3000);
  for (const log of kafka.topics.get('restart')!.partitions) kafka.moveLeader('restart', log.partition, 1 - log.leader);
  await produce(['restart'], 3, 1500, 9, want);
  const batches = batchesOf(await job.finished(60_000));
  assertRangesCover(batches, ['restart'], () => 0);
  assertTotals(batches, want);
});

test('partitions added to a topic while the stream runs are read from their start', async () => {
  kafka.createTopic('grow', 2);
  const want: Produced = { count: 0, sum: 0, sumSq: 0 };
  await produce(['grow'], 2, 1000, 6, want);
  const job = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topics: ['grow'], groupId: 'g-grow', startingOffsets: 'earliest', expectTotal: 3000 }));
  await job.waitLine('BATCH ', 60_000);
  kafka.addPartitions('grow', 4);
  await produce(['grow'], 4, 2000, 7, want);
  const batches = batchesOf(await job.finished(60_000));
  assert.ok(
    batches.some((b) => b.ranges.some((r) => r.partition >= 2)),
    'the new partitions were read',
  );
  assertRangesCover(batches, ['grow'], () => 0);
  assertTotals(batches, want);
});

test('topics that come to match topicPattern while the stream runs are read from their start', async () => {
  kafka.createTopic('pat-one', 2);
  kafka.createTopic('other', 1);
  const want: Produced = { count: 0, sum: 0, sumSq: 0 };
  await produce(['pat-one'], 2, 500, 10, want);
  await produce(['other'], 1, 300, 11, { count: 0, sum: 0, sumSq: 0 }); // not matched: never read
  const job = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topicPattern: '^pat-', groupId: 'g-pat', startingOffsets: 'earliest', expectTotal: 1500 }));
  await job.waitLine('BATCH ', 60_000);
  kafka.createTopic('pat-two', 3);
  await produce(['pat-two'], 3, 1000, 12, want);
  const batches = batchesOf(await job.finished(60_000));
  assert.ok(batches.every((b) => b.ranges.every((r) => r.topic.startsWith('pat-'))), 'only matching topics are read');
  assertRangesCover(batches, ['pat-one', 'pat-two'], () => 0);
  assertTotals(batches, want);
});

test('saveToKafka writes every record once although produce answers were lost (idempotent producer)', async () => {
  kafka.createTopic('sink-in', 2);
  kafka.createTopic('sink-out', 3);
  const want: Produced = { count: 0, sum: 0, sumSq: 0 };
  const firstValue = nextValue;
  await produce(['sink-in'], 2, 3000, 8, want);
  const drops = kafka.requestCounts.get(0) ?? 0;
  kafka.dropNextProduceResponses(3);
  const job = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topics: ['sink-in'], groupId: 'g-sink', startingOffsets: 'earliest', sinkTopic: 'sink-out', expectTotal: 3000 }));
  batchesOf(await job.finished(60_000));
  assert.ok((kafka.requestCounts.get(0) ?? 0) > drops + 3, 'the sink produced (and retried)');
  const written = [0, 1, 2].flatMap((p) => kafka.records('sink-out', p).map((r) => Number(r.value!.toString())));
  const expected = Array.from({ length: 3000 }, (_, i) => (firstValue + i) * 2);
  assert.deepEqual(
    written.sort((a, b) => a - b),
    expected,
    'each record written exactly once',
  );
});

test('a wrong broker address fails the job with an error naming it; an unknown topic names the topic', async () => {
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const bad = await startJob(cluster, fixture('count-job.ts'), [JSON.stringify({ brokers: [`127.0.0.1:${closed}`], topics: ['x'], groupId: 'g', batchMs: 500, expectTotal: 1 })]);
  const end = await bad.finished(60_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, new RegExp(`cannot reach Kafka brokers 127\\.0\\.0\\.1:${closed}`));
  assert.match(end.failure!, /check the broker addresses/);
  const unknown = await startJob(cluster, fixture('count-job.ts'), jobArgs({ topics: ['no-such-topic'], groupId: 'g', expectTotal: 1 }));
  const end2 = await unknown.finished(60_000);
  assert.equal(end2.ok, false);
  assert.match(end2.failure!, /no-such-topic/);
  assert.match(end2.failure!, /create the topic or fix its name/);
});

test('invalid UTF-8 in valueStrings: the default fails the batch naming the record; skip leaves it out and counts it', async () => {
  kafka.createTopic('utf8', 1);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: kafka.bootstrap });
  const values = [Buffer.from('ok-1'), Buffer.from([0xff, 0xfe]), Buffer.from('ok-2'), Buffer.from([0xc3, 0x28]), Buffer.from('ok-3 é')];
  for (const value of values) await p.send({ messages: [{ topic: 'utf8', partition: 0, value }] });
  await p.close();
  const args = (mode: string) => jobArgs({ mode, topics: ['utf8'], groupId: `g-${mode}`, total: values.length });
  const failing = await (await startJob(cluster, fixture('edge-job.ts'), args('utf8-fail'))).finished(60_000);
  assert.equal(failing.ok, false);
  assert.match(failing.failure!, /record utf8\/0@1: the value is not valid UTF-8 \(2 bytes\)/);
  const skipping = await (await startJob(cluster, fixture('edge-job.ts'), args('utf8-skip'))).finished(60_000);
  assert.ok(skipping.ok, `skip mode failed: ${skipping.failure}`);
  assert.deepEqual(jsonLines<string[]>(skipping.lines, 'STRINGS ').flat(), ['ok-1', 'ok-2', 'ok-3 é']);
  assert.deepEqual(
    skipping.lines.filter((l) => l.startsWith('SKIPPED ')),
    ['SKIPPED 2'],
  );
});

test('saveToKafka: a record over maxRecordBytes fails the job naming the partition and the record; nothing after it is written', async () => {
  kafka.createTopic('large-out', 1);
  const end = await (await startJob(cluster, fixture('edge-job.ts'), jobArgs({ mode: 'sink-large', topics: [], groupId: 'g', total: 0, sinkTopic: 'large-out' }))).finished(60_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToKafka\(topic 'large-out'\) partition 0: record 1 of the partition has 2097152 bytes of key and value, more than maxRecordBytes 1048576/);
  assert.deepEqual(kafka.records('large-out', 0), [], 'the small record before it was not sent yet (batched), and nothing after it');
});

test('KafkaUtils.createRDD reads exactly the given offset ranges', async () => {
  kafka.createTopic('rdd', 2);
  const sink: Produced = { count: 0, sum: 0, sumSq: 0 };
  await produce(['rdd'], 2, 40, 13, sink);
  const ranges = [
    { topic: 'rdd', partition: 0, fromOffset: 2, untilOffset: 7 },
    { topic: 'rdd', partition: 1, fromOffset: 0, untilOffset: 3 },
  ];
  const end = await (await startJob(cluster, fixture('edge-job.ts'), jobArgs({ mode: 'rdd', ranges, topics: [], groupId: 'g', total: 0 }))).finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}`);
  const expected = ranges.flatMap((r) => kafka.records('rdd', r.partition).filter((x) => x.offset >= BigInt(r.fromOffset) && x.offset < BigInt(r.untilOffset)).map((x) => [r.partition, Number(x.offset), x.value!.toString()]));
  assert.equal(expected.length, 8);
  assert.deepEqual(jsonLines<unknown[]>(end.lines, 'RDD ')[0], expected);
});
