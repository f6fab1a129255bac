// Bad input to MQTTUtils.createStream against a real mosquitto that wants a password:
// an unreachable broker, a port where another service answers and wrong credentials are receiver errors (StreamingListener
// onReceiverError, as `sluice jobs` and the driver log show them) naming MQTT, the broker
// URL and the setting to fix; the receiver keeps retrying. A bad option fails the job at
// once. The right credentials read every message (the control).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { SluiceContext, StreamingContext } from '@sluice/core';
import { MQTTUtils } from '../src/index.js';
import { fixture, freePort, jsonLines, startCluster, startJob } from './job-runner.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
let cluster: LocalCluster;
const USER = { username: 'sluice', password: 'right-horse-battery' };

before(async () => {
  broker = new Mosquitto({ [USER.username]: USER.password });
  await broker.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await broker?.dispose();
});

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

async function receiverError(args: object): Promise<string> {
  const job = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ topic: 't/bad', batchMs: 500, expectIds: 1, reconnectPeriodMs: 300, ...args })]);
  try {
    const line = await job.waitLine('RECEIVER error ', 30_000);
    const message = (JSON.parse(line.slice('RECEIVER error '.length)) as { message: string }).message;
    assert.ok(job.lastReceiverError()?.endsWith(message), `sluice jobs shows the error: ${job.lastReceiverError()}`);
    return message;
  } finally {
    job.cancel();
    await job.done;
  }
}

test('an unreachable broker: a receiver error naming MQTT, the broker URL and brokerUrl', async () => {
  const url = `mqtt://127.0.0.1:${await freePort()}`;
  const message = await receiverError({ url, clientId: 'bad-unreachable' });
  assert.match(message, new RegExp(`^MQTT: cannot reach the broker at ${esc(url)} \\(brokerUrl\\): .*ECONNREFUSED.*check the host and port and that the broker runs \\(retrying every 300 ms\\)$`), 'the error said once, inside the advice');
});

test('a broker host name that does not resolve: a receiver error saying the name does not resolve, naming it', async () => {
  // .invalid never resolves (RFC 2606, RFC 6761): the lookup ends at this machine's resolver, nothing is sent to a broker.
  const url = 'mqtt://no-such-broker.invalid:1883';
  const message = await receiverError({ url, clientId: 'bad-host-name' });
  assert.match(message, new RegExp(`^MQTT: cannot reach the broker at ${esc(url)} \\(brokerUrl\\): the host name "no-such-broker\\.invalid" does not resolve to an address \\(getaddrinfo ENOTFOUND no-such-broker\\.invalid: no DNS record or /etc/hosts entry for it\\); check its spelling, or give the broker's IP address \\(retrying every 300 ms\\)$`), 'the error said once, inside the advice');
});

test('a port where another service answers (a web server): a receiver error saying it is not an MQTT broker and to check the port', async () => {
  const web = http.createServer((_req, res) => res.end('not MQTT'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
  try {
    const url = `mqtt://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const message = await receiverError({ url, clientId: 'bad-web-server' });
    assert.match(message, new RegExp(`^MQTT: what answered at ${esc(url)} \\(brokerUrl\\) is not an MQTT broker: its answer to CONNECT is no MQTT packet \\(Invalid header flag bits.*\\); check the port \\(an MQTT broker listens on 1883.*\\(retrying every 300 ms\\)$`));
  } finally {
    web.closeAllConnections();
    await new Promise<void>((resolve) => web.close(() => resolve()));
  }
});

test('a wrong password: a receiver error naming MQTT, the broker URL and the username/password options', async () => {
  const message = await receiverError({ url: broker.url, clientId: 'bad-password', username: USER.username, password: 'wrong' });
  assert.match(message, new RegExp(`^MQTT: the broker at ${esc(broker.url)} refused the credentials \\(username "sluice", password set\\): .*check the username and password options$`));
  const anonymous = await receiverError({ url: broker.url, clientId: 'bad-anonymous' });
  assert.match(anonymous, /^MQTT: the broker at .* refused the credentials \(no username, no password\)/);
});

test('a wrong password in brokerUrl (mqtt://user:password@host): the error names the user from the URL and never shows the password', async () => {
  const secret = 'wrong-in-url-7731';
  const url = broker.url.replace('mqtt://', `mqtt://${USER.username}:${secret}@`);
  const message = await receiverError({ url, clientId: 'bad-url-password' });
  const shown = broker.url.replace('mqtt://', `mqtt://${USER.username}:***@`);
  assert.ok(!message.includes(secret), `the password is not shown: ${message}`);
  assert.match(message, new RegExp(`^MQTT: the broker at ${esc(shown)} refused the credentials \\(username "sluice" \\(from brokerUrl\\), password set \\(in brokerUrl\\)\\): .*check the user and password in brokerUrl$`));
});

test('a bad option fails the job at once, naming MQTT, the option and its value', async () => {
  const job = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: broker.url, topic: 't/bad', batchMs: 500, expectIds: 1, qos: 2 })]);
  const end = await job.finished(30_000);
  assert.equal(end.ok, false);
  assert.match(end.failure ?? '', /SLUICE_BAD_ARGUMENT: .*MQTT: qos 2 is not valid: use 0 .* or 1/);
  const job2 = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: 'http://127.0.0.1:1', topic: 't/bad', batchMs: 500, expectIds: 1 })]);
  const end2 = await job2.finished(30_000);
  assert.match(end2.failure ?? '', /SLUICE_BAD_ARGUMENT: .*MQTT: brokerUrl "http:\/\/127\.0\.0\.1:1" is not valid: the scheme must be one of mqtt:/);
});

