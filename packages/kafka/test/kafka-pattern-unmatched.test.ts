// A topicPattern that matches no topic (a typo, or a topic not created yet): the driver's log
// says so once, naming the pattern, the brokers and the topics they have, where the stream read
// nothing without a word (user55: `^clickz` for the topic `clicks` looked like a topic nobody
// writes to). A `sluice run` of the count fixture (driver and log in one process, 1 worker)
// against the in-process test broker; once a matching topic is created its records are counted
// once each, checked against what the test produced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, pollUntil, runDriverProcess } from './job-runner.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { ApiKey } from './support/protocol/messages.js';
import { assertTotals, jobArgs, nothing, produce, type Batch } from './stream-test-support.js';

test('a topicPattern matching no topic is warned of once, naming the pattern, the brokers and their topics; a topic created later is read', { timeout: 180_000 }, async () => {
  const kafka = await KafkaTestCluster.start({ brokers: 1 });
  kafka.createTopic('clicks', 1);
  kafka.createTopic('orders', 1);
  const run = runDriverProcess(fixture('count-job.ts'), jobArgs(kafka, { topicPattern: '^clickz', groupId: 'g-pat', startingOffsets: 'earliest', expectTotal: 400 }), 1);
  try {
    const warned = (): { msg: string; topicPattern?: string; brokers?: string }[] =>
      run
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"component":"kafka-direct-stream"') && l.includes('matches no topic'))
        .map((l) => JSON.parse(l) as { msg: string });
    await pollUntil(() => warned().length > 0 || undefined, 90_000, 'a warning that the pattern matches no topic');
    // More batches list the topics and find none: still the one warning.
    const listed = kafka.requestCounts.get(ApiKey.Metadata) ?? 0;
    await pollUntil(() => (kafka.requestCounts.get(ApiKey.Metadata) ?? 0) >= listed + 4 || undefined, 60_000, 'four more topic listings');
    const bootstrap = kafka.bootstrap.join(',');
    assert.equal(warned().length, 1, run.stderr());
    const [w] = warned();
    assert.equal(w!.msg, `kafka direct stream: topicPattern /^clickz/ matches no topic on brokers ${bootstrap} (they have 2: clicks, orders); the stream reads nothing until a matching topic is created: check the pattern (tested against each topic name) and the brokers`);
    assert.equal(w!.topicPattern, '/^clickz/');
    assert.equal(w!.brokers, bootstrap);

    kafka.createTopic('clickz-1', 2);
    const want = nothing();
    await produce(kafka, ['clickz-1'], 2, 400, 41, want);
    assert.equal(await run.exited, 0, run.stderr());
    assertTotals(jsonLines<Batch>(run.lines, 'BATCH '), want);
    assert.equal(warned().length, 1, run.stderr());
  } finally {
    await run.kill9();
    await kafka.close();
  }
});
