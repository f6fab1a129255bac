// Exactly-once Kafka -> aggregate -> Kafka across a kill -9 of the driver: a driver
// process and 2 worker processes (separate OS processes), the test broker in this
// process. The job (fixtures/transactional-job.ts) is killed with its driver mid-stream,
// the driver restarted and the job submitted again: it starts from the group offsets
// committed in its transactions. A read_committed reader of the output must then see each
// word's count exactly as computed here from the input, each (word, input range) once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { fixture } from './job-runner.js';
import { freePort, pollUntil, randomSecret, startDriver, startWorker, submitDetached, type SluiceProcess } from './sluice-process.js';
import { assertCommittedCounts } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { wordLines } from './support/word-lines.js';

const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await kafka?.close();
});

test('kill -9 of the driver mid-stream, restart, submit again: read_committed output equals the input counts, each range once', async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  const k = kafka;
  k.createTopic('rs-words', 3);
  k.createTopic('rs-counts', 2);
  const lines = wordLines('rs-words', 5);
  const { expected } = lines;
  const produce = async (n: number): Promise<void> => {
    const p = new Producer({ clientId: 'in', bootstrapBrokers: k.bootstrap, retries: 20, retryDelay: 100 });
    await lines.send(p, n);
    await p.close();
  };
  await produce(2400);
  const secret = randomSecret();
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let driver = await startDriver(port, secret);
  procs.push(driver);
  for (let i = 0; i < 2; i++) procs.push(await startWorker(address, secret));
  const args = [JSON.stringify({ brokers: k.bootstrap, inTopic: 'rs-words', outTopic: 'rs-counts', groupId: 'g-rs', prefix: 'rs', batchMs: 500, slowMs: 20, expectRecords: 1e12 })];
  await submitDetached(address, secret, fixture('transactional-job.ts'), args);
  const committedSum = () => [0, 1, 2].reduce((a, p) => a + Math.max(0, Number(k.groups.committed('g-rs', 'rs-words', p))), 0);
  const openOnOutput = () => k.topics.get('rs-counts')!.partitions.some((l) => l.openProducers().length > 0);
  await pollUntil(() => (committedSum() >= 600 && openOnOutput() ? true : undefined), 60_000, 'committed batches and a transaction open');
  await driver.kill9();
  const ends = () => k.topics.get('rs-words')!.partitions.map((l) => l.endOffset);
  assert.ok(committedSum() < ends().reduce((a, b) => a + Number(b), 0), 'the driver died mid-stream');
  await produce(600);
  driver = await startDriver(port, secret);
  procs.push(driver);
  await pollUntil(() => (driver.logLines.filter((l) => l.includes('"worker joined"')).length >= 2 ? true : undefined), 30_000, 'the workers to register again');
  await submitDetached(address, secret, fixture('transactional-job.ts'), args);
  await produce(600);
  await pollUntil(() => ([0, 1, 2].every((p) => k.groups.committed('g-rs', 'rs-words', p) === ends()[p]) ? true : undefined), 90_000, 'every input offset committed');
  await new Promise((r) => setTimeout(r, 1000)); // a range written twice would show by now

  await assertCommittedCounts(k, 'rs-counts', [0, 1], expected);
});
