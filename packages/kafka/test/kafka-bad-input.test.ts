// Bad input to the Kafka connector on a real cluster (test broker + driver + 2 worker
// processes, started once for the file): unreachable brokers, an unknown topic, invalid
// UTF-8, a record the user's decoder throws on, a record too large for the sink; the
// sink's pipelined requests (order and loss, a request failing in the pipeline); and
// KafkaUtils.createRDD over given ranges.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Consumer, Producer, murmur2 } from '@platformatic/kafka';
import { fixture, freePort, jsonLines, startJob } from './job-runner.js';
import { jobArgs, nothing, produce, useEnv } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { ApiKey } from './support/protocol/messages.js';

/** Each test's own bound (the longest of these files' tests took 97 s at load 27): the file is among scripts/test.sh's OWN_TIMEOUTS, so under load the sum of its tests' waits is not held to the 240 s a whole file gets. */
const TEST_TIMEOUT_MS = 240_000;

const env = useEnv();

test('a wrong broker address fails the job with an error naming it; an unknown topic names the topic', { timeout: TEST_TIMEOUT_MS }, async () => {
  // A port nothing listens on, below the kernel's ephemeral range (no other socket takes it meanwhile).
  const closed = await freePort();
  const bad = await startJob(env.cluster, fixture('count-job.ts'), [JSON.stringify({ brokers: [`127.0.0.1:${closed}`], topics: ['x'], groupId: 'g', batchMs: 500, expectTotal: 1 })]);
  const end = await bad.finished(60_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, new RegExp(`cannot reach Kafka brokers 127\\.0\\.0\\.1:${closed}`));
  assert.match(end.failure!, /check the broker addresses/);
  // The topics the brokers have are named beside the unknown one, so a typo shows (this file's first topics).
  env.kafka.createTopic('clicks', 1);
  env.kafka.createTopic('orders', 2);
  const unknown = await startJob(env.cluster, fixture('count-job.ts'), jobArgs(env.kafka, { topics: ['clickz'], groupId: 'g', expectTotal: 1 }));
  const end2 = await unknown.finished(60_000);
  assert.equal(end2.ok, false);
  assert.match(end2.failure!, new RegExp(`Unknown topic clickz on brokers ${env.kafka.bootstrap.join(',')} \\(they have 2: clicks, orders\\); create the topic or fix its name`), end2.failure);
});