test("a brokerUrl without a scheme ('localhost:1883', as Kafka's bootstrap servers are written) fails the job at once saying to write mqtt://host:port, not that the scheme is wrong", async () => {
  const cases: [given: string, at: string][] = [
    ['localhost:1883', 'localhost:1883'], // a URL of scheme 'localhost:' to the WHATWG parser
    ['127.0.0.1:1883', '127.0.0.1:1883'], // no URL at all
    ['broker', 'broker:1883'], // no port: MQTT's 1883
    ['[::1]:1884', '[::1]:1884'],
  ];
  for (const [given, at] of cases) {
    const job = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: given, topic: 't/bad', batchMs: 500, expectIds: 1 })]);
    const end = await job.finished(30_000);
    assert.equal(end.ok, false);
    const said = `SLUICE_BAD_ARGUMENT: MQTT: brokerUrl "${given}" is not valid: it has no scheme; write mqtt://${at} (or tcp://${at}, as Spark's MQTTUtils and Paho take it; mqtts:// or ssl:// for TLS, ws:// or wss:// for MQTT over WebSocket)`;
    assert.ok(end.failure?.includes(said), `${given}: ${end.failure}`);
  }
});

test('the right credentials: every message read, QoS 1 and QoS 0 (the control)', async () => {
  const topic = 't/auth';
  const clientId = 'good-password';
  await makeSession(broker.url, clientId, topic, USER);
  const sent = emptySent();
  await publish(broker.url, topic, 0, 2000, 3, sent, USER);
  // Published at QoS 0, delivered at QoS 0 to the QoS 1 subscription (queued: queue_qos0_messages).
  await publish(broker.url, topic, 2000, 500, 4, sent, USER, undefined, 500, 0);
  const job = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: broker.url, topic, clientId, batchMs: 500, expectIds: 2500, ...USER })]);
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
  assert.equal(ids.length, 2500);
  assert.deepEqual([...new Set(ids)].sort((a, b) => a - b), sent.ids);
  assert.ok(!end.lines.some((l) => l.startsWith('RECEIVER error ')), end.lines.filter((l) => l.startsWith('RECEIVER error ')).join('\n'));
});

