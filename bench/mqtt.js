// MQTT benchmark (not a test): messages/s through a Sluice count (MQTTUtils.createStream,
// QoS 1, driver + 2 workers x 1 core, 500 ms batches) vs the `mqtt` client alone
// subscribing to the same mosquitto, in the same run. For each, N messages of ~100 bytes
// are first queued by the broker for a persistent session; the time runs from the connect
// (the receiver's start) to the last message received (the client) or counted (Sluice).
// Best of 3 each.
//
//   node bench/mqtt.js [N=100000]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';
import { Mosquitto } from '../packages/mqtt/dist/test/support/mosquitto.js';
import { emptySent, makeSession, publish } from '../packages/mqtt/dist/test/support/publisher.js';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../packages/mqtt/package.json'));
const mqtt = (await import(require.resolve('mqtt'))).default;
const N = Number(process.argv[2] ?? 100_000);
const ROUNDS = 3;

const broker = new Mosquitto();
await broker.start();
const log = createRootLogger('silent', { pretty: false });
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'error', log });
await cluster.start();
const bundle = await bundleJob(path.join(here, 'mqtt-job.ts'));

async function fill(clientId, topic) {
  await makeSession(broker.url, clientId, topic);
  await publish(broker.url, topic, 0, N, 1, emptySent());
}

async function clientAlone(round) {
  const topic = `bench/alone/${round}`;
  const clientId = `alone-${round}`;
  await fill(clientId, topic);
  const start = performance.now();
  let got = 0;
  const c = mqtt.connect(broker.url, { clientId, clean: false, protocolVersion: 5, properties: { receiveMaximum: 65535, sessionExpiryInterval: 0xffffffff } });
  await new Promise((resolve) => c.on('message', () => ++got === N && resolve()));
  const ms = performance.now() - start;
  await c.endAsync();
  return ms;
}

async function throughSluice(round) {
  const topic = `bench/sluice/${round}`;
  const clientId = `sluice-${round}`;
  await fill(clientId, topic);
  const start = Date.now();
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [JSON.stringify({ url: broker.url, topic, clientId, total: N, batchMs: 500 })] });
  let at = 0;
  job.on('output', (l) => {
    if (l.startsWith('COUNTED ')) at = JSON.parse(l.slice(8)).at;
  });
  const [state, error] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  if (state !== 'succeeded' || !at) throw new Error(`bench job ${state}: ${error?.message}`);
  return at - start;
}

try {
  const alone = [];
  const sluice = [];
  for (let r = 0; r < ROUNDS; r++) {
    alone.push(await clientAlone(r));
    sluice.push(await throughSluice(r));
  }
  const rate = (ms) => Math.round((N / Math.min(...ms)) * 1000);
  console.log(`mqtt client alone:  ${rate(alone)} msg/s (best of ${ROUNDS}: ${alone.map((m) => Math.round(m)).join(', ')} ms)`);
  console.log(`Sluice count:       ${rate(sluice)} msg/s (best of ${ROUNDS}: ${sluice.map((m) => Math.round(m)).join(', ')} ms; includes job start and the 500 ms batch)`);
} finally {
  await cluster.stop();
  await broker.dispose();
}
