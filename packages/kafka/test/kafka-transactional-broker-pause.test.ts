// Exactly-once Kafka -> aggregate -> Kafka (saveToKafkaTransactionally, fixtures/
// transactional-job.ts) across a broker that stops answering in the middle of a transaction:
// the test broker (in this process; a driver here, 2 one-core worker processes) pauses itself
// (KafkaTestCluster.pause: nothing read or answered, as a SIGSTOP) as it reads a chosen request
// of a transaction, for 3x the job's requestTimeoutMs, three times: a transactional produce,
// the TxnOffsetCommit (the range's offsets in the transaction), and the EndTxn (the commit; the
// broker applies it and its answer is held: the classic lost commit answer). Each time the
// client times out; whatever saveToKafkaTransactionally does then (retry, or fail the task
// and run it again, fencing the old producer), a read_committed reader must see each word's
// count exactly as computed here from the input, each (word, input range) once, the group's
// offsets at the input's ends, and the job's own re-save of every batch write nothing.
// Kafka: a transactional producer's request that times out is retried, and an EndTxn whose
// answer is lost is retried too (the coordinator answers a repeated commit as done).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { LocalCluster, createRootLogger } from '@sluice/cli';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { assertCommittedCounts } from './stream-test-support.js';
import { pollUntil } from './sluice-process.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { wordLines } from './support/word-lines.js';
import { ApiKey } from './support/protocol/messages.js';

interface Result {
  time: number;
  ranges: { topic: string; partition: number; fromOffset: number; untilOffset: number }[];
  again: { written: number; committed: number; skipped: number };
}

const REQUEST_TIMEOUT_MS = 1000;
let kafka: KafkaTestCluster;
let cluster: LocalCluster;
before(async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log: createRootLogger('silent', { pretty: false }) });
  await cluster.start();
});
after(async () => {
  kafka?.resume();
  await cluster?.stop();
  await kafka?.close();
});

test('a broker that stops answering (paused 3x the request timeout) at a transactional produce, a TxnOffsetCommit and an EndTxn: every count seen once by read_committed, offsets at the ends, a re-save writes nothing', { timeout: 180_000 }, async (t) => {
  kafka.createTopic('bp-words', 3);
  kafka.createTopic('bp-counts', 2);
  const lines = wordLines('bp-words', 38);
  const { expected } = lines;
  const producer = new Producer({ clientId: 'in', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
  const send = (n: number): Promise<void> => lines.send(producer, n);
  const PER_ROUND = 600;
  const moments = [
    ['a transactional produce', ApiKey.Produce, 'bp-counts'],
    ['a TxnOffsetCommit', ApiKey.TxnOffsetCommit, undefined],
    ['an EndTxn', ApiKey.EndTxn, undefined],
  ] as const;
  try {
    await send(PER_ROUND);
    const args = { brokers: kafka.bootstrap, inTopic: 'bp-words', outTopic: 'bp-counts', groupId: 'g-bp', prefix: 'bpause', batchMs: 500, slowMs: 5, expectRecords: PER_ROUND * (moments.length + 1), requestTimeoutMs: REQUEST_TIMEOUT_MS };
    const job = await startJob(cluster, fixture('transactional-job.ts'), [JSON.stringify(args)]);
    await job.waitLine('BATCH', 60_000);
    const notes: string[] = [];
    for (const [what, apiKey, topic] of moments) {
      let pausedAt = 0;
      kafka.onRequest = (k, request) => {
        const topics = ((request.topicData ?? request.topics ?? []) as { name?: string }[]).map((x) => x.name);
        if (k !== apiKey || (topic !== undefined && !topics.includes(topic))) return;
        kafka.onRequest = undefined;
        kafka.pause();
        pausedAt = Date.now();
      };
      // Input for the transactions to be paused in.
      await send(PER_ROUND);
      await pollUntil(() => (pausedAt > 0 ? true : undefined), 60_000, `the broker paused at ${what}`);
      const batchesAtPause = jsonLines<Result>(job.lines, 'BATCH ').length;
      await new Promise((r) => setTimeout(r, 3 * REQUEST_TIMEOUT_MS));
      kafka.resume();
      notes.push(`${what}: paused ${Date.now() - pausedAt} ms`);
      await job.waitLine('BATCH', 60_000, () => jsonLines<Result>(job.lines, 'BATCH ').length >= batchesAtPause + 2);
    }
    const end = await job.finished(120_000);
    assert.ok(end.ok, `the job succeeded: ${end.failure}\n${end.lines.slice(-20).join('\n')}`);
    const batches = jsonLines<Result>(end.lines, 'BATCH ');
    for (const b of batches) assert.deepEqual(b.again, { written: 0, committed: 0, skipped: b.ranges.length }, `batch ${b.time}: saving it again wrote nothing`);
    const inputEnds = kafka.topics.get('bp-words')!.partitions.map((l) => l.endOffset);
    assert.deepEqual([0, 1, 2].map((p) => kafka.groups.committed('g-bp', 'bp-words', p)), inputEnds, "the group offsets, committed in the transactions, are the input partitions' ends");
    await assertCommittedCounts(kafka, 'bp-counts', [0, 1], expected);
    const aborted = kafka.topics.get('bp-counts')!.partitions.reduce((a, l) => a + l.abortedCount, 0);
    t.diagnostic(`${notes.join('; ')}; ${batches.length} batches, ${aborted} transactions aborted on the output`);
  } finally {
    kafka.resume();
    kafka.onRequest = undefined;
    await producer.close();
  }
});
