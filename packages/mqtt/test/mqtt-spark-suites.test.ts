// Bahir's streaming-mqtt MQTTStreamSuite, case by case, against a real mosquitto and a
// driver with 2 worker processes (both started once for the file): "mqtt input stream"
// (createStream on one topic, a tcp:// broker URL) and "mqtt input stream2"
// (createPairedStream over two topics: [topic, message] pairs), and the paired stream under
// a wildcard filter (each pair names the topic the message was published to). Bahir publishes
// again and again until something arrives; here the receiver's persistent session is made
// first (the broker keeps what is published before the receiver subscribes), so each message
// is published once and the test expects exactly what it published. Bahir's
// createPairedByteArrayStream (JavaMQTTStreamSuite calls it) with payloads that are not text.
// Not Bahir's: a persistent session that keeps an earlier run's subscription to other topics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { useBrokerAndCluster } from './support/env.js';

const env = useBrokerAndCluster();

/** The persistent session `clientId` will resume, subscribed to `filters` at QoS 1. */
async function session(clientId: string, filters: string[]): Promise<void> {
  const c = await mqtt.connectAsync(env.broker.url, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 0xffffffff }, reconnectPeriod: 0 });
  await c.subscribeAsync(filters, { qos: 1 });
  await c.endAsync();
}

/** Publishes each [topic, message] once, QoS 1, in order. */
async function publish(messages: [string, string | Buffer][]): Promise<void> {
  const c = await mqtt.connectAsync(env.broker.url, { clientId: `pub-${Date.now()}`, clean: true, reconnectPeriod: 0 });
  try {
    for (const [t, m] of messages) await c.publishAsync(t, m, { qos: 1 });
  } finally {
    await c.endAsync();
  }
}

async function run(o: { topics: string[]; clientId: string; paired: boolean; bytes?: boolean; expect: number }, receiverErrors: string[] = []): Promise<unknown[]> {
  const url = env.broker.url.replace(/^mqtt:/, 'tcp:'); // Bahir's "tcp://" + brokerUri
  const end = await (await startJob(env.cluster, fixture('mqtt-spark-job.ts'), [JSON.stringify({ url, batchMs: 500, ...o })])).finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  assert.ok(end.lines.includes('DONE'));
  receiverErrors.push(...jsonLines<string>(end.lines, 'RECEIVER_ERROR '));
  return jsonLines<unknown[]>(end.lines, 'GOT ').flat();
}

test("MQTTStreamSuite 'mqtt input stream': createStream(ssc, 'tcp://…', topic) gives each message's payload as a string, once, in order", async () => {
  await session('bahir-def', ['def']);
  const sent = ['MQTT demo for spark streaming', 'zweite Nachricht: äöü €', ''];
  await publish(sent.map((m) => ['def', m]));
  await publish([['def-other', 'not subscribed']]);
  assert.deepEqual(await run({ topics: ['def'], clientId: 'bahir-def', paired: false, expect: sent.length }), sent);
});

test("MQTTStreamSuite 'mqtt input stream2': createPairedStream over two topics gives [topic, message] pairs; under a wildcard filter each pair names the topic published to", async () => {
  await session('bahir-pairs', ['def1', 'def2', 'sensors/+']);
  const sent: [string, string][] = [
    ['def1', 'MQTT demo for spark streaming1'],
    ['def2', 'MQTT demo for spark streaming2'],
    ['sensors/a', 'a1'],
    ['sensors/b', 'b1'],
    ['def1', 'again 1'],
    ['sensors/a/deep', 'not matched by sensors/+'],
  ];
  await publish(sent);
  const got = (await run({ topics: ['def1', 'def2', 'sensors/+'], clientId: 'bahir-pairs', paired: true, expect: 5 })) as [string, string][];
  const want = sent.filter(([t]) => t !== 'sensors/a/deep');
  const key = (p: [string, string]) => JSON.stringify(p);
  assert.deepEqual([...got].map(key).sort(), want.map(key).sort(), 'each message once, with its own topic');
  assert.deepEqual(got.filter(([t]) => t === 'def1'), want.filter(([t]) => t === 'def1'), "one topic's messages in the order published");
});

test("MQTTUtils.createPairedByteArrayStream (Bahir's JavaMQTTStreamSuite API): [topic, payload] pairs with each payload's bytes as a Buffer, bytes that are not UTF-8 kept as sent", async () => {
  await session('bahir-bytes', ['def1', 'def2']);
  const sent: [string, Buffer][] = [
    ['def1', Buffer.from('MQTT demo for spark streaming1')],
    ['def2', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3])],
    ['def1', Buffer.alloc(0)],
  ];
  await publish(sent);
  const got = (await run({ topics: ['def1', 'def2'], clientId: 'bahir-bytes', paired: true, bytes: true, expect: sent.length })) as [string, string, boolean][];
  const want = sent.map(([t, b]) => [t, b.toString('hex'), true]);
  const key = (p: unknown) => JSON.stringify(p);
  assert.deepEqual([...got].map(key).sort(), want.map(key).sort(), 'each message once, its bytes exactly, a Buffer on the worker');
});

test('a persistent session that keeps an earlier run\'s subscription to other topics (changed code, same clientId) gives the stream only its own topics: the others\' messages are acknowledged, left out and reported once', async () => {
  // The earlier run subscribed to sensors/+/temp; this run's code asks for sensors/+/hum only.
  await session('changed-topics', ['sensors/+/temp', 'sensors/+/hum']);
  const sent: [string, string][] = [];
  for (let i = 0; i < 12; i++) sent.push([`sensors/${i % 3}/${i % 2 === 0 ? 'temp' : 'hum'}`, `m${i}`]);
  await publish(sent);
  const errors: string[] = [];
  const want = sent.filter(([t]) => t.endsWith('/hum'));
  const got = (await run({ topics: ['sensors/+/hum'], clientId: 'changed-topics', paired: true, expect: want.length }, errors)) as [string, string][];
  const key = (p: [string, string]) => JSON.stringify(p);
  assert.deepEqual([...got].map(key).sort(), want.map(key).sort(), 'the stream holds its own topic filter\'s messages, each once, and no other');
  const stray = errors.filter((e) => e.includes('matches none of'));
  assert.equal(stray.length, 1, `reported once: ${JSON.stringify(errors)}`);
  assert.match(stray[0]!, /topic "sensors\/[0-2]\/temp", which matches none of this stream's topic filters \["sensors\/\+\/hum"\] \(topics\): the persistent session of clientId "changed-topics" keeps the subscriptions an earlier run made/);
  assert.match(stray[0]!, /unsubscribe its filter with a client of that clientId and no clean start while the job is stopped \(a clean start ends the whole session, dropping what it holds for the job; a new clientId leaves the old session queueing messages for nobody\)$/);
  // Acknowledged: the session holds none of them for its next connection, which gets (after
  // what it redelivers, first) only a marker published once it is connected.
  const again: string[] = [];
  const c = mqtt.connect(env.broker.url, { clientId: 'changed-topics', clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 0xffffffff }, reconnectPeriod: 0 });
  const marker = new Promise<void>((resolve) => c.on('message', (t, m) => (m.toString() === 'marker' ? resolve() : again.push(`${t} ${m.toString()}`))));
  try {
    await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
    await publish([['sensors/9/hum', 'marker']]);
    await within(marker, 20_000, 'the marker published after the session resumed');
  } finally {
    await c.endAsync();
  }
  assert.deepEqual(again, [], 'no message of the session comes again: each was acknowledged');
});

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not come within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
