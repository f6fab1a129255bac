// mosquitto stops answering mid-stream (SIGSTOP: it still takes connections, the kernel's,
// and answers nothing; no ping answer, no CONNACK), then is woken (SIGCONT): the receiver's
// keepalive gives up on its connection, it reports the silent broker (naming the URL, the
// wait and that it reconnects) and reconnects every reconnectPeriodMs, each CONNECT timing
// out after connectTimeoutMs until the broker is back; then it resumes its persistent session
// and the stream goes on. Every message published before and after the pause is counted
// (deduped by the id in each payload: QoS 1 is at least once), none that was never sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, pollUntil, startJob } from './job-runner.js';
import { useBrokerAndCluster } from './support/env.js';
import { emptySent, makeSession, publish } from './support/publisher.js';
import { pause, resume } from '@sluice/test-servers/pause';

const env = useBrokerAndCluster();

const HALF = 6000;

async function pausedRun(o: { topic: string; clientId: string; keepalive: number; connectTimeoutMs: number; pause: (job: Awaited<ReturnType<typeof startJob>>) => Promise<number> }) {
  await makeSession(env.broker.url, o.clientId, o.topic);
  const job = await startJob(env.cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: env.broker.url, topic: o.topic, clientId: o.clientId, qos: 1, batchMs: 500, expectIds: 2 * HALF, reconnectPeriodMs: 300, keepalive: o.keepalive, connectTimeoutMs: o.connectTimeoutMs })]);
  await job.waitLine('RECEIVER started ', 30_000);
  const sent = emptySent();
  const seen = (): Set<number> => new Set(jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').flatMap((b) => b.ids));
  let atPause = 0;
  let paused = 0;
  // Paused mid-read: after the first window of 2,000 was acknowledged by the broker, the
  // receiver taking them; the publisher's next window waits for the broker too.
  await publish(env.broker.url, o.topic, 0, HALF, 7, sent, {}, async (done) => {
    if (done !== 2000) return;
    await pollUntil(() => seen().size > 0 || undefined, 60_000, 'the first messages counted');
    atPause = seen().size;
    paused = await o.pause(job);
  });
  await publish(env.broker.url, o.topic, HALF, HALF, 8, sent);
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(distinct.size, 2 * HALF, 'no id counted that was never sent');
  const errors = end.lines.filter((l) => l.startsWith('RECEIVER error '));
  return { atPause, paused, twice: ids.length - distinct.size, errors };
}

test('mosquitto paused 8 s mid-read, past the receiver keepalive (2 s) and connectTimeoutMs (1.5 s): reported naming the wait, reconnected after, no message lost', { timeout: 180_000 }, async () => {
  const r = await pausedRun({
    topic: 'sensors/pause-long',
    clientId: 'sluice-pause-long',
    keepalive: 2,
    connectTimeoutMs: 1500,
    pause: async (job) => {
      pause(env.broker.pid);
      const t0 = Date.now();
      try {
        // the receiver noticed: its keepalive gave up (and its CONNECTs go unanswered)
        await job.waitLine('RECEIVER error ', 60_000, (l) => l.includes('did not answer'));
        await new Promise((res) => setTimeout(res, Math.max(0, 8000 - (Date.now() - t0))));
      } finally {
        resume(env.broker.pid);
      }
      return Date.now() - t0;
    },
  });
  const silent = r.errors.filter((l) => l.includes('did not answer'));
  assert.ok(silent.length > 0, r.errors.join('\n'));
  for (const l of silent) {
    assert.match(l, new RegExp(`MQTT: the broker at ${env.broker.url.replace(/\./g, '\\.')} (did not answer a ping within keepalive 2 s|accepted the connection and did not answer CONNECT within connectTimeoutMs 1500 ms) \\((Keepalive|connack) timeout\\): it is stopped or overloaded(, or no MQTT broker \\(another service that waits for more bytes listens on that port: check the port\\))?; reconnecting every 300 ms \\(reconnectPeriodMs\\), the session's unacknowledged messages come again`));
  }
  console.log(`# ${r.atPause} counted when paused for ${r.paused} ms; ${r.twice} delivered twice; receiver errors: ${r.errors.map((l) => l.slice(15, 200)).join(' | ')}`);
});

test('mosquitto paused 1 s mid-read, within the keepalive (10 s): ridden out on the same connection, no message lost', { timeout: 180_000 }, async () => {
  const r = await pausedRun({
    topic: 'sensors/pause-short',
    clientId: 'sluice-pause-short',
    keepalive: 10,
    connectTimeoutMs: 10_000,
    pause: async () => {
      pause(env.broker.pid);
      const t0 = Date.now();
      await new Promise((res) => setTimeout(res, 1000));
      resume(env.broker.pid);
      return Date.now() - t0;
    },
  });
  assert.deepEqual(r.errors, [], 'no receiver error');
  console.log(`# ${r.atPause} counted when paused for ${r.paused} ms; ${r.twice} delivered twice`);
});
