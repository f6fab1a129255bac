// Spark's spark-streaming-kafka-0-10 semantics on a real cluster (test broker + driver + 2
// worker processes, started once for the file): every field of a record (null key and
// value, headers, CreateTime and LogAppendTime timestamps); logs that are not a plain run
// of records (a compacted topic's gaps, a transaction aborted across several fetches,
// records deleted before they were read, a topic deleted mid-stream); the reader's fetch
// ahead over ranges of several fetches (what each partition was asked for, from the
// broker's own record of fetches); where a stream
// starts (given, committed, latest, auto.offset.reset=none); Assign; minRatePerPartition.
// Expected values come from what each test sent and the broker's own log (decoded by the
// test broker, not by the connector).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { assertTotals, batchesOf, jobArgs, nothing, produce, useEnv, type Produced } from './stream-test-support.js';

/** Each test's own bound (the longest of these files' tests took 97 s at load 27): the file is among scripts/test.sh's OWN_TIMEOUTS, so under load the sum of its tests' waits is not held to the 240 s a whole file gets. */
const TEST_TIMEOUT_MS = 240_000;

const env = useEnv();

interface Fields {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  valueBytes: number;
  timestamp: number;
  timestampType: string;
  headers: [string, string | null][];
}

/** The records of `ranges` as the connector reads them (KafkaUtils.createRDD on the cluster). */
async function readFields(ranges: { topic: string; partition: number; fromOffset: number; untilOffset: number }[]): Promise<Fields[]> {
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'fields', ranges, topics: [], groupId: 'g', total: 0 }))).finished(120_000);
  assert.ok(end.ok, `job failed: ${end.failure}`);
  return jsonLines<Fields[]>(end.lines, 'FIELDS ')[0]!;
}

/** What the broker holds in [from, until) of a partition (data records only), in the fixture's shape. */
function brokerFields(topic: string, partition: number, from = 0n, until = 1n << 62n, skip: (value: string | null) => boolean = () => false): Fields[] {
  return env.kafka
    .records(topic, partition)
    .filter((r) => r.offset >= from && r.offset < until && !skip(r.value?.toString('utf8') ?? null))
    .map((r) => ({
      topic,
      partition,
      offset: Number(r.offset),
      key: r.key === null ? null : r.key.toString('utf8'),
      value: r.value === null ? null : r.value.toString('utf8').slice(0, 40),
      valueBytes: r.value?.length ?? -1,
      timestamp: Number(r.timestamp),
      timestampType: r.timestampType,
      headers: r.headers.map(([k, v]) => [k, v === null ? null : v.toString('utf8')] as [string, string | null]),
    }));
}

/** Three records with a null key, a null value (a tombstone), headers, and create times the producer set; to `topic` partition 0. */
async function produceFieldRecords(topic: string): Promise<void> {
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  const sent = [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_000_000n, headers: new Map([[Buffer.from('h1'), Buffer.from('a')], [Buffer.from('h2'), Buffer.from('b')]]) },
    { value: Buffer.from('no key'), timestamp: 1_000_007n },
    { key: Buffer.from('gone'), timestamp: 1_000_003n }, // a tombstone: no value
  ];
  await p.send({ messages: sent.map((m) => ({ ...m, topic, partition: 0 })) });
  await p.close();
}

/** 200 records in 10 batches, then compacted: offsets 20-39 go whole (a batch removed), elsewhere every third record survives. */
async function produceCompacted(topic: string): Promise<void> {
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  for (let b = 0; b < 10; b++) {
    await p.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic, partition: 0, key: Buffer.from(`k${(b * 20 + i) % 7}`), value: Buffer.from(`v${b * 20 + i}`) })) });
  }
  await p.close();
  env.kafka.log(topic, 0)!.compact((r) => !(r.offset >= 20n && r.offset < 40n) && r.offset % 3n === 0n);
}

