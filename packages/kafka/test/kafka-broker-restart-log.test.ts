// What the driver's log says when the Kafka brokers restart under a running direct stream:
// each failed lookup's warning names the brokers, the call, and how long it is retried before
// the job fails, the client's error without its repeats, and once they answer again one line
// says so. A `sluice run` of the count
// fixture (driver and log in one process, 1 worker) against the in-process test broker, which
// is stopped for ~2 s between batches; the counts are checked against what the test produced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, pollUntil, runDriverProcess } from './job-runner.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { assertTotals, jobArgs, nothing, produce, type Batch } from './stream-test-support.js';

test('a broker restart under the stream: warnings name the brokers and the retry left, a line says when they answer again, every record counted once', { timeout: 180_000 }, async () => {
  const kafka = await KafkaTestCluster.start({ brokers: 1 });
  kafka.createTopic('rl', 2);
  const run = runDriverProcess(fixture('count-job.ts'), jobArgs(kafka, { topics: ['rl'], groupId: 'g-rl', startingOffsets: 'earliest', retryTimeoutMs: 60_000, expectTotal: 1200 }), 1);
  try {
    const want = nothing();
    await produce(kafka, ['rl'], 2, 600, 31, want);
    await pollUntil(() => jsonLines<Batch>(run.lines, 'BATCH ').some((b) => b.count > 0) || undefined, 90_000, 'a first batch with records');
    await kafka.stop();
    await pollUntil(() => /failed on brokers/.test(run.stderr()) || undefined, 30_000, 'a warning that a broker call failed');
    await new Promise((r) => setTimeout(r, 1000));
    await kafka.start();
    await produce(kafka, ['rl'], 2, 600, 32, want);
    assert.equal(await run.exited, 0, run.stderr());
    const warns = run.stderr().split('\n').filter((l) => l.includes('"component":"kafka-direct-stream"')).map((l) => JSON.parse(l) as { msg: string; brokers?: string; err?: string; retryingForMs?: number });
    const failed = warns.filter((w) => w.msg.includes('failed on brokers'));
    const bootstrap = kafka.bootstrap.join(',');
    assert.ok(failed.length > 0, run.stderr());
    for (const w of failed) {
      assert.equal(w.brokers, bootstrap);
      assert.ok(w.msg.includes(`failed on brokers ${bootstrap}`) && /retrying for \d+ ms more \(retryTimeoutMs 60000\), then the job fails/.test(w.msg), w.msg);
      assert.ok(w.retryingForMs! > 0 && w.retryingForMs! <= 60_000, w.msg);
      const parts = w.err!.split(': ');
      assert.equal(new Set(parts).size, parts.length, `the client's error names each message once: ${w.err}`);
    }
    const again = warns.filter((w) => w.msg.includes('the brokers answer again'));
    assert.ok(again.length >= 1, `no line says the brokers answer again:\n${run.stderr()}`);
    assert.equal(again[again.length - 1]!.brokers, bootstrap);
    assertTotals(jsonLines<Batch>(run.lines, 'BATCH '), want);
  } finally {
    await run.kill9();
    await kafka.close();
  }
});