test("an option the stream does not know (a misspelt qos, Bahir's or Spark's name) is refused at the call, naming it, Sluice's setting and the options", () => {
  // No broker or cluster: the refusal comes from createStream itself, before any receiver runs.
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const ssc = new StreamingContext(sc, 1000);
  const url = 'tcp://127.0.0.1:1883';
  const options = 'qos, clientId, username, password, persistentSession, keepalive, connectTimeoutMs, reconnectPeriodMs';
  const refused = (call: () => unknown, message: string): void =>
    assert.throws(call, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message.endsWith(message), message);
  const where = 'MQTTUtils.createStream(ssc, brokerUrl, topics, options)';
  refused(() => MQTTUtils.createStream(ssc, url, 't', { Qos: 0 } as object), `${where}: unknown option 'Qos'; the options are ${options}`);
  refused(() => MQTTUtils.createPairedStream(ssc, url, 't', { maxRatePerPartition: 100 } as object), `${where}: unknown option 'maxRatePerPartition' (Spark's setting; in Sluice: { receiverMaxRate: 100 } on the StreamingContext (records per second per receiver)); the options are ${options}`);
  refused(() => MQTTUtils.createPairedByteArrayStream(ssc, url, 't', { keepAliveInterval: 60 } as object), `${where}: unknown option 'keepAliveInterval' (Spark's setting; in Sluice: { keepalive: 60 } (seconds)); the options are ${options}`);
  refused(() => MQTTUtils.createStream(ssc, url, 't', { qos: 1, cleanSession: true } as object), `unknown option 'cleanSession' (Spark's setting; in Sluice: { persistentSession: false } for a clean session (persistentSession is its opposite; default true)); the options are ${options}`);
  // Options that are no object (a storage level or a partition count written after the topics) were taken as none.
  refused(() => MQTTUtils.createStream(ssc, url, 't', 2 as unknown as object), `${where}: the options must be an object ({ name: value, ... }), got 2 (a number); the options are ${options}`);
  refused(() => MQTTUtils.createStream(ssc, url, 't', 'MEMORY_AND_DISK_SER_2' as unknown as object), `${where}: the options must be an object ({ name: value, ... }), got "MEMORY_AND_DISK_SER_2" (a string); the options are ${options}`);
  refused(() => MQTTUtils.createStream(ssc, url, 't', null as unknown as object), `${where}: the options must be an object ({ name: value, ... }), got null; the options are ${options}`);
  // A port past 65535: the URL parser refuses it as it does no URL at all, which the message said ('give a URL such as ...').
  refused(() => MQTTUtils.createStream(ssc, 'mqtt://localhost:70000', 't'), 'MQTT: brokerUrl "mqtt://localhost:70000" is not valid: the port 70000 is out of range: give a port from 1 to 65535 (an MQTT broker listens on 1883, or 8883 for mqtts://)');
  // Every option the interface has is taken.
  MQTTUtils.createStream(ssc, url, 't', { qos: 0, clientId: 'c', username: 'u', password: 'p', persistentSession: false, keepalive: 10, connectTimeoutMs: 100, reconnectPeriodMs: 100 });
});

test("a topic filter MQTT does not allow ('#' not last or not a whole level, '+' inside a level, a shared subscription without its filter) is refused at the call, naming it and the rule", () => {
  // mqtt.js refuses such a filter when the receiver subscribes: the job ran on, receiving nothing (user60, 'sensors/#/temp').
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const ssc = new StreamingContext(sc, 1000);
  const url = 'tcp://127.0.0.1:1883';
  const refused = (topics: string | string[], message: string): void =>
    assert.throws(() => MQTTUtils.createPairedStream(ssc, url, topics), (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  const tail = 'a subscription to it is refused, so the stream would receive nothing';
  refused('sensors/#/temp', `MQTT: topic filter "sensors/#/temp" is not valid: '#' must be a whole level and the last one ("sensors/#"), not "#" with levels after it; ${tail}`);
  refused(['ok/+', 'sensors/temp#'], `MQTT: topic filter "sensors/temp#" is not valid: '#' must be a whole level and the last one ("sensors/#"), not "temp#"; ${tail}`);
  refused('sensors/s+/temp', `MQTT: topic filter "sensors/s+/temp" is not valid: '+' must be a whole level ("sensors/+/temp"), not "s+"; ${tail}`);
  refused('$share/g', `MQTT: topic filter "$share/g" is not valid: a shared subscription is $share/GROUP/FILTER: a group name without '+' or '#', then a filter; ${tail}`);
  refused('$share/g+/a', `MQTT: topic filter "$share/g+/a" is not valid: a shared subscription is $share/GROUP/FILTER: a group name without '+' or '#', then a filter; ${tail}`);
  // Filters MQTT allows are taken.
  for (const ok of ['#', '+', 'sensors/#', 'sensors/+/temp', '+/+/#', '/a', 'a//b', '$share/g/sensors/+', '$SYS/#']) MQTTUtils.createStream(ssc, url, ok);
});