/** A committed transaction, an aborted one of 6 batches of 900 KB (more than one 4 MiB fetch), a committed one. */
async function produceAbortedBig(topic: string): Promise<void> {
  const p = new Producer({ clientId: 'tx', bootstrapBrokers: env.kafka.bootstrap, idempotent: true, transactionalId: topic, serializers: stringSerializers });
  const send = async (committed: boolean, prefix: string, batches: number, size: number) => {
    const tx = await p.beginTransaction();
    for (let b = 0; b < batches; b++) await tx.send({ messages: Array.from({ length: 100 }, (_, i) => ({ topic, partition: 0, value: `${prefix}-${b * 100 + i}-`.padEnd(size, 'x') })) });
    if (committed) await tx.commit();
    else await tx.abort();
  };
  await send(true, 'before', 1, 10);
  await send(false, 'aborted', 6, 9000);
  await send(true, 'after', 2, 10);
  await p.close();
}

// One createRDD job reads them all (a job costs seconds: the streaming warm-up, bundle loading).
test("records as Kafka gives them: every field (null key, tombstone, headers, CreateTime, LogAppendTime as the broker stamped it); a compacted topic's gaps read over (Spark with allowNonConsecutiveOffsets); a transaction aborted across several fetches not read", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('fields-ct', 1);
  env.kafka.createTopic('fields-lat', 1, { logAppendTime: true });
  env.kafka.createTopic('compacted', 1);
  env.kafka.createTopic('aborted-big', 1);
  env.kafka.createTopic('start-moved', 1);
  await produceFieldRecords('fields-ct');
  const before = Date.now();
  await produceFieldRecords('fields-lat');
  const after = Date.now();
  await produceCompacted('compacted');
  await produceAbortedBig('aborted-big');
  await produce(env.kafka, ['start-moved'], 1, 30, 25, nothing());
  env.kafka.log('start-moved', 0)!.deleteRecordsBefore(12n);
  const abortedEnd = Number(env.kafka.log('aborted-big', 0)!.endOffset);
  const compactedRanges = [
    { topic: 'compacted', partition: 0, fromOffset: 1, untilOffset: 3 }, // only a gap
    { topic: 'compacted', partition: 0, fromOffset: 4, untilOffset: 25 }, // ends in a removed batch
    { topic: 'compacted', partition: 0, fromOffset: 25, untilOffset: 200 }, // starts in it
  ];
  const got = await readFields([
    { topic: 'fields-ct', partition: 0, fromOffset: 0, untilOffset: 3 },
    { topic: 'fields-lat', partition: 0, fromOffset: 0, untilOffset: 3 },
    ...compactedRanges,
    { topic: 'aborted-big', partition: 0, fromOffset: 0, untilOffset: abortedEnd },
    { topic: 'start-moved', partition: 0, fromOffset: 15, untilOffset: 30 }, // from the new log start on, nothing is lost
  ]);
  const of = (topic: string) => got.filter((r) => r.topic === topic);

  const ct = of('fields-ct');
  assert.deepEqual(
    ct.map((r) => [r.offset, r.key, r.value, r.timestamp, r.timestampType, r.headers]),
    [
      [0, 'k1', 'v1', 1_000_000, 'CreateTime', [['h1', 'a'], ['h2', 'b']]],
      [1, null, 'no key', 1_000_007, 'CreateTime', []],
      [2, 'gone', null, 1_000_003, 'CreateTime', []],
    ],
  );
  assert.deepEqual(ct, brokerFields('fields-ct', 0));
  const lat = of('fields-lat');
  const stamped = lat[0]!.timestamp;
  assert.ok(stamped >= before && stamped <= after, `the broker's append time ${stamped} is within the send [${before}, ${after}], not the producer's time`);
  assert.deepEqual(
    lat.map((r) => [r.key, r.value, r.timestamp, r.timestampType]),
    [
      ['k1', 'v1', stamped, 'LogAppendTime'],
      [null, 'no key', stamped, 'LogAppendTime'],
      ['gone', null, stamped, 'LogAppendTime'],
    ],
    'every record of the batch has the time the broker appended it',
  );
  assert.deepEqual(lat, brokerFields('fields-lat', 0));

  const compacted = compactedRanges.flatMap((r) => brokerFields('compacted', 0, BigInt(r.fromOffset), BigInt(r.untilOffset)));
  assert.equal(compacted.length, 5 + 53, 'offsets 6..18 and 42..198 that are multiples of 3');
  assert.deepEqual(of('compacted'), compacted, 'the compacted topic: each surviving record once');

  const committed = brokerFields('aborted-big', 0, 0n, BigInt(abortedEnd), (v) => !/^(before|after)-/.test(v ?? '')); // not the aborted records nor the markers
  assert.equal(committed.length, 300);
  assert.deepEqual(
    of('aborted-big').map((r) => r.value),
    committed.map((r) => r.value),
    'the aborted transaction is not read',
  );
  assert.deepEqual(of('start-moved'), brokerFields('start-moved', 0, 15n, 30n));
});

