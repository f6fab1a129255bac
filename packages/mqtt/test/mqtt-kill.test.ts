// kill -9 of the worker running the MQTT receiver (QoS 1) while 20,000 messages are being
// published: nothing is lost. The receiver acknowledges a message only once stored, and its
// session is persistent, so mosquitto sends what the killed receiver had not acknowledged
// to the restarted one. Delivery is at least once: the test dedupes by the id it gave each
// message and reports how many came twice. And a graceful stop mid-stream acknowledges what it
// stored: the next run with the same client id gets the rest, none twice.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;

before(async () => {
  broker = new Mosquitto();
  await broker.start();
  // Three workers: once the receiver's dies, two are left, so stored blocks still get a second copy.
  ({ cluster, procs } = await startKillableCluster(3));
});

after(async () => {
  await cluster?.stop();
  await broker?.dispose();
});

test("kill -9 of the MQTT receiver's worker (QoS 1): no message lost, the receiver restarts elsewhere", { timeout: 120_000 }, async () => {
  const N = 20_000;
  const topic = 'sensors/kill';
  const clientId = 'sluice-kill-test';
  await makeSession(broker.url, clientId, topic);
  const job = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: broker.url, topic, clientId, qos: 1, batchMs: 500, expectIds: N })]);
  const started = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
  const sent = emptySent();
  let published = 0;
  let killedAt = -1;
  // A steady flow (windows of 100, a pause after each), so messages are on their way when the worker dies.
  const publishing = publish(broker.url, topic, 0, N, 11, sent, {}, async (n) => {
    published = n;
    await new Promise((r) => setTimeout(r, 10));
  }, 100);
  // Once a quarter is counted (stored and acknowledged), with more arriving: kill the receiver's worker.
  const seen = (): number => jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').reduce((n, b) => n + b.ids.length, 0);
  await pollUntil(() => seen() >= N / 4 || undefined, 60_000, `a quarter of ${N} messages counted`);
  procs.get(started.workerId)!.kill('SIGKILL');
  killedAt = published;
  await publishing;
  assert.ok(killedAt > 0 && killedAt < N, `the receiver was killed mid-stream (${killedAt} published)`);
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const restarted = end.lines.filter((l) => l.startsWith('RECEIVER started ')).map((l) => (JSON.parse(l.slice('RECEIVER started '.length)) as { workerId: string }).workerId);
  assert.ok(restarted.some((w) => w !== started.workerId), `the receiver restarted on another worker: ${restarted.join(', ')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
  const distinct = [...new Set(ids)].sort((a, b) => a - b);
  const missing = sent.ids.filter((id) => !distinct.includes(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(distinct.length, N, 'no id counted that was never sent');
  console.log(`# killed after ${killedAt} published; ${ids.length} delivered, ${ids.length - N} twice (at least once, deduped by id)`);
});

test('a graceful stop mid-stream (QoS 1) acknowledges every message it stored: the next run with the same client id gets the rest, none twice, none lost', { timeout: 180_000 }, async () => {
  const N = 20_000;
  const topic = 'sensors/graceful';
  const clientId = 'sluice-graceful-test';
  const args = { url: broker.url, topic, clientId, qos: 1, batchMs: 500 };
  await makeSession(broker.url, clientId, topic);
  const first = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ ...args, expectIds: N, gracefulStopAt: N / 4 })]);
  await first.waitLine('RECEIVER started ', 30_000);
  const sent = emptySent();
  let published = 0;
  // A steady flow, so that blocks are being stored when the stop comes.
  const publishing = publish(broker.url, topic, 0, N, 17, sent, {}, async (n) => {
    published = n;
    await new Promise((r) => setTimeout(r, 20));
  }, 100);
  await first.waitLine('STOPPING', 60_000);
  const stoppedAt = published;
  const end1 = await first.finished(90_000);
  assert.ok(end1.ok, `${end1.failure}\n${end1.lines.slice(-20).join('\n')}`);
  await publishing;
  assert.ok(stoppedAt > 0 && stoppedAt < N, `the graceful stop came mid-stream (${stoppedAt} published)`);
  const ids1 = jsonLines<{ ids: number[] }>(end1.lines, 'BATCH ').flatMap((b) => b.ids);
  const once1 = new Set(ids1);
  const second = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ ...args, expectIds: N - once1.size })]);
  const end2 = await second.finished(90_000);
  assert.ok(end2.ok, `${end2.failure}\n${end2.lines.slice(-20).join('\n')}`);
  const ids2 = jsonLines<{ ids: number[] }>(end2.lines, 'BATCH ').flatMap((b) => b.ids);
  const twice = ids2.filter((id) => once1.has(id));
  assert.deepEqual(twice.slice(0, 20), [], `no message of the stopped run came again to the next (${twice.length} did)`);
  assert.equal(ids1.length, once1.size, 'none twice in the stopped run');
  assert.equal(ids2.length, new Set(ids2).size, 'none twice in the next run');
  const all = new Set([...ids1, ...ids2]);
  const missing = sent.ids.filter((id) => !all.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(all.size, N);
  console.log(`# stopped gracefully after ${stoppedAt} published; ${once1.size} in the stopped run, ${ids2.length} in the next`);
});
