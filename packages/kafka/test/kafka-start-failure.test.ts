// A direct Kafka stream whose start fails for good (brokers that never answer, a topic that
// does not exist) fails its StreamingContext at once, as Spark's ssc.start() throws what the
// stream's start() threw, not at the first batch, which comes after the start's warm-up job.
// The driver here has no worker (the test broker in this process, fixtures/count-job.ts), so
// the warm-up job cannot run and the first batch cannot come before its wait
// (WARM_UP_TIMEOUT_MS, 5 s) is over: awaitTermination must reject before that, with the
// stream's error (the job prints the time from ssc.start() to the rejection).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { WARM_UP_TIMEOUT_MS } from '@sluice/core/internal';
import { fixture, startCluster, startJob } from './job-runner.js';
import { jobArgs } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

let kafka: KafkaTestCluster;
let cluster: LocalCluster;
before(async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  cluster = await startCluster(0);
});
after(async () => {
  await cluster?.stop();
  await kafka?.close();
});

async function failsAtStart(args: readonly string[], message: RegExp): Promise<number> {
  const job = await startJob(cluster, fixture('count-job.ts'), args);
  const end = await job.finished(60_000);
  assert.equal(end.ok, false, 'the job fails');
  assert.match(end.failure!, message);
  const line = end.lines.find((l) => l.startsWith('FAILED-AFTER '));
  assert.ok(line !== undefined, `awaitTermination rejected:\n${end.lines.join('\n')}`);
  const ms = Number(line.slice('FAILED-AFTER '.length));
  assert.ok(ms < WARM_UP_TIMEOUT_MS, `awaitTermination rejected ${ms} ms after ssc.start(): at the first batch, after the warm-up's wait (${WARM_UP_TIMEOUT_MS} ms), not at once`);
  return ms;
}

test('an unknown topic and brokers that never answer fail the context at once, not at the first batch after the warm-up', async (t) => {
  const unknown = await failsAtStart(jobArgs(kafka, { topics: ['no-such-topic'], groupId: 'g', expectTotal: 1 }), /SLUICE_BAD_ARGUMENT: KafkaUtils\.createDirectStream: Unknown topic no-such-topic.*create the topic or fix its name/);
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const unreachable = await failsAtStart([JSON.stringify({ brokers: [`127.0.0.1:${closed}`], topics: ['x'], groupId: 'g', batchMs: 500, expectTotal: 1 })], new RegExp(`SLUICE_UNREACHABLE: KafkaUtils\\.createDirectStream: cannot reach Kafka brokers 127\\.0\\.0\\.1:${closed}`));
  t.diagnostic(`awaitTermination rejected ${unknown} ms (unknown topic) and ${unreachable} ms (unreachable brokers) after ssc.start()`);
});