/** 12,000 records of 200 B to each of `partitions` partitions of `topic` (2.4 MB a partition: 3 fetches of 1 MiB), 100 a batch; value `p<partition>-<i>-` padded. */
async function producePlainBig(topic: string, partitions: number): Promise<void> {
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  for (let from = 0; from < 12_000; from += 100) {
    await p.send({ messages: Array.from({ length: partitions }, (_, partition) => Array.from({ length: 100 }, (_, i) => ({ topic, partition, value: Buffer.from(`p${partition}-${from + i}-`.padEnd(200, 'x')) }))).flat() });
  }
  await p.close();
}

/** To each of `partitions` partitions: a committed transaction of 4,000 records of 200 B, an aborted one of 4,000, a committed one of 4,000 (values `c1-`, `ab-`, `c2-`). */
async function produceTransactionsBig(topic: string, partitions: number): Promise<void> {
  const p = new Producer({ clientId: 'tx', bootstrapBrokers: env.kafka.bootstrap, idempotent: true, transactionalId: topic, serializers: stringSerializers });
  for (const [prefix, commit] of [['c1', true], ['ab', false], ['c2', true]] as const) {
    const tx = await p.beginTransaction();
    for (let from = 0; from < 4000; from += 100) {
      await tx.send({ messages: Array.from({ length: partitions }, (_, partition) => Array.from({ length: 100 }, (_, i) => ({ topic, partition, value: `${prefix}-${from + i}-`.padEnd(200, 'x') }))).flat() });
    }
    if (commit) await tx.commit();
    else await tx.abort();
  }
  await p.close();
}

