// A direct Kafka stream whose start fails for good (brokers that never answer, a topic that
// does not exist) fails its StreamingContext at once, as Spark's ssc.start() throws what the
// stream's start() threw, not at the first batch. The context runs on a manual clock that
// nothing advances (fixtures/count-job.ts, manualClock; the test broker in this process, a
// driver with no worker): no batch ever comes, so awaitTermination can reject only through
// the start. On a system clock the first batch comes after the start's warm-up wait
// (WARM_UP_TIMEOUT_MS, 5 s, with no worker), and a bound of the rejection's time by that wait
// was outrun by load: 0.3-1.1 s at load 8-22, 1.9 s (unknown topic) and up to 4.6 s (a
// resetting port) at load 36. The time from ssc.start() to the rejection is reported.
// A broker that accepts connections but never answers Metadata (muted, as a hung broker) fails
// the start after the user's requestTimeoutMs per request (the client tries 4 times), not
// after @platformatic/kafka's default of 30 s per request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, startCluster, startJob } from './job-runner.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { ApiKey } from './support/protocol/messages.js';

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

async function failsAtStart(args: Record<string, unknown>, message: RegExp): Promise<number> {
  const job = await startJob(cluster, fixture('count-job.ts'), [JSON.stringify({ ...args, manualClock: true })]);
  let end: Awaited<ReturnType<typeof job.finished>>;
  try {
    // A bound on the job's silence (it prints only its failure): 60 s passed at load 61-68
    // before the job had started, in this test and the older one alike.
    end = await job.finished(150_000);
  } catch (err) {
    assert.fail(`the context did not fail within 150 s, where no batch can come (its clock is never advanced): the start's failure did not fail it\n${(err as Error).message}`);
  }
  assert.equal(end.ok, false, 'the job fails');
  assert.match(end.failure!, message);
  const line = end.lines.find((l) => l.startsWith('FAILED-AFTER '));
  assert.ok(line !== undefined, `awaitTermination rejected:\n${end.lines.join('\n')}`);
  assert.ok(!end.lines.some((l) => l.startsWith('BATCH ')), 'no batch ran');
  return Number(line.slice('FAILED-AFTER '.length));
}

test('an unknown topic and brokers that never answer fail the context at once, with no batch to come (a manual clock never advanced)', { timeout: 360_000 }, async (t) => {
  const unknown = await failsAtStart({ brokers: kafka.bootstrap, topics: ['no-such-topic'], groupId: 'g', batchMs: 500, expectTotal: 1 }, /SLUICE_BAD_ARGUMENT: KafkaUtils\.createDirectStream: Unknown topic no-such-topic.*create the topic or fix its name/);
  // A port nothing listens on, below the kernel's ephemeral range (no other socket takes it meanwhile).
  const closed = await freePort();
  const unreachable = await failsAtStart({ brokers: [`127.0.0.1:${closed}`], topics: ['x'], groupId: 'g', batchMs: 500, expectTotal: 1 }, new RegExp(`SLUICE_UNREACHABLE: KafkaUtils\\.createDirectStream: cannot reach Kafka brokers 127\\.0\\.0\\.1:${closed}`));
  t.diagnostic(`awaitTermination rejected ${unknown} ms (unknown topic) and ${unreachable} ms (unreachable brokers) after ssc.start()`);
});

test('a broker that never answers Metadata fails the start after requestTimeoutMs per request, not the 30 s default', { timeout: 200_000 }, async (t) => {
  const hung = await KafkaTestCluster.start({ brokers: 1 });
  try {
    hung.createTopic('x', 1);
    hung.muteRequests([ApiKey.Metadata]);
    const requestTimeoutMs = 2000;
    const after = await failsAtStart(
      { brokers: hung.bootstrap, topics: ['x'], groupId: 'g', batchMs: 500, expectTotal: 1, requestTimeoutMs, retryTimeoutMs: 2000 },
      /SLUICE_UNREACHABLE: KafkaUtils\.createDirectStream: cannot reach Kafka brokers 127\.0\.0\.1:\d+ \(reading metadata\):.*[Tt]imed out/,
    );
    assert.ok((hung.requestCounts.get(ApiKey.Metadata) ?? 0) >= 1, 'the broker was asked for metadata (and never answered)');
    // At least one request's timeout passed; and less than the library's default for one
    // request (30 s), which the client would wait 4 times without requestTimeoutMs.
    assert.ok(after >= requestTimeoutMs, `failed ${after} ms after ssc.start(), before a request could time out`);
    assert.ok(after < 30_000, `failed ${after} ms after ssc.start(): the request waited past ${requestTimeoutMs} ms`);
    t.diagnostic(`awaitTermination rejected ${after} ms after ssc.start() with requestTimeoutMs ${requestTimeoutMs}`);
  } finally {
    await hung.close();
  }
});