/** Whether this machine has IPv6 loopback (`ip -6 addr show lo` lists ::1). */
function hasIpv6Loopback(): boolean {
  try {
    return /inet6 ::1\/128/.test(execFileSync('ip', ['-6', 'addr', 'show', 'lo'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

test("brokers on IPv6 written in brackets ('[::1]:port'): the direct stream reads every record and saveToKafka writes them; an unbracketed IPv6 address is refused saying how to write it", { timeout: TEST_TIMEOUT_MS, skip: !hasIpv6Loopback() && 'no IPv6 loopback (ip -6 addr show lo)' }, async () => {
  const v6 = await KafkaTestCluster.start({ host: '::1' });
  try {
    v6.createTopic('v6-in', 2);
    v6.createTopic('v6-out', 1);
    const port = v6.portOf(0);
    const values = [3, 5, 7, 11, 13];
    const p = new Producer({ clientId: 'test', bootstrapBrokers: [{ host: '::1', port }] });
    await p.send({ messages: values.map((v, i) => ({ topic: 'v6-in', partition: i % 2, value: Buffer.from(String(v)) })) });
    await p.close();
    const brokers = [`[::1]:${port}`];
    const end = await (await startJob(env.cluster, fixture('count-job.ts'), [JSON.stringify({ brokers, topics: ['v6-in'], groupId: 'g-v6', startingOffsets: 'earliest', batchMs: 500, expectTotal: values.length, sinkTopic: 'v6-out' })])).finished(90_000);
    assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
    const counted = jsonLines<{ count: number; sum: number }>(end.lines, 'BATCH ').reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }), { count: 0, sum: 0 });
    assert.deepEqual(counted, { count: values.length, sum: values.reduce((a, b) => a + b, 0) });
    assert.deepEqual(v6.records('v6-out', 0).map((r) => Number(r.value?.toString())).sort((a, b) => a - b), values.map((v) => v * 2), 'saveToKafka wrote each record doubled to the IPv6 broker');
    // Unbracketed: refused at the call, saying how to write it.
    const bare = await (await startJob(env.cluster, fixture('count-job.ts'), [JSON.stringify({ brokers: [`::1:${port}`], topics: ['v6-in'], groupId: 'g', batchMs: 500, expectTotal: 1 })])).finished(60_000);
    assert.equal(bare.ok, false);
    // (A port of 4 digits or fewer also reads as the address's last group: then both readings are named.)
    assert.ok(bare.failure!.includes(`KafkaUtils.createDirectStream: broker address: got "::1:${port}"; an IPv6 address goes in brackets before its port: '`), bare.failure);
    assert.ok(bare.failure!.includes(`'[::1]:${port}'`), bare.failure);
  } finally {
    await v6.close();
  }
});

test('invalid UTF-8 in valueStrings: the default fails the batch naming the record; skip leaves it out and counts it', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('utf8', 1);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  const values = [Buffer.from('ok-1'), Buffer.from([0xff, 0xfe]), Buffer.from('ok-2'), Buffer.from([0xc3, 0x28]), Buffer.from('ok-3 é')];
  for (const value of values) await p.send({ messages: [{ topic: 'utf8', partition: 0, value }] });
  await p.close();
  const args = (mode: string) => jobArgs(env.kafka, { mode, topics: ['utf8'], groupId: `g-${mode}`, total: values.length });
  const failing = await (await startJob(env.cluster, fixture('edge-job.ts'), args('utf8-fail'))).finished(60_000);
  assert.equal(failing.ok, false);
  assert.match(failing.failure!, /record utf8\/0@1: the value is not valid UTF-8 \(2 bytes\)/);
  const skipping = await (await startJob(env.cluster, fixture('edge-job.ts'), args('utf8-skip'))).finished(60_000);
  assert.ok(skipping.ok, `skip mode failed: ${skipping.failure}`);
  assert.deepEqual(jsonLines<string[]>(skipping.lines, 'STRINGS ').flat(), ['ok-1', 'ok-2', 'ok-3 é']);
  assert.deepEqual(
    skipping.lines.filter((l) => l.startsWith('SKIPPED ')),
    ['SKIPPED 2'],
  );
});

test("a record the user's decoder throws on (decodeRecords): the batch fails naming the record and the decoder's message, and is not committed; with onError 'skip' it is left out, counted, and the batch committed", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('decode', 1);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  await p.send({ messages: ['order:1', 'order:2', 'oops', 'order:4'].map((v) => ({ topic: 'decode', partition: 0, value: Buffer.from(v) })) });
  await p.close();
  const args = (mode: string) => jobArgs(env.kafka, { mode, topics: ['decode'], groupId: `g-${mode}`, total: 4 });
  const failing = await (await startJob(env.cluster, fixture('edge-job.ts'), args('decode-fail'))).finished(60_000);
  assert.equal(failing.ok, false);
  assert.match(failing.failure!, /record decode\/0@2: the decoder failed: not an order: "oops"; fix what wrote the record, or decode with \{ onError: 'skip' \}/);
  assert.equal(env.kafka.groups.committed('g-decode-fail', 'decode', 0), -1n, 'the failed batch was not committed: its records are read again');
  const skipping = await (await startJob(env.cluster, fixture('edge-job.ts'), args('decode-skip'))).finished(60_000);
  assert.ok(skipping.ok, `skip mode failed: ${skipping.failure}`);
  assert.deepEqual(jsonLines<number[]>(skipping.lines, 'ORDERS ').flat(), [1, 2, 4]);
  assert.deepEqual(
    skipping.lines.filter((l) => l.startsWith('SKIPPED ')),
    ['SKIPPED 1'],
  );
  assert.equal(env.kafka.groups.committed('g-decode-skip', 'decode', 0), 4n);
  assert.deepEqual(
    skipping.lines.filter((l) => l.startsWith('HAS-OFFSET-RANGES ')),
    ['HAS-OFFSET-RANGES true false false'],
    "only the stream's own RDD has offset ranges, not a map or a repartition of it",
  );
});