test('the fetch ahead: ranges over several fetches, ending mid-fetch, of 1 and 0 records, a transaction aborted inside a range: every record once, in offset order, none past the range, and no fetch asked outside its range', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('ahead-plain', 5);
  env.kafka.createTopic('ahead-tx', 3);
  await producePlainBig('ahead-plain', 5);
  await produceTransactionsBig('ahead-tx', 3);
  const txEnd = Number(env.kafka.log('ahead-tx', 0)!.endOffset);
  assert.equal(txEnd, 12_003, '12,000 records and 3 markers a partition');
  const ranges = [
    { topic: 'ahead-plain', partition: 0, fromOffset: 0, untilOffset: 12_000 }, // the whole log: 3 fetches
    { topic: 'ahead-plain', partition: 1, fromOffset: 4321, untilOffset: 9876 }, // starts and ends inside batches and fetches
    { topic: 'ahead-plain', partition: 2, fromOffset: 6000, untilOffset: 6001 }, // 1 record
    { topic: 'ahead-plain', partition: 3, fromOffset: 500, untilOffset: 500 }, // none
    { topic: 'ahead-plain', partition: 4, fromOffset: 11_999, untilOffset: 12_000 }, // the last record
    { topic: 'ahead-tx', partition: 0, fromOffset: 0, untilOffset: txEnd }, // committed, aborted (across fetches), committed
    { topic: 'ahead-tx', partition: 1, fromOffset: 1500, untilOffset: txEnd - 1500 }, // from inside the first transaction to inside the last
    { topic: 'ahead-tx', partition: 2, fromOffset: 5000, untilOffset: 5001 }, // one aborted record: none
  ];
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'offsets', ranges, topics: [], groupId: 'g', total: 0 }))).finished(120_000);
  assert.ok(end.ok, `job failed: ${end.failure}`);
  const got = jsonLines<[number, string][][]>(end.lines, 'OFFSETS ')[0]!;
  // What each range holds, from the broker's own log: every record in [from, until), but in the
  // transactional topic only the committed transactions' (by their values; not the markers).
  const expected = ranges.map((r) =>
    env.kafka
      .records(r.topic, r.partition)
      .filter((x) => x.offset >= BigInt(r.fromOffset) && x.offset < BigInt(r.untilOffset))
      .map((x) => [Number(x.offset), x.value?.toString('utf8') ?? ''] as const)
      .filter(([, v]) => r.topic === 'ahead-plain' || /^c[12]-/.test(v))
      .map(([o, v]) => [o, v.slice(0, 12)]),
  );
  assert.deepEqual(expected.map((e) => e.length), [12_000, 5555, 1, 0, 1, 8000, 5001, 0]);
  ranges.forEach((r, i) => assert.deepEqual(got[i], expected[i], `${r.topic}/${r.partition} [${r.fromOffset}, ${r.untilOffset}): each record once, in order, none outside`));
  // On the wire: every fetch of a partition asked for an offset inside its range (none ahead
  // past it), and a range of several MiB was read in several fetches (so fetches went ahead).
  for (const r of ranges) {
    const asked = env.kafka.fetchOffsets.get(`${r.topic}/${r.partition}`) ?? [];
    if (r.untilOffset === r.fromOffset) assert.deepEqual(asked, [], `${r.topic}/${r.partition}: an empty range fetches nothing`);
    for (const o of asked) assert.ok(o >= BigInt(r.fromOffset) && o < BigInt(r.untilOffset), `${r.topic}/${r.partition}: a fetch from ${o}, outside [${r.fromOffset}, ${r.untilOffset}) (all: ${asked.join(', ')})`);
  }
  assert.ok((env.kafka.fetchOffsets.get('ahead-plain/0') ?? []).length >= 3, `2.4 MB in fetches of 1 MiB: ${env.kafka.fetchOffsets.get('ahead-plain/0')?.join(', ')}`);
});

