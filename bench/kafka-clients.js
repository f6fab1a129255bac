// Kafka client benchmark (not a test): which client @sluice/kafka reads with.
// The wire-level test broker (packages/kafka/test/support) holds N records of 100 bytes in
// 4 partitions; each client reads all of them in one process, in the same run:
//  - @platformatic/kafka: a fetch loop (Consumer.fetch of each partition from a given
//    offset, as a direct stream's task reads its range), 1 MiB per partition per fetch;
//  - kafkajs: its group consumer from the beginning (eachBatch; kafkajs has no public
//    fetch-by-offset call, so this is the loop it offers), 1 MiB per partition.
// Prints records/s of each and the ratio. Each is run 3 times; the best run counts.
//
//   node bench/kafka-clients.js [records=400000]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaTestCluster } from '../packages/kafka/dist/test/support/kafka-test-cluster.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'packages', 'kafka', 'package.json'));
const plt = await import(require.resolve('@platformatic/kafka'));
const { Kafka, logLevel } = require('kafkajs');

const N = Number(process.argv[2] ?? 400_000);
const PARTITIONS = 4;
const cluster = await KafkaTestCluster.start({ brokers: 1 });
cluster.createTopic('bench', PARTITIONS);

const value = Buffer.alloc(100, 'x');
const producer = new plt.Producer({ clientId: 'bench', bootstrapBrokers: cluster.bootstrap });
for (let sent = 0; sent < N; ) {
  const messages = [];
  for (let i = 0; i < 1000 && sent < N; i++, sent++) messages.push({ topic: 'bench', partition: sent % PARTITIONS, value });
  await producer.send({ messages });
}
await producer.close();

async function platformaticLoop() {
  const consumer = new plt.Consumer({ clientId: 'bench', groupId: 'bench-plt', bootstrapBrokers: cluster.bootstrap });
  const md = await consumer.metadata({ topics: ['bench'] });
  const topic = md.topics.get('bench');
  const start = process.hrtime.bigint();
  let count = 0;
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      let next = 0n;
      const end = BigInt(cluster.log('bench', partition).endOffset);
      while (next < end) {
        const r = await consumer.fetch({
          node: topic.partitions[partition].leader,
          maxWaitTime: 0,
          topics: [{ topicId: topic.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
        });
        for (const b of r.responses[0].partitions[0].records ?? []) {
          for (const rec of b.records) {
            const offset = b.firstOffset + BigInt(rec.offsetDelta);
            if (offset < next) continue;
            count++;
          }
          next = b.firstOffset + BigInt(b.lastOffsetDelta) + 1n;
        }
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await consumer.close();
  if (count !== N) throw new Error(`platformatic read ${count} of ${N}`);
  return N / secs;
}

let run = 0;
async function kafkajsLoop() {
  const kafka = new Kafka({ brokers: cluster.bootstrap, clientId: 'bench', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-kjs-${run++}`, maxBytesPerPartition: 1 << 20, maxBytes: 4 << 20, maxWaitTimeInMs: 10 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'bench', fromBeginning: true });
  let count = 0;
  let start;
  const done = new Promise((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        start ??= process.hrtime.bigint();
        count += batch.messages.length;
        if (count >= N) resolve(process.hrtime.bigint());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  if (count !== N) throw new Error(`kafkajs read ${count} of ${N}`);
  // From its first batch: the group join before it is not the fetch loop.
  return N / (Number(end - start) / 1e9);
}

const best = async (fn) => Math.max(await fn(), await fn(), await fn());
const pltRate = await best(platformaticLoop);
const kjsRate = await best(kafkajsLoop);
await cluster.close();
console.log(`records: ${N} x 100 B in ${PARTITIONS} partitions`);
console.log(`@platformatic/kafka fetch loop: ${Math.round(pltRate)} records/s`);
console.log(`kafkajs consumer:               ${Math.round(kjsRate)} records/s`);
console.log(`ratio platformatic/kafkajs:     ${(pltRate / kjsRate).toFixed(2)}`);
