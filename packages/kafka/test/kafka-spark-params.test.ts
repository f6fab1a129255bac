// The Kafka integration guide's code in Spark's shape: createDirectStream(ssc,
// LocationStrategies.PreferConsistent, ConsumerStrategies.Subscribe / SubscribePattern /
// Assign(..., kafkaParams[, fromOffsets])), createRDD(sc, kafkaParams, [OffsetRange(...)],
// PreferConsistent), offsets by TaskContext inside foreachPartition, commitAsync after the
// output. One test broker and a driver with 2 worker processes for the file. Expected records
// come from what the test sent (a plain loop), commits are read back with the client alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer, Producer } from '@platformatic/kafka';
import { SluiceError } from '@sluice/core';
import { ConsumerStrategies, LocationStrategies, TopicPartition, type KafkaParams } from '../src/index.js';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { useEnv } from './stream-test-support.js';

const env = useEnv();

type Rec = [string, number, number, string, string];

/** Sends `n + partition` records to each partition of `topic` (key k<i>, value '<topic> <p> <i>'), returns them as the job prints them. */
async function fill(topic: string, partitions: number, n: number): Promise<Rec[]> {
  env.kafka.createTopic(topic, partitions);
  const sent: Rec[] = [];
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  try {
    for (let part = 0; part < partitions; part++) {
      const messages = [];
      for (let i = 0; i < n + part; i++) {
        messages.push({ topic, partition: part, key: Buffer.from(`k${i}`), value: Buffer.from(`${topic} ${part} ${i}`) });
        sent.push([topic, part, i, `k${i}`, `${topic} ${part} ${i}`]);
      }
      await p.send({ messages });
    }
  } finally {
    await p.close();
  }
  return sent;
}

async function committed(group: string, topic: string, partitions: number[]): Promise<number[]> {
  const c = new Consumer({ clientId: 'check', groupId: group, bootstrapBrokers: env.kafka.bootstrap });
  try {
    // The last commit is awaited by the job before it stops, so it is there when the job ended.
    return ((await c.listCommittedOffsets({ topics: [{ topic, partitions }] })).get(topic) ?? []).map(Number);
  } finally {
    await c.close();
  }
}

const order = (a: Rec, b: Rec) => a[0].localeCompare(b[0]) || a[1] - b[1] || a[2] - b[2];

async function runStream(o: Record<string, unknown>): Promise<{ seen: Rec[]; ranges: [string, number, number, number, number][] }> {
  const job = await startJob(env.cluster, fixture('spark-params-job.ts'), [JSON.stringify({ brokers: env.kafka.bootstrap, ...o })]);
  const end = await job.finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  return { seen: jsonLines<Rec[]>(end.lines, 'SEEN ')[0]!.sort(order), ranges: jsonLines<[string, number, number, number, number]>(end.lines, 'RANGE ') };
}

/** Each partition's ranges, printed from inside its task, tile [from, end) in order. */
function assertTiles(ranges: [string, number, number, number, number][], from: Record<string, number>, ends: Record<string, number>): void {
  for (const key of Object.keys(ends)) {
    const mine = ranges.filter(([t, p]) => `${t}/${p}` === key).sort((a, b) => a[2] - b[2]);
    let at = from[key] ?? 0;
    for (const r of mine) {
      assert.equal(r[2], at, `${key}: a range starts where the one before ended`);
      assert.equal(r[4], r[3] - r[2], `${key}: the task of range ${JSON.stringify(r)} read its records`);
      at = r[3];
    }
    assert.equal(at, ends[key], `${key}: the ranges reach the partition's end`);
  }
}

test("Subscribe, SubscribePattern and Assign with fromOffsets (a Map of TopicPartition to offset) read exactly their records; each task's offsetRanges[TaskContext.get().partitionId()] is its own range; commitAsync leaves the group at the ends; createRDD over OffsetRange(...) reads exactly its ranges", { timeout: 180_000 }, async () => {
  const a = await fill('sp-a', 3, 12);
  const b = await fill('sp-b', 2, 9);
  const ex = await fill('sp-events-x', 2, 7);
  await fill('sp-other', 1, 5);
  const t = await fill('sp-test', 2, 30);

  const sub = await runStream({ mode: 'subscribe', group: 'g-sub', topics: ['sp-a', 'sp-b'] });
  assert.deepEqual(sub.seen, [...a, ...b].sort(order), 'every record of both topics once');
  assertTiles(sub.ranges, {}, { 'sp-a/0': 12, 'sp-a/1': 13, 'sp-a/2': 14, 'sp-b/0': 9, 'sp-b/1': 10 });
  assert.deepEqual(await committed('g-sub', 'sp-a', [0, 1, 2]), [12, 13, 14]);
  assert.deepEqual(await committed('g-sub', 'sp-b', [0, 1]), [9, 10]);

  const pat = await runStream({ mode: 'pattern', group: 'g-pat', pattern: '^sp-events-' });
  assert.deepEqual(pat.seen, ex.sort(order), 'the matching topic only');
  assert.deepEqual(await committed('g-pat', 'sp-events-x', [0, 1]), [7, 8]);

  const asg = await runStream({ mode: 'assign', group: 'g-asg', offsets: [['sp-test', 0, 20], ['sp-test', 1, 25]] });
  assert.deepEqual(asg.seen, t.filter(([, p, i]) => i >= (p === 0 ? 20 : 25)).sort(order), 'from the offsets given');
  assertTiles(asg.ranges, { 'sp-test/0': 20, 'sp-test/1': 25 }, { 'sp-test/0': 30, 'sp-test/1': 31 });
  assert.deepEqual(await committed('g-asg', 'sp-test', [0, 1]), [30, 31]);

  const job = await startJob(env.cluster, fixture('spark-params-job.ts'), [JSON.stringify({ brokers: env.kafka.bootstrap, mode: 'rdd', group: 'g-rdd', ranges: [['sp-test', 0, 0, 10], ['sp-test', 1, 5, 15]] })]);
  const end = await job.finished(60_000);
  assert.ok(end.ok, end.lines.join('\n'));
  const rdd = jsonLines<[string, number, number, string][]>(end.lines, 'RDD ')[0]!;
  assert.deepEqual(rdd, t.filter(([, p, i]) => (p === 0 ? i < 10 : i >= 5 && i < 15)).map(([tp, p, i, , v]) => [tp, p, i, v]));
});