test("take(n), first() and isEmpty() on a KafkaRDD read only the offsets they need (Spark's KafkaRDD.take), and on past offsets that are no records (a transaction's markers and aborted records); count() counts records, not offsets; a cached one takes from its cache", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('take-plain', 6);
  env.kafka.createTopic('take-tx', 2);
  await producePlainBig('take-plain', 6);
  await produceTransactionsBig('take-tx', 2);
  const plain = (partition: number, fromOffset: number, untilOffset: number) => ({ topic: 'take-plain', partition, fromOffset, untilOffset });
  const tx = (partition: number, fromOffset: number, untilOffset: number) => ({ topic: 'take-tx', partition, fromOffset, untilOffset });
  const actions = [
    { name: 'take 5', op: 'take', n: 5, ranges: [plain(0, 0, 12_000), plain(1, 0, 12_000)] },
    { name: 'take 10 over two ranges', op: 'take', n: 10, ranges: [plain(2, 4321, 4324), plain(3, 100, 12_000)] },
    { name: 'isEmpty', op: 'isEmpty', ranges: [plain(3, 200, 12_000)] },
    { name: 'first', op: 'first', ranges: [plain(4, 7, 12_000)] },
    { name: 'take 0', op: 'take', n: 0, ranges: [plain(4, 0, 12_000)] },
    { name: 'take 2.5', op: 'take', n: 2.5, ranges: [plain(4, 0, 12_000)] },
    { name: 'take more than there is', op: 'take', n: 30, ranges: [plain(2, 4321, 4324)] },
    { name: 'take 20 over an aborted transaction', op: 'take', n: 20, ranges: [tx(0, 3990, 12_003)] },
    { name: 'isEmpty of aborted records', op: 'isEmpty', ranges: [tx(1, 5000, 6000)] },
    { name: 'count', op: 'count', ranges: [tx(1, 0, 12_003)] },
    { name: 'take of a cached RDD', op: 'cachedTake', n: 5, ranges: [plain(5, 0, 12_000)] },
  ];
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'actions', actions, topics: [], groupId: 'g', total: 0 }))).finished(120_000);
  assert.ok(end.ok, `job failed: ${end.failure}`);
  const got = new Map(jsonLines<{ name: string; result?: unknown; error?: string }>(end.lines, 'ACTION ').map((a) => [a.name, a.error ?? a.result]));
  // The records of a range from the broker's own log; in take-tx only the committed transactions' (by their values).
  const log = (r: { topic: string; partition: number; fromOffset: number; untilOffset: number }) =>
    env.kafka
      .records(r.topic, r.partition)
      .filter((x) => x.offset >= BigInt(r.fromOffset) && x.offset < BigInt(r.untilOffset))
      .map((x) => [Number(x.offset), x.value?.toString('utf8') ?? ''] as const)
      .filter(([, v]) => r.topic === 'take-plain' || /^c[12]-/.test(v))
      .map(([o, v]) => [o, v.slice(0, 12)]);
  assert.deepEqual(got.get('take 5'), log(plain(0, 0, 12_000)).slice(0, 5));
  assert.deepEqual(got.get('take 10 over two ranges'), [...log(plain(2, 4321, 4324)), ...log(plain(3, 100, 12_000)).slice(0, 7)]);
  assert.equal(got.get('isEmpty'), false);
  assert.deepEqual(got.get('first'), log(plain(4, 7, 12_000))[0]);
  assert.deepEqual(got.get('take 0'), []);
  assert.match(String(got.get('take 2.5')), /^SLUICE_BAD_ARGUMENT: rdd\.take: the number of elements must be a whole number, got 2\.5/);
  assert.deepEqual(got.get('take more than there is'), log(plain(2, 4321, 4324)));
  const committed = log(tx(0, 3990, 12_003));
  assert.deepEqual(committed.slice(0, 12).map(([o]) => o), [3990, 3991, 3992, 3993, 3994, 3995, 3996, 3997, 3998, 3999, 8002, 8003], 'the first transaction ends at 3999, its marker, the aborted one and its marker take 4000-8001');
  assert.deepEqual(got.get('take 20 over an aborted transaction'), committed.slice(0, 20));
  assert.equal(got.get('isEmpty of aborted records'), true);
  assert.equal(got.get('count'), log(tx(1, 0, 12_003)).length);
  assert.equal(got.get('count'), 8000, 'records, not the 12,003 offsets');
  // On the wire: what each partition was asked for. One fetch from the first offset each
  // needed (1 MiB holds thousands of these records), where reading the ranges whole took 3.
  const asked = (partition: number) => env.kafka.fetchOffsets.get(`take-plain/${partition}`) ?? [];
  assert.deepEqual(asked(0), [0n], 'take 5: one fetch of the first range');
  assert.deepEqual(asked(1), [], 'take 5: nothing of the second range');
  assert.deepEqual(asked(2), [4321n, 4321n], 'take 10, then take 30: the 3-record range, once each');
  assert.deepEqual(asked(3), [100n, 200n], 'take 10: one fetch from 100; isEmpty: one from 200');
  assert.deepEqual(asked(4), [7n], 'first: one fetch; take 0 and take 2.5: none');
  // A cached RDD's take reads its cache, which count() filled: no fetch after the count's.
  assert.deepEqual(got.get('take of a cached RDD'), log(plain(5, 0, 12_000)).slice(0, 5));
  assert.equal(asked(5).filter((o) => o === 0n).length, 1, `take of the cached RDD: the count's fetches only (${asked(5).join(', ')})`);
  assert.ok(asked(5).length >= 3, `count read the range whole: ${asked(5).join(', ')}`);
});

