// The wire-level test broker, checked with two stock Kafka clients talking to it over TCP
// on loopback: @platformatic/kafka (flexible protocol versions: Fetch 17, Metadata 12,
// Produce 11, ...) and kafkajs (the older, non-flexible versions: Fetch 11, Metadata 6,
// Produce 7, ...). Expected values come from what each test itself produced.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { ApiKey, ErrorCode, SCHEMAS } from './support/protocol/messages.js';
import { encodeBatch } from './support/protocol/record-batch.js';
import { decode, encode } from './support/protocol/schema.js';
import { WireReader, WireWriter } from './support/protocol/wire.js';

let c: KafkaTestCluster;

before(async () => {
  c = await KafkaTestCluster.start({ brokers: 2 });
});

after(async () => {
  await c?.close();
});

function consumer(groupId = 'g'): Consumer {
  return new Consumer({ clientId: 'test', groupId, bootstrapBrokers: c.bootstrap, retries: 20, retryDelay: 50 });
}

/** Every value in a partition read through the client's Fetch, from offset 0 to the end. */
async function readAll(cons: Consumer, topic: string, partition: number): Promise<{ offset: bigint; key: string | null; value: string }[]> {
  const out: { offset: bigint; key: string | null; value: string }[] = [];
  let next = 0n;
  for (;;) {
    const md = await cons.metadata({ topics: [topic], forceUpdate: true });
    const t = md.topics.get(topic)!;
    const r = await cons.fetch({
      node: t.partitions[partition]!.leader,
      maxWaitTime: 10,
      topics: [{ topicId: t.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 64 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
    });
    const p = r.responses[0]!.partitions[0]!;
    let got = 0;
    for (const b of p.records ?? []) {
      for (const rec of b.records) {
        const offset = b.firstOffset + BigInt(rec.offsetDelta);
        if (offset < next) continue;
        out.push({ offset, key: rec.key?.toString() ?? null, value: rec.value!.toString() });
        got++;
      }
    }
    if (out.length > 0) next = out[out.length - 1]!.offset + 1n;
    if (got === 0 && next >= p.highWatermark) return out;
  }
}

test('platformatic: create a topic, produce to 4 partitions on 2 brokers, read every record back at its offset', async () => {
  const admin = new Admin({ clientId: 'a', bootstrapBrokers: c.bootstrap });
  await admin.createTopics({ topics: ['t1'], partitions: 4, replicas: 1 });
  const p = new Producer({ clientId: 'p', bootstrapBrokers: c.bootstrap, serializers: stringSerializers });
  const sent = new Map<number, string[]>();
  for (let i = 0; i < 200; i++) {
    const partition = (i * 7) % 4;
    await p.send({ messages: [{ topic: 't1', key: `k${i}`, value: `v${i}`, partition }] });
    sent.set(partition, [...(sent.get(partition) ?? []), `v${i}`]);
  }
  const cons = consumer();
  const leaders = new Set((await cons.metadata({ topics: ['t1'] })).topics.get('t1')!.partitions.map((x) => x.leader));
  assert.deepEqual([...leaders].sort(), [0, 1], 'partitions are led by both brokers');
  for (let part = 0; part < 4; part++) {
    const got = await readAll(cons, 't1', part);
    assert.deepEqual(
      got.map((r) => r.value),
      sent.get(part),
    );
    assert.deepEqual(
      got.map((r) => r.offset),
      sent.get(part)!.map((_, i) => BigInt(i)),
    );
  }
  const offsets = await cons.listOffsets({ topics: ['t1'] });
  assert.deepEqual(offsets.get('t1'), [0, 1, 2, 3].map((i) => BigInt(sent.get(i)!.length)));
  await Promise.all([p.close(), cons.close(), admin.close()]);
});

test('platformatic: an idempotent producer whose answer was lost retries, and the broker keeps each record once', async () => {
  c.createTopic('idem', 1);
  const p = new Producer({ clientId: 'p', bootstrapBrokers: c.bootstrap, idempotent: true, serializers: stringSerializers, retries: 5, retryDelay: 20 });
  await p.send({ messages: [{ topic: 'idem', value: 'a0', partition: 0 }] });
  const producesBefore = c.requestCounts.get(ApiKey.Produce)!;
  c.dropNextProduceResponses(1);
  await p.send({ messages: [{ topic: 'idem', value: 'a1', partition: 0 }, { topic: 'idem', value: 'a2', partition: 0 }] });
  await p.send({ messages: [{ topic: 'idem', value: 'a3', partition: 0 }] });
  assert.ok(c.requestCounts.get(ApiKey.Produce)! - producesBefore >= 3, 'the dropped produce was sent again');
  assert.deepEqual(
    c.records('idem', 0).map((r) => r.value!.toString()),
    ['a0', 'a1', 'a2', 'a3'],
  );
  await p.close();
});

test('a producer that is not idempotent writes a retried batch twice (so the test above does test the sequence numbers)', async () => {
  c.createTopic('plain', 1);
  const p = new Producer({ clientId: 'p', bootstrapBrokers: c.bootstrap, idempotent: false, serializers: stringSerializers, retries: 5, retryDelay: 20 });
  c.dropNextProduceResponses(1);
  await p.send({ messages: [{ topic: 'plain', value: 'b0', partition: 0 }] });
  assert.deepEqual(
    c.records('plain', 0).map((r) => r.value!.toString()),
    ['b0', 'b0'],
  );
  await p.close();
});

test('platformatic: committed offsets are read back through OffsetFetch, per group', async () => {
  c.createTopic('commits', 3);
  const a = consumer('group-a');
  const b = consumer('group-b');
  await a.commit({ offsets: [{ topic: 'commits', partition: 0, offset: 5n, leaderEpoch: 0 }, { topic: 'commits', partition: 2, offset: 9n, leaderEpoch: 0 }] });
  await b.commit({ offsets: [{ topic: 'commits', partition: 1, offset: 4n, leaderEpoch: 0 }] });
  assert.deepEqual((await a.listCommittedOffsets({ topics: [{ topic: 'commits', partitions: [0, 1, 2] }] })).get('commits'), [5n, -1n, 9n]);
  assert.deepEqual((await b.listCommittedOffsets({ topics: [{ topic: 'commits', partitions: [0, 1, 2] }] })).get('commits'), [-1n, 4n, -1n]);
  await Promise.all([a.close(), b.close()]);
});

test('partitions added to a topic show in metadata and take records', async () => {
  const admin = new Admin({ clientId: 'a', bootstrapBrokers: c.bootstrap });
  await admin.createTopics({ topics: ['grow'], partitions: 2, replicas: 1 });
  await admin.createPartitions({ topics: [{ name: 'grow', count: 5 }] });
  const cons = consumer();
  assert.equal((await cons.metadata({ topics: ['grow'], forceUpdate: true })).topics.get('grow')!.partitionsCount, 5);
  c.addPartitions('grow', 6);
  assert.equal((await cons.metadata({ topics: ['grow'], forceUpdate: true })).topics.get('grow')!.partitionsCount, 6);
  const p = new Producer({ clientId: 'p', bootstrapBrokers: c.bootstrap, serializers: stringSerializers });
  await p.send({ messages: [{ topic: 'grow', value: 'new', partition: 5 }] });
  assert.deepEqual((await readAll(cons, 'grow', 5)).map((r) => r.value), ['new']);
  await Promise.all([p.close(), cons.close(), admin.close()]);
});

test('a leader move and a whole-cluster restart on the same ports: clients retry and lose nothing', async () => {
  c.createTopic('moves', 2);
  const p = new Producer({ clientId: 'p', bootstrapBrokers: c.bootstrap, idempotent: true, serializers: stringSerializers, retries: 30, retryDelay: 50 });
  await p.send({ messages: [{ topic: 'moves', value: 'm0', partition: 0 }] });
  const oldLeader = c.log('moves', 0)!.leader;
  c.moveLeader('moves', 0, 1 - oldLeader);
  const producesAtNew = () => c.brokerRequestCounts.get(`${1 - oldLeader}:${ApiKey.Produce}`) ?? 0;
  const before = producesAtNew();
  await p.send({ messages: [{ topic: 'moves', value: 'm1', partition: 0 }] });
  assert.equal(producesAtNew(), before + 1, 'the producer was sent to the new leader');
  const ports = c.bootstrap;
  await c.stop();
  const restarted = (async () => {
    await new Promise((r) => setTimeout(r, 300));
    await c.start();
  })();
  await p.send({ messages: [{ topic: 'moves', value: 'm2', partition: 0 }] });
  await restarted;
  assert.deepEqual(c.bootstrap, ports);
  const cons = consumer();
  assert.deepEqual((await readAll(cons, 'moves', 0)).map((r) => r.value), ['m0', 'm1', 'm2']);
  assert.equal(c.log('moves', 0)!.leader, 1 - oldLeader);
  await Promise.all([p.close(), cons.close()]);
});

test('kafkajs: produce, then a group consumer reads everything and commits; the admin client reads the commits', async () => {
  const kafka = new Kafka({ brokers: c.bootstrap, clientId: 'kjs', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 3 }] });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const expected = new Set<string>();
  for (let i = 0; i < 30; i++) {
    await producer.send({ topic: 'kjs', messages: [{ value: `x${i}`, partition: i % 3 }] });
    expected.add(`x${i}`);
  }
  const cons = kafka.consumer({ groupId: 'kjs-group' });
  await cons.connect();
  await cons.subscribe({ topic: 'kjs', fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    void cons.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length === expected.size) resolve();
      },
    });
  });
  await cons.disconnect();
  assert.deepEqual(new Set(seen), expected);
  assert.equal(seen.length, expected.size);
  const committed = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs'] });
  assert.deepEqual(
    committed[0]!.partitions.map((x) => [x.partition, x.offset]).sort(),
    [
      [0, '10'],
      [1, '10'],
      [2, '10'],
    ],
  );
  await producer.disconnect();
  await admin.disconnect();
});

