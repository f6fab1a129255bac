// Kafka benchmark (not a test), on the wire-level test broker (packages/kafka/test/support),
// driver + 2 workers x 1 core, in the same run:
//  1. read: N records of 100 bytes in 3 topics x 4 partitions, counted by a Sluice job
//     (a direct stream from the earliest offsets, 1 s batches, count per batch), vs the
//     client (@platformatic/kafka) alone reading the same records in one process with a
//     fetch loop over all 12 partitions. The job's count must be exactly N.
//  2. write: N records of 100 bytes written by saveToKafka from an RDD of 4 partitions vs
//     the client's producer alone in one process (1000 records a request, both idempotent).
// Prints records/s of each and the ratios.
//
//   node bench/kafka-stream.js [records=1000000]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { KafkaTestCluster } from '../packages/kafka/dist/test/support/kafka-test-cluster.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'packages', 'kafka', 'package.json'));
const plt = await import(require.resolve('@platformatic/kafka'));

const N = Number(process.argv[2] ?? 1_000_000);
const TOPICS = ['bench-a', 'bench-b', 'bench-c'];
const PARTITIONS = 4;
const broker = await KafkaTestCluster.start({ brokers: 1 });
for (const t of TOPICS) broker.createTopic(t, PARTITIONS);
broker.createTopic('sink-job', 4);
broker.createTopic('sink-alone', 4);

const value = Buffer.alloc(100, 'x');
const producer = new plt.Producer({ clientId: 'bench', bootstrapBrokers: broker.bootstrap });
for (let sent = 0; sent < N; ) {
  const messages = [];
  for (let i = 0; i < 1000 && sent < N; i++, sent++) messages.push({ topic: TOPICS[sent % 3], partition: Math.floor(sent / 3) % PARTITIONS, value });
  await producer.send({ messages });
}
await producer.close();

async function clientRead() {
  const consumer = new plt.Consumer({ clientId: 'bench', groupId: 'bench-plt', bootstrapBrokers: broker.bootstrap });
  const md = await consumer.metadata({ topics: TOPICS });
  const start = process.hrtime.bigint();
  let count = 0;
  await Promise.all(
    TOPICS.flatMap((t) =>
      Array.from({ length: PARTITIONS }, async (_, partition) => {
        const topic = md.topics.get(t);
        let next = 0n;
        const end = broker.log(t, partition).endOffset;
        while (next < end) {
          const r = await consumer.fetch({
            node: topic.partitions[partition].leader,
            maxWaitTime: 0,
            topics: [{ topicId: topic.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 4 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
          });
          for (const b of r.responses[0].partitions[0].records ?? []) {
            for (const rec of b.records) if (b.firstOffset + BigInt(rec.offsetDelta) >= next) count++;
            next = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
          }
        }
      }),
    ),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await consumer.close();
  if (count !== N) throw new Error(`client read ${count} of ${N}`);
  return N / secs;
}

async function clientWrite() {
  const p = new plt.Producer({ clientId: 'bench', bootstrapBrokers: broker.bootstrap, idempotent: true, acks: -1 });
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < N; ) {
    const messages = [];
    for (let i = 0; i < 1000 && sent < N; i++, sent++) messages.push({ topic: 'sink-alone', value });
    await p.send({ messages });
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await p.close();
  return N / secs;
}

const log = createRootLogger('silent', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log });
await cluster.start();
const bundle = await bundleJob(path.join(here, 'kafka-job.ts'));
async function runJob(args) {
  const job = cluster.driver.submit({ name: 'bench', code: bundle.code, sourceMap: bundle.sourceMap, args: [JSON.stringify({ brokers: broker.bootstrap, topics: TOPICS, total: N, sinkTopic: 'sink-job', ...args })] });
  const lines = [];
  job.on('output', (l) => lines.push(l));
  const [state, error] = await new Promise((resolve) => job.once('end', (s, e) => resolve([s, e])));
  if (state !== 'succeeded') throw new Error(`bench job failed: ${error?.message}\n${lines.join('\n')}`);
  return JSON.parse(lines.find((l) => l.startsWith('RESULT ')).slice(7));
}

const read = await runJob({ mode: 'count' });
if (read.records !== N) throw new Error(`the job counted ${read.records} records of ${N}`);
const jobRead = N / (read.ms / 1000);
const aloneRead = await clientRead();
const write = await runJob({ mode: 'sink' });
const written = broker.topics.get('sink-job').partitions.reduce((n, l) => n + Number(l.endOffset), 0);
if (write.records !== N || written !== N) throw new Error(`the sink wrote ${write.records} (broker has ${written}) of ${N}`);
const jobWrite = N / (write.ms / 1000);
const aloneWrite = await clientWrite();
await cluster.stop();
await broker.close();

const f = (x) => Math.round(x).toLocaleString('en-US').padStart(10);
console.log(`kafka, ${N.toLocaleString('en-US')} records of 100 B, ${TOPICS.length} topics x ${PARTITIONS} partitions, test broker, driver + 2 workers x 1 core`);
console.log(`  read:  sluice direct stream, count per 1 s batch: ${f(jobRead)} records/s  (counted ${read.records.toLocaleString('en-US')}, exact)`);
console.log(`         @platformatic/kafka fetch loop alone:      ${f(aloneRead)} records/s`);
console.log(`         ratio sluice / client alone:               ${(jobRead / aloneRead).toFixed(2)}x`);
console.log(`  write: sluice saveToKafka, RDD of 4 partitions:   ${f(jobWrite)} records/s  (broker holds ${written.toLocaleString('en-US')}, exact)`);
console.log(`         @platformatic/kafka producer alone:        ${f(aloneWrite)} records/s`);
console.log(`         ratio sluice / client alone:               ${(jobWrite / aloneWrite).toFixed(2)}x`);