test('records deleted from the log before they were read (retention): the task fails at once naming the partition, the lost offsets and the new log start', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('truncated', 2);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  for (let b = 0; b < 5; b++) await p.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: 'truncated', partition: 1, value: Buffer.from(`v${b * 10 + i}`) })) });
  await p.close();
  env.kafka.log('truncated', 1)!.deleteRecordsBefore(20n);
  const started = Date.now();
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'fields', ranges: [{ topic: 'truncated', partition: 1, fromOffset: 5, untilOffset: 30 }], topics: [], groupId: 'g', total: 0 }))).finished(120_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, /Kafka truncated\/1: offsets \[5, 30\) of the batch's range are no longer in the log, which now starts at offset 20: records \[5, 20\) were deleted/);
  assert.match(end.failure!, /startingOffsets \{ 'truncated': \{ 1: 20 \} \}/);
  assert.ok(Date.now() - started < 60_000, 'not retried as if the brokers were down');
});

test("where the stream starts (Spark's Subscribe with offsets): offsets given win over committed ones; a committed offset wins over startingOffsets; with neither, the latest offset (auto.offset.reset's default), so records written before the stream are skipped", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('start', 3);
  await produce(env.kafka, ['start'], 3, 300, 26, nothing());
  env.kafka.groups.commit('g-start', 'start', 1, 7n);
  env.kafka.groups.commit('g-start', 'start', 2, 5n);
  const from = [Number(env.kafka.log('start', 0)!.endOffset), 7, 2]; // latest, committed, given
  const want: Produced = nothing();
  for (const p of [1, 2]) {
    for (const r of env.kafka.records('start', p).filter((x) => x.offset >= BigInt(from[p]!))) {
      const v = Number(r.value!.toString());
      want.count++;
      want.sum += v;
      want.sumSq += v * v;
    }
  }
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['start'], groupId: 'g-start', startingOffsets: { start: { 2: 2 } }, expectTotal: want.count + 100 }));
  await job.waitLine('BATCH ', 60_000);
  await produce(env.kafka, ['start'], 1, 100, 27, want); // partition 0, after the first batch fixed its start
  const batches = batchesOf(await job.finished(60_000));
  const firstFrom = new Map<number, number>();
  for (const b of batches) for (const r of b.ranges) if (!firstFrom.has(r.partition)) firstFrom.set(r.partition, r.fromOffset);
  assert.deepEqual([0, 1, 2].map((p) => firstFrom.get(p)), from);
  assertTotals(batches, want);
});

test("assign (Spark's ConsumerStrategies.Assign): exactly the partitions named are read, not the topic's others nor partitions added to it; a partition the topic does not have is named", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('asg', 3);
  await produce(env.kafka, ['asg'], 3, 300, 28, nothing());
  const bad = await (await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { assign: [{ topic: 'asg', partition: 0 }, { topic: 'asg', partition: 5 }], groupId: 'g-asg', expectTotal: 1 }))).finished(60_000);
  assert.equal(bad.ok, false);
  assert.match(bad.failure!, /assign names asg\/5, but topic 'asg' has 3 partitions \(0-2\)/);
  env.kafka.addPartitions('asg', 4);
  await produce(env.kafka, ['asg'], 4, 100, 29, nothing());
  const want: Produced = nothing();
  for (const p of [0, 2]) {
    for (const r of env.kafka.records('asg', p)) {
      const v = Number(r.value!.toString());
      want.count++;
      want.sum += v;
      want.sumSq += v * v;
    }
  }
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { assign: [{ topic: 'asg', partition: 2 }, { topic: 'asg', partition: 0 }], groupId: 'g-asg', startingOffsets: 'earliest', expectTotal: want.count }));
  const batches = batchesOf(await job.finished(60_000));
  assert.deepEqual([...new Set(batches.flatMap((b) => b.ranges.map((r) => r.partition)))].sort(), [0, 2]);
  assertTotals(batches, want);
});

