// The scale check: 100,000 QoS 1 messages published to a real mosquitto while a
// Sluice job (driver in this process, 2 worker processes) reads them with
// MQTTUtils.createStream; each key counted exactly as often as the test published it.
// Its bounds are for a loaded machine: at load 29 beside two other test files the test took
// 110 s (publishing and counting 86 s), so it bounds itself at 360 s and runs among
// scripts/test.sh's OWN_TIMEOUTS (600 s for the file), not under the lane's 240 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { useBrokerAndCluster } from './support/env.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

interface Batch {
  readonly time: number;
  readonly counts: Record<string, number>;
  readonly ids: number[];
}

const env = useBrokerAndCluster();

test('100,000 QoS 1 messages through MQTTUtils.createStream on 2 workers: every key counted exactly', { timeout: 360_000 }, async () => {
  const N = 100_000;
  const topic = 'sensors/count';
  const clientId = 'sluice-count-test';
  await makeSession(env.broker.url, clientId, topic);
  const sent = emptySent();
  const job = await startJob(env.cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: env.broker.url, topic, clientId, qos: 1, batchMs: 1000, expectIds: N })]);
  await job.waitLine('RECEIVER started', 60_000);
  const t0 = Date.now();
  await publish(env.broker.url, topic, 0, N, 7, sent);
  const published = (Date.now() - t0) / 1000;
  const end = await job.finished(240_000);
  const secs = (Date.now() - t0) / 1000;
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const batches = jsonLines<Batch>(end.lines, 'BATCH ');
  const got = new Map<string, number>();
  let total = 0;
  for (const b of batches) {
    for (const [k, n] of Object.entries(b.counts)) {
      got.set(k, (got.get(k) ?? 0) + n);
      total += n;
    }
  }
  assert.equal(total, N, 'each message counted once (no failure, so no redelivery)');
  assert.deepEqual([...got].sort(), [...sent.counts].sort());
  const ids = new Set(batches.flatMap((b) => b.ids));
  assert.equal(ids.size, N);
  assert.ok(batches.filter((b) => b.ids.length > 0).length >= 2, 'several batches');
  console.log(`# ${N} messages in ${secs.toFixed(1)} s (${Math.round(N / secs)} msg/s published and counted; publishing took ${published.toFixed(1)} s)`);
});