/** One request on a raw socket; returns the decoded response. */
async function rawRequest(apiKey: number, version: number, body: Record<string, unknown>, responseVersion = version): Promise<Record<string, unknown>> {
  const schemas = SCHEMAS[apiKey]!;
  const w = new WireWriter().int16(apiKey).int16(version).int32(7).string('raw', false);
  const flexible = version >= schemas.request.flexible;
  if (flexible) w.noTags();
  encode(schemas.request, w, version, body);
  const payload = w.toBuffer();
  const sock = net.connect(c.portOf(0), '127.0.0.1');
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  sock.write(Buffer.concat([size, payload]));
  let buf = Buffer.alloc(0);
  const frame = await new Promise<Buffer>((resolve, reject) => {
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
    });
    sock.on('error', reject);
  });
  sock.destroy();
  const r = new WireReader(frame);
  assert.equal(r.int32(), 7, 'correlation id');
  if (flexible && apiKey !== ApiKey.ApiVersions) r.skipTags();
  return decode(schemas.response, r, responseVersion);
}

test('a record batch whose CRC-32C does not match is refused with CORRUPT_MESSAGE; an intact one is stored', async () => {
  c.createTopic('crc', 1);
  c.moveLeader('crc', 0, 0);
  const good = encodeBatch([{ key: null, value: Buffer.from('intact'), timestamp: 1n }]);
  const bad = Buffer.from(good);
  bad[bad.length - 2] ^= 0xff;
  const send = (records: Buffer) => rawRequest(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'crc', partitionData: [{ index: 0, records }] }] });
  const refused = (await send(bad)) as { responses: { partitionResponses: { errorCode: number }[] }[] };
  assert.equal(refused.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
  const stored = (await send(good)) as { responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] };
  assert.equal(stored.responses[0]!.partitionResponses[0]!.errorCode, 0);
  assert.deepEqual(
    c.records('crc', 0).map((r) => r.value!.toString()),
    ['intact'],
  );
});