test('commitAsync after ssc.stop() commits nothing and opens no connection: it rejects with SLUICE_CANCELLED naming the offsets and the group', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('late-commit', 2);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  for (let i = 0; i < 10; i++) await p.send({ messages: [{ topic: 'late-commit', partition: i % 2, value: Buffer.from(`v${i}`) }] });
  await p.close();
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'commit-after-stop', topics: ['late-commit'], groupId: 'g-late', total: 10 }))).finished(60_000);
  assert.ok(end.ok, `the job failed: ${end.failure}`);
  const [r] = jsonLines<{ outcome: string; socketsBefore: number; socketsAfter: number }>(end.lines, 'COMMIT-AFTER-STOP ');
  assert.match(r!.outcome, /^SLUICE_CANCELLED KafkaUtils\.createDirectStream: commitAsync after the stream stopped: offsets late-commit\/\d@1005(, late-commit\/\d@1005)? of group 'g-late' were not committed; commit in the batch's foreachRDD \(awaited\), before ssc\.stop\(\)/, r!.outcome);
  assert.equal(r!.socketsBefore, 0, "the stop closed the driver's consumer");
  assert.equal(r!.socketsAfter, 0, 'the late commit opened no connection');
  // The group's offsets, read back through OffsetFetch, are where the batches ended (5 records a partition), not 1000 past them.
  const c = new Consumer({ clientId: 'check', groupId: 'g-late', bootstrapBrokers: env.kafka.bootstrap });
  const committed = await c.listCommittedOffsets({ topics: [{ topic: 'late-commit', partitions: [0, 1] }] });
  await c.close();
  assert.deepEqual(committed.get('late-commit'), [5n, 5n]);
});

test("a non-graceful stop while a batch's output awaits commitAsync (Ctrl-C on sluice run): the refused commit leaves the batch pending and the job stopped, not failed", { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('stop-commit', 2);
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  await p.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: 'stop-commit', partition: i % 2, value: Buffer.from(`v${i}`) })) });
  await p.close();
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'commit-during-stop', topics: ['stop-commit'], groupId: 'g-stop', total: 10 }))).finished(60_000);
  assert.ok(end.ok, `the job failed: ${end.failure}`);
  // The stream stopped before the output's commit: refused, as README says, naming the ranges read.
  const [commit] = end.lines.filter((l) => l.startsWith('COMMIT-DURING-STOP '));
  assert.match(commit ?? '', /^COMMIT-DURING-STOP SLUICE_CANCELLED KafkaUtils\.createDirectStream: commitAsync after the stream stopped: offsets stop-commit\/\d@5, stop-commit\/\d@5 of group 'g-stop' were not committed/, end.lines.join('\n'));
  // ...and that is the stop's doing: awaitTermination resolves, the batch is not completed (it runs again at the next start).
  assert.deepEqual(end.lines.filter((l) => l.startsWith('TERMINATION ') || l.startsWith('COMPLETED ')), ['TERMINATION ok', 'COMPLETED []']);
  assert.equal(env.kafka.groups.committed('g-stop', 'stop-commit', 0), -1n, 'nothing committed');
  assert.equal(env.kafka.groups.committed('g-stop', 'stop-commit', 1), -1n, 'nothing committed');
});

test('saveToKafka: a record over maxRecordBytes fails the job naming the partition and the record; nothing after it is written', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('large-out', 1);
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'sink-large', topics: [], groupId: 'g', total: 0, sinkTopic: 'large-out' }))).finished(60_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToKafka\(topic 'large-out'\) partition 0: record 1 of the partition has 2097152 bytes of key and value, more than maxRecordBytes 1048576/);
  assert.deepEqual(env.kafka.records('large-out', 0), [], 'the small record before it was not sent yet (batched), and nothing after it');
});

test('saveToKafka pipelined: every record once, each task\'s records in order within each Kafka partition, keyed ones by the key\'s hash', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('order-out', 3);
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'sink-order', topics: [], groupId: 'g', total: 0, sinkTopic: 'order-out' }))).finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}`);
  assert.deepEqual(jsonLines<number>(end.lines, 'SAVED '), [12_000]);
  // What each Kafka partition holds, in offset order, as [task, i].
  const held = [0, 1, 2].map((kp) => env.kafka.records('order-out', kp).map((r) => r.value!.toString().split(':').map(Number) as [number, number]));
  const all = held.flat().map(([p, i]) => p * 10_000 + i);
  const expected = [0, 1, 2, 3].flatMap((p) => Array.from({ length: 3000 }, (_, i) => p * 10_000 + i));
  assert.deepEqual(all.sort((a, b) => a - b), expected, 'every record exactly once: none lost, none doubled');
  for (const [kp, records] of held.entries()) {
    for (const p of [0, 1, 2, 3]) {
      const is = records.filter(([q]) => q === p).map(([, i]) => i);
      assert.deepEqual(is, [...is].sort((a, b) => a - b), `Kafka partition ${kp}: task ${p}'s records in the order it wrote them`);
    }
    for (const [, i] of records) {
      // Keyed: murmur2 of the key, as Kafka's default partitioner; given: that partition.
      if (i % 3 === 0) assert.equal((murmur2(Buffer.from(`k${i % 7}`)) >>> 0) % 3, kp, `record ${i} with key k${i % 7}`);
      else if (i % 11 === 0) assert.equal(i % 3, kp, `record ${i} given partition ${i % 3}`);
    }
    const keyless = records.filter(([, i]) => i % 3 !== 0 && i % 11 !== 0).length;
    assert.ok(keyless > 0, `Kafka partition ${kp} got some of the records without key or partition (${keyless})`);
  }
});

