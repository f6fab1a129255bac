// Exactly-once Kafka -> aggregate -> Kafka (saveToKafkaTransactionally) across a worker frozen
// with SIGSTOP while it holds an open transaction on the output topic (a GC pause, a stalled
// VM), then woken with SIGCONT while the stream still runs: a zombie. The wire-level test
// broker (2 broker ids) and a driver in this process with 2 one-core worker processes (a 3 s
// worker timeout, heartbeats every 500 ms; a third worker joins after the freeze). Once the
// driver declares the frozen worker lost, its tasks run again elsewhere: their transactional
// id fences the frozen attempt and aborts its transaction. Woken, the zombie's requests carry
// the old producer epoch and must be refused, so nothing it wrote becomes visible. A
// read_committed reader of the output must see each word's count exactly as this test computes
// it from the input, each (word, input range) once; the group offsets must end at the input's
// ends; the job's own re-save of every batch must write nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { LocalCluster, createRootLogger } from '@sluice/cli';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { assertCommittedCounts } from './stream-test-support.js';
import { pollUntil } from './sluice-process.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { wordLines } from './support/word-lines.js';
import { pause, resume } from '@sluice/test-disk/pause';

interface Result {
  time: number;
  ranges: { topic: string; partition: number; fromOffset: number; untilOffset: number }[];
  again: { written: number; committed: number; skipped: number };
}

let kafka: KafkaTestCluster;
let cluster: LocalCluster;
before(async () => {
  kafka = await KafkaTestCluster.start({ brokers: 2 });
  cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log: createRootLogger('silent', { pretty: false }), driver: { workerTimeoutMs: 3000, heartbeatIntervalMs: 500 } });
  await cluster.start();
});
after(async () => {
  for (const w of cluster?.workerProcesses ?? []) if (w.signalCode === null && w.exitCode === null) resume(w);
  await cluster?.stop();
  await kafka?.close();
});

test('a worker frozen (SIGSTOP) with a transaction open, declared lost, then woken while the stream runs: every count seen once by read_committed', { timeout: 180_000 }, async (t) => {
  kafka.createTopic('px-words', 3);
  kafka.createTopic('px-counts', 2);
  const lines = wordLines('px-words', 23);
  const { expected } = lines;
  const producer = new Producer({ clientId: 'in', bootstrapBrokers: kafka.bootstrap, retries: 20, retryDelay: 100 });
  const send = (n: number): Promise<void> => lines.send(producer, n);
  const FIRST = 2400;
  const SECOND = 1200;
  try {
    await send(FIRST);
    const args = { brokers: kafka.bootstrap, inTopic: 'px-words', outTopic: 'px-counts', groupId: 'g-px', prefix: 'pausecount', batchMs: 500, slowMs: 40, expectRecords: FIRST + SECOND };
    const job = await startJob(cluster, fixture('transactional-job.ts'), [JSON.stringify(args)]);
    await job.waitLine('BATCH', 60_000);
    const openOnOutput = () => new Set(kafka.topics.get('px-counts')!.partitions.flatMap((l) => l.openProducers())).size;
    // Two tasks at a time on two one-core workers: with two transactions open, each worker holds one.
    await pollUntil(() => (openOnOutput() >= 2 ? true : undefined), 60_000, 'two transactions open on the output topic');
    const registry = cluster.driver.registry;
    const before = registry.all().map((w) => w.id);
    const zombie = cluster.workerProcesses[0]!;
    pause(zombie);
    const frozenAt = Date.now();
    const lost = await pollUntil(() => (registry.all().length < before.length ? before.find((id) => registry.get(id) === undefined) : undefined), 30_000, 'the frozen worker declared lost');
    cluster.addWorker();
    const batchesAtLoss = jsonLines<Result>(job.lines, 'BATCH ').length;
    await job.waitLine('BATCH', 60_000, () => jsonLines<Result>(job.lines, 'BATCH ').length >= batchesAtLoss + 2);
    resume(zombie);
    const wokenAt = Date.now();
    t.diagnostic(`worker ${lost} frozen for ${wokenAt - frozenAt} ms`);
    // The zombie registers again (a new worker id) while the stream still has input to read.
    await pollUntil(() => (registry.all().length >= before.length + 1 ? true : undefined), 30_000, 'the woken worker registered again');
    assert.equal(job.lines.some((l) => l.startsWith('STOPPED')), false, 'the stream still ran when the worker woke');
    await send(SECOND);
    const end = await job.finished(120_000);
    assert.ok(end.ok, `the job succeeded: ${end.failure}\n${end.lines.slice(-20).join('\n')}`);

    const batches = jsonLines<Result>(end.lines, 'BATCH ');
    for (const b of batches) assert.deepEqual(b.again, { written: 0, committed: 0, skipped: b.ranges.length }, `batch ${b.time}: saving it again wrote nothing`);
    const inputEnds = kafka.topics.get('px-words')!.partitions.map((l) => l.endOffset);
    assert.deepEqual([0, 1, 2].map((p) => kafka.groups.committed('g-px', 'px-words', p)), inputEnds, 'the group offsets, committed in the transactions, are the input partitions\' ends');
    assert.ok(kafka.topics.get('px-counts')!.partitions.reduce((a, l) => a + l.abortedCount, 0) >= 1, 'the frozen worker\'s transaction was aborted when its task ran again');
    await assertCommittedCounts(kafka, 'px-counts', [0, 1], expected);
  } finally {
    await producer.close();
  }
});