test('ApiVersions at a version the broker does not know answers UNSUPPORTED_VERSION with its ranges (v0 body)', async () => {
  const res = await rawRequest(ApiKey.ApiVersions, 9, {}, 0);
  assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  const keys = (res.apiKeys as { apiKey: number }[]).map((k) => k.apiKey);
  for (const k of [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.FindCoordinator, ApiKey.InitProducerId, ApiKey.CreateTopics]) {
    assert.ok(keys.includes(k), `ApiVersions lists API ${k}`);
  }
});

test('run by hand (no IPC): the broker process says where it listens, restarts on SIGUSR1 on the same port with its records kept, and exits 0 on SIGTERM', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const script = fileURLToPath(new URL('./support/broker-process.js', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify({ topics: [['by-hand', 2]], ports: [port], restartAfterMs: 300 })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = async (text: string): Promise<void> => {
    const until = Date.now() + 20_000;
    while (!out.includes(text)) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`the broker process did not print '${text}' (stdout: ${JSON.stringify(out)})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    const addr = `127.0.0.1:${port}`;
    await waitFor(`kafka test broker listening on ${addr}\n`);
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const p = new Producer({ clientId: 'p', bootstrapBrokers: [addr], idempotent: true, serializers: stringSerializers, retries: 30, retryDelay: 50 });
    await p.send({ messages: values.map((value, i) => ({ topic: 'by-hand', value, partition: i % 2 })) });
    await p.close();
    child.kill('SIGUSR1');
    await waitFor('kafka test broker stopped (SIGUSR1)');
    await waitFor(`kafka test broker started again on ${addr}\n`);
    const cons = new Consumer({ clientId: 'test', groupId: 'by-hand', bootstrapBrokers: [addr], retries: 20, retryDelay: 50 });
    const read = [...(await readAll(cons, 'by-hand', 0)), ...(await readAll(cons, 'by-hand', 1))].map((r) => r.value);
    await cons.close();
    assert.deepEqual(read.sort(), [...values].sort(), 'every record produced before the restart is read after it');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
