// Exactly-once Kafka -> aggregate -> Kafka with saveToKafkaTransactionally on a real
// cluster: the wire-level test broker (2 broker ids) and a Sluice driver with 2 worker
// processes, started once for the file. The input is keyed by word; part of it is written
// by a transactional producer, one transaction committed and one aborted (whose words
// must never be counted). A worker is killed with -9 while two transactions are open on
// the output topic. A read_committed reader of the output must then see each word's
// count exactly as this test computes it from the input it committed, each (word, input
// range) once; the killed attempt's transaction must have been aborted, and the job's
// own re-save of every batch must have been skipped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { assertCommittedCounts, useEnv } from './stream-test-support.js';
import { pollUntil } from './sluice-process.js';
import { wordLines } from './support/word-lines.js';

const env = useEnv();

interface Result {
  time: number;
  ranges: { topic: string; partition: number; fromOffset: number; untilOffset: number }[];
  first: { written: number; committed: number; skipped: number };
  again: { written: number; committed: number; skipped: number };
}

test('Kafka -> aggregate -> Kafka in one transaction per range: a worker killed mid-transaction, every count seen once by read_committed', async () => {
  const kafka = env.kafka;
  kafka.createTopic('tx-words', 3);
  kafka.createTopic('tx-counts', 2);
  const { expected, send } = wordLines('tx-words', 11);
  const plain = new Producer({ clientId: 'in', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
  await send(plain, 1500, true);
  const txp = new Producer({ clientId: 'in-tx', bootstrapBrokers: kafka.bootstrap, idempotent: true, transactionalId: 'input-writer', retries: 20, retryDelay: 100 });
  const committedTx = await txp.beginTransaction();
  await send(committedTx, 300, true);
  await committedTx.commit();
  const abortedTx = await txp.beginTransaction();
  await send(abortedTx, 300, false);
  await abortedTx.abort();
  await send(plain, 1500, true);
  await Promise.all([plain.close(), txp.close()]);
  const inputEnds = kafka.topics.get('tx-words')!.partitions.map((l) => l.endOffset);
  const expectRecords = inputEnds.reduce((a, b) => a + Number(b), 0);

  const args = { brokers: kafka.bootstrap, inTopic: 'tx-words', outTopic: 'tx-counts', groupId: 'g-tx', prefix: 'wordcount', batchMs: 500, slowMs: 40, expectRecords };
  const job = await startJob(env.cluster, fixture('transactional-job.ts'), [JSON.stringify(args)]);
  await job.waitLine('BATCH', 60_000);
  const openOnOutput = () => new Set(kafka.topics.get('tx-counts')!.partitions.flatMap((l) => l.openProducers())).size;
  await pollUntil(() => (openOnOutput() >= 2 ? true : undefined), 60_000, 'two transactions open on the output topic');
  const victim = env.cluster.workerProcesses[0]!;
  victim.kill('SIGKILL');
  env.cluster.addWorker();
  const end = await job.finished(120_000);
  assert.ok(end.ok, `the job succeeded: ${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assert.equal(victim.signalCode, 'SIGKILL');

  const batches = jsonLines<Result>(end.lines, 'BATCH ');
  for (const b of batches) {
    assert.deepEqual(b.again, { written: 0, committed: 0, skipped: b.ranges.length }, `batch ${b.time}: saving it again wrote nothing\n${end.lines.filter((l) => l.startsWith("BATCH")).join("\n")}`);
  }
  assert.deepEqual(
    [0, 1, 2].map((p) => kafka.groups.committed('g-tx', 'tx-words', p)),
    inputEnds,
    'the group offsets, committed in the transactions, are the input partitions ends',
  );
  assert.ok(
    kafka.topics.get('tx-counts')!.partitions.reduce((a, l) => a + l.abortedCount, 0) >= 1,
    'the killed worker left a transaction with records, aborted when its task was re-run',
  );

  await assertCommittedCounts(kafka, 'tx-counts', [0, 1], expected);
});