test("startingOffsets 'none' (auto.offset.reset=none): partitions without a committed offset fail the stream naming them; with every offset committed it starts there", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('reset-none', 3);
  await produce(env.kafka, ['reset-none'], 3, 300, 21, nothing());
  env.kafka.groups.commit('g-none', 'reset-none', 1, 7n);
  const args = () => jobArgs(env.kafka, { topics: ['reset-none'], groupId: 'g-none', startingOffsets: 'none', expectTotal: 1 });
  const failed = await (await startJob(env.cluster, fixture('count-job.ts'), args())).finished(60_000);
  assert.equal(failed.ok, false);
  assert.match(failed.failure!, /startingOffsets 'none' \(auto\.offset\.reset=none\) and group 'g-none' has no committed offset for partitions reset-none\/0, reset-none\/2;/);
  const from = [3n, 7n, 0n];
  env.kafka.groups.commit('g-none', 'reset-none', 0, from[0]!);
  env.kafka.groups.commit('g-none', 'reset-none', 2, from[2]!);
  // Exactly the records after the committed offsets, from the broker's log.
  const want: Produced = nothing();
  for (const log of env.kafka.topics.get('reset-none')!.partitions) {
    for (const r of env.kafka.records('reset-none', log.partition).filter((x) => x.offset >= from[log.partition]!)) {
      const v = Number(r.value!.toString());
      want.count++;
      want.sum += v;
      want.sumSq += v * v;
    }
  }
  const ok = await (await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['reset-none'], groupId: 'g-none', startingOffsets: 'none', expectTotal: want.count }))).finished(60_000);
  const batches = batchesOf(ok);
  assert.deepEqual(
    batches.find((b) => b.ranges.length > 0)!.ranges.map((r) => [r.partition, r.fromOffset]),
    [0, 1, 2].map((p) => [p, Number(from[p])]),
  );
  assertTotals(batches, want);
});

test('minRatePerPartition: a rate-limited batch still takes that many records from each partition that has them (Spark: max(rate share x interval, minRatePerPartition))', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('min-rate', 2);
  const want = nothing();
  await produce(env.kafka, ['min-rate'], 1, 150, 22, want); // partition 0 only
  await produce(env.kafka, ['min-rate'], 2, 150, 23, want); // both
  const ends = env.kafka.topics.get('min-rate')!.partitions.map((l) => Number(l.endOffset));
  // initialRate 20/s split by lag x 0.5 s is at most 10 records a partition; the minimum, 60, wins.
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['min-rate'], groupId: 'g-min', startingOffsets: 'earliest', backpressure: { initialRate: 20 }, minRatePerPartition: 60, expectTotal: 300 }));
  const batches = batchesOf(await job.finished(90_000));
  assert.deepEqual(
    batches.find((b) => b.ranges.length > 0)!.ranges.map((r) => [r.partition, r.fromOffset, r.untilOffset]),
    [0, 1].map((p) => [p, 0, Math.min(60, ends[p]!)]),
    `first batch (ends ${ends})`,
  );
  assertTotals(batches, want);
});

test('a subscribed topic deleted mid-stream: the stream fails naming the topic and how far it had read it, after retryTimeoutMs (a transient unknown topic is retried)', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('doomed', 2);
  await produce(env.kafka, ['doomed'], 2, 200, 24, nothing());
  const ends = env.kafka.topics.get('doomed')!.partitions.map((l) => Number(l.endOffset));
  const job = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['doomed'], groupId: 'g-doomed', startingOffsets: 'earliest', retryTimeoutMs: 3000, expectTotal: 1_000_000 }));
  await job.waitLine('COMMITTED ', 60_000);
  env.kafka.deleteTopic('doomed');
  const deletedAt = Date.now();
  const end = await job.finished(60_000);
  assert.equal(end.ok, false);
  assert.ok(Date.now() - deletedAt >= 3000, 'the unknown topic was retried for retryTimeoutMs first');
  assert.match(end.failure!, new RegExp(`topic 'doomed' is no longer on the brokers \\(deleted\\?\\); the stream had read it up to doomed/0@${ends[0]}, doomed/1@${ends[1]}`));
});