test('saveToKafka: a request that fails in the pipeline fails the task with its error; nothing reports success', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('fail-out', 2);
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'sink-fail', topics: [], groupId: 'g', total: 0, sinkTopic: 'fail-out' }))).finished(60_000);
  assert.equal(end.ok, false, 'the job failed');
  assert.deepEqual(jsonLines<number>(end.lines, 'SAVED '), [], 'no success reported');
  assert.match(end.failure!, /saveToKafka\(topic 'fail-out'\) partition 0: writing \d+ records to brokers 127\.0\.0\.1:\d+.* failed after \d+ were written: .*larger than the max message size/);
  const values = [0, 1].flatMap((kp) => env.kafka.records('fail-out', kp).map((r) => r.value!.toString()));
  assert.ok(!values.some((v) => v.startsWith('z')), 'the large record was not written');
  // Each attempt of the task stops sending once the failure is known: a few requests of 50 after it at most, not the 400 records.
  const after = new Set(values.filter((v) => v.startsWith('b')));
  assert.ok(after.size < 400, `${after.size} of the 400 records after the failing one were written`);
});

test('saveToKafka to a broker that stops answering (paused) past retryTimeoutMs fails the job naming the brokers, the timeouts and what to do', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('paused-out', 3);
  // The broker stops answering (KafkaTestCluster.pause: as a SIGSTOP) as the first produce to the sink arrives.
  env.kafka.onRequest = (apiKey, request) => {
    if (apiKey !== ApiKey.Produce || !((request.topicData ?? []) as { name: string }[]).some((t) => t.name === 'paused-out')) return;
    env.kafka.onRequest = undefined;
    env.kafka.pause();
  };
  let end;
  try {
    const job = await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'sink-order', topics: [], groupId: 'g', total: 0, sinkTopic: 'paused-out', sinkTimeouts: { requestTimeoutMs: 500, retryTimeoutMs: 1500 } }));
    end = await job.finished(120_000);
  } finally {
    env.kafka.onRequest = undefined;
    env.kafka.resume();
  }
  assert.equal(end.ok, false, 'the job failed');
  assert.match(end.failure!, /saveToKafka\(topic 'paused-out'\) partition \d: writing \d+ records to brokers 127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)* failed after \d+ were written: .*timed out.*; the brokers did not answer \(requestTimeoutMs 500 ms a request, a produce asked again for retryTimeoutMs 1500 ms\): check that they are up and reachable from the workers/);
});

test('saveToKafka to a topic the brokers do not have (nor create) fails naming it, with the way out', { timeout: TEST_TIMEOUT_MS }, async () => {
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'sink-order', topics: [], groupId: 'g', total: 0, sinkTopic: 'no-such-sink' }))).finished(120_000);
  assert.equal(end.ok, false, 'the job failed');
  assert.match(end.failure!, /saveToKafka\(topic 'no-such-sink'\) partition \d: writing 50 records to brokers .* failed after 0 were written: Unknown topic no-such-sink\.; create the topic 'no-such-sink' \(or let the brokers create topics: auto\.create\.topics\.enable\)/);
  assert.equal(env.kafka.topics.has('no-such-sink'), false);
});

test('KafkaUtils.createRDD reads exactly the given offset ranges', { timeout: TEST_TIMEOUT_MS }, async () => {
  env.kafka.createTopic('rdd', 2);
  const sink = nothing();
  await produce(env.kafka, ['rdd'], 2, 40, 13, sink);
  const ranges = [
    { topic: 'rdd', partition: 0, fromOffset: 2, untilOffset: 7 },
    { topic: 'rdd', partition: 1, fromOffset: 0, untilOffset: 3 },
  ];
  const end = await (await startJob(env.cluster, fixture('edge-job.ts'), jobArgs(env.kafka, { mode: 'rdd', ranges, topics: [], groupId: 'g', total: 0 }))).finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}`);
  const expected = ranges.flatMap((r) => env.kafka.records('rdd', r.partition).filter((x) => x.offset >= BigInt(r.fromOffset) && x.offset < BigInt(r.untilOffset)).map((x) => [r.partition, Number(x.offset), x.value!.toString()]));
  assert.equal(expected.length, 8);
  assert.deepEqual(jsonLines<unknown[]>(end.lines, 'RDD ')[0], expected);
});