test('kafkaParams Sluice cannot honour are refused naming the key and the fix', () => {
  const ok: KafkaParams = { 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g' };
  const refused = (f: () => unknown, pattern: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT' && pattern.test(e.message));
  refused(() => ConsumerStrategies.Subscribe(['t'], { ...ok, 'enable.auto.commit': true as false }), /enable\.auto\.commit'\]: got true; leave it out or give false: .*commitAsync/);
  class StringDeserializer {}
  refused(() => ConsumerStrategies.Subscribe(['t'], { ...ok, 'value.deserializer': StringDeserializer } as unknown as KafkaParams), /value\.deserializer'\]: got "StringDeserializer"; records carry keys and values as Buffers .*valueString/);
  refused(() => ConsumerStrategies.Assign([], { ...ok, 'ssl.truststore.location': '/x.jks' } as KafkaParams), /kafkaParams\['ssl\.truststore\.location'\]: got "\/x\.jks"; Sluice takes bootstrap\.servers/);
  refused(() => ConsumerStrategies.SubscribePattern(/x/, { 'bootstrap.servers': 'h:1' }), /group\.id'\]: .*give the consumer group/);
  // PreferFixed's map is of TopicPartitions (Spark's Map[TopicPartition, String]); a string key is not one.
  refused(() => LocationStrategies.PreferFixed(new Map([['t-0', 'host1']]) as never), /PreferFixed: hostMap: got \["t-0","host1"\]; give a Map of new TopicPartition\(topic, partition\) to host/);
  refused(() => LocationStrategies.PreferFixed({ t: { 0: '' } }), /PreferFixed: the host of t-0: got ""; give a host name/);
  const fixed = LocationStrategies.PreferFixed(new Map([[new TopicPartition('t', 0), 'host1'], [new TopicPartition('u', 3), 'worker-ab']]));
  assert.deepEqual([...fixed.hostMap!], [['t\u00000', 'host1'], ['u\u00003', 'worker-ab']]);
  assert.deepEqual([...LocationStrategies.PreferFixed({ t: { 1: 'h:1' } }).hostMap!], [['t\u00001', 'h:1']]);
  const s = ConsumerStrategies.Subscribe(['t'], { 'bootstrap.servers': 'a:1, b:2', 'group.id': 'g', 'auto.offset.reset': 'earliest' });
  assert.deepEqual(s.options, { brokers: ['a:1', 'b:2'], topics: ['t'], groupId: 'g', startingOffsets: 'earliest' });
  // Java's Map<String, Object> kafkaParams with put(...), as the guide's Java tab writes it.
  const javaParams = new Map<string, unknown>();
  javaParams.set('bootstrap.servers', 'a:1,b:2');
  javaParams.set('group.id', 'g');
  javaParams.set('auto.offset.reset', 'earliest');
  javaParams.set('enable.auto.commit', false);
  assert.deepEqual(ConsumerStrategies.Subscribe(['t'], javaParams).options, { brokers: ['a:1', 'b:2'], topics: ['t'], groupId: 'g', startingOffsets: 'earliest' });
  refused(() => ConsumerStrategies.Subscribe(['t'], new Map<string, unknown>([['bootstrap.servers', 'a:1'], ['group.id', 'g'], ['enable.auto.commit', true]])), /enable\.auto\.commit'\]: got true/);
  // The guide's advice for batches over 30 s (heartbeat.interval.ms, session.timeout.ms): taken, without effect (the stream joins no group).
  const long = ConsumerStrategies.Subscribe(['t'], { ...ok, 'session.timeout.ms': 60_000, 'heartbeat.interval.ms': 20_000, 'max.poll.interval.ms': 600_000, 'isolation.level': 'read_committed' });
  assert.deepEqual(long.options, { brokers: ['127.0.0.1:1'], topics: ['t'], groupId: 'g', startingOffsets: 'latest' });
  refused(() => ConsumerStrategies.Subscribe(['t'], { ...ok, 'isolation.level': 'read_uncommitted' as 'read_committed' }), /isolation\.level'\]: got "read_uncommitted"; leave it out or give 'read_committed'/);
});
