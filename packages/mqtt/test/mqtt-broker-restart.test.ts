// The broker stopped and started again mid-stream: the receiver reconnects (same client id,
// persistent session kept in mosquitto's persistence file) and the stream resumes — every
// message published before the stop and after the start is counted (deduped by the id in
// each payload: a message stored but not acknowledged when the broker went away comes again).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, pollUntil, startJob } from './job-runner.js';
import { useBrokerAndCluster } from './support/env.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

const env = useBrokerAndCluster();

test('mosquitto stopped and started mid-stream: the stream resumes, no message lost', { timeout: 120_000 }, async () => {
  const HALF = 10_000;
  const topic = 'sensors/restart';
  const clientId = 'sluice-restart-test';
  await makeSession(env.broker.url, clientId, topic);
  const job = await startJob(env.cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: env.broker.url, topic, clientId, qos: 1, batchMs: 500, expectIds: 2 * HALF, reconnectPeriodMs: 300 })]);
  await job.waitLine('RECEIVER started ', 30_000);
  const sent = emptySent();
  await publish(env.broker.url, topic, 0, HALF, 5, sent);
  const seen = (): Set<number> => new Set(jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').flatMap((b) => b.ids));
  await pollUntil(() => seen().size > 0 || undefined, 60_000, 'the first message counted');
  await env.broker.stop();
  const atStop = seen().size;
  await job.waitLine('RECEIVER error ', 30_000, (l) => l.includes('cannot reach the broker'));
  await env.broker.start();
  await publish(env.broker.url, topic, HALF, HALF, 6, sent);
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(distinct.size, 2 * HALF, 'no id counted that was never sent');
  console.log(`# ${atStop} of the first ${HALF} counted when the broker stopped; ${ids.length} delivered, ${ids.length - 2 * HALF} twice`);
});
