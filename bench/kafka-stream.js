// Kafka benchmark (not a test), on the wire-level test broker (packages/kafka/test/support),
// driver + 2 workers x 1 core, in the same run:
//  1. read: N records of 100 bytes in 3 topics x 4 partitions, counted by a Sluice job
//     (a direct stream from the earliest offsets, 1 s batches, count per batch), vs the
//     client (@platformatic/kafka) alone reading the same records in one process with a
//     fetch loop over all 12 partitions, with fetches of 4 MiB (as Sluice's reader before
//     this round) and of 1 MiB (as its reader now). The job's count must be exactly N.
//  2. write: N records of 100 bytes written by saveToKafka from an RDD of 4 partitions vs
//     the client's producer alone in one process (1000 records a request, both idempotent).
// Prints records/s of each and the ratios, and beside each the CPU it took a record (µs, all
// its processes: this one, which holds the broker and the driver, and the workers; steadier
// than wall time on a shared machine).
//
//   node bench/kafka-stream.js [records=1000000]
//   node bench/kafka-stream.js compare <rounds> <records> <checkout> <checkout> ...
//     this script run over each checkout's build in turn (SLUICE_BENCH_CHECKOUT: its Sluice,
//     test broker, job and client), <rounds> times, a process each, one at a time: the
//     medians of each figure per checkout, with the load averages seen.
// SLUICE_BENCH_ONLY=read: the read half alone (the job and the client's loops; no write).
// SLUICE_BENCH_FETCH_DELAY_MS=<ms>: the test broker answers every Fetch that much later (the
//   round trip and the work of a broker across a network, which the loopback broker has not).
// Node options for the worker processes (e.g. to profile them and their task threads):
//   SLUICE_BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node bench/kafka-stream.js
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === 'compare') {
  const rounds = Number(process.argv[3]);
  const records = process.argv[4];
  const checkouts = process.argv.slice(5).map((c) => path.resolve(c));
  const labels = { 'read cpu': /read: .*?records\/s, ([\d.]+) µs/, 'write cpu': /write: .*?records\/s, ([\d.]+) µs/, read: /read: .*?([\d,]+) records\/s/, 'read alone 4M': /fetch loop alone[^:]*?(?:4 MiB[^:]*)?:\s+([\d,]+)/, 'read alone 1M': /fetch loop alone, 1 MiB fetches:\s+([\d,]+)/, write: /write: .*?([\d,]+) records\/s/, 'write alone': /producer alone:\s+([\d,]+)/ };
  const figures = checkouts.map(() => Object.fromEntries(Object.keys(labels).map((k) => [k, []])));
  const loads = [];
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of checkouts.entries()) {
      loads.push(os.loadavg()[0]);
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), records], { encoding: 'utf8', env: { ...process.env, SLUICE_BENCH_CHECKOUT: c } });
      if (run.status !== 0) throw new Error(`${c}: exit ${run.status}\n${run.stdout}${run.stderr}`);
      for (const [k, re] of Object.entries(labels)) {
        const m = re.exec(run.stdout);
        if (m) figures[i][k].push(Number(m[1].replaceAll(',', '')));
      }
      console.log(`round ${r + 1} ${c}: ${Object.entries(figures[i]).map(([k, v]) => `${k} ${v.at(-1) ?? '-'}`).join(', ')} (load ${loads.at(-1).toFixed(1)})`);
    }
  }
  console.log(`medians of ${rounds} rounds, ${Number(records).toLocaleString('en-US')} records, load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}:`);
  for (const [i, c] of checkouts.entries()) {
    const m = Object.fromEntries(Object.entries(figures[i]).filter(([, v]) => v.length > 0).map(([k, v]) => [k, median(v)]));
    const alone = Math.max(m['read alone 4M'] ?? 0, m['read alone 1M'] ?? 0);
    console.log(`  ${c}: ${Object.entries(m).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}; read/alone(best) ${(m.read / alone).toFixed(2)}x${m.write === undefined ? '' : `, write/alone ${(m.write / m['write alone']).toFixed(2)}x`}`);
  }
  process.exit(0);
}

const root = path.resolve(process.env.SLUICE_BENCH_CHECKOUT ?? path.join(here, '..'));
const { LocalCluster, bundleJob, createRootLogger } = await import(pathToFileURL(path.join(root, 'packages/cli/dist/src/index.js')).href);
const { KafkaTestCluster } = await import(pathToFileURL(path.join(root, 'packages/kafka/dist/test/support/kafka-test-cluster.js')).href);
const require = createRequire(path.join(root, 'packages', 'kafka', 'package.json'));
const plt = await import(require.resolve('@platformatic/kafka'));

const N = Number(process.argv[2] ?? 1_000_000);
const TOPICS = ['bench-a', 'bench-b', 'bench-c'];
const PARTITIONS = 4;
const broker = await KafkaTestCluster.start({ brokers: 1 });
for (const t of TOPICS) broker.createTopic(t, PARTITIONS);
broker.createTopic('sink-job', 4);
broker.createTopic('sink-alone', 4);

const value = Buffer.alloc(100, 'x');
const pad = 'x'.repeat(90);
const producer = new plt.Producer({ clientId: 'bench', bootstrapBrokers: broker.bootstrap });
for (let sent = 0; sent < N; ) {
  const messages = [];
  for (let i = 0; i < 1000 && sent < N; i++, sent++) messages.push({ topic: TOPICS[sent % 3], partition: Math.floor(sent / 3) % PARTITIONS, value });
  await producer.send({ messages });
}
await producer.close();
const fetchDelayMs = Number(process.env.SLUICE_BENCH_FETCH_DELAY_MS ?? 0);
if (fetchDelayMs > 0) broker.delayFetches(fetchDelayMs);

/** CPU time (ms) of this process and, given a cluster, of its worker processes (from /proc). */
function cpuMs(cluster) {
  return process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 + workersCpuMs(cluster);
}

function workersCpuMs(cluster) {
  let ticks = 0;
  for (const p of cluster?.workerProcesses ?? []) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const f = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // Not Linux, or the process is gone.
    }
  }
  return ticks * 10;
}

async function clientRead(fetchBytes) {
  const consumer = new plt.Consumer({ clientId: 'bench', groupId: 'bench-plt', bootstrapBrokers: broker.bootstrap });
  const md = await consumer.metadata({ topics: TOPICS });
  const start = process.hrtime.bigint();
  let count = 0;
  const cpu0 = cpuMs();
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
            maxBytes: fetchBytes,
            topics: [{ topicId: topic.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: fetchBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
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
  const cpu = cpuMs() - cpu0;
  await consumer.close();
  if (count !== N) throw new Error(`client read ${count} of ${N}`);
  return [N / secs, (cpu * 1000) / N];
}

/** The producer alone; `made`: each record's value made as the job's toRecord makes it (a string, then its UTF-8 bytes). */
async function clientWrite(made) {
  const p = new plt.Producer({ clientId: 'bench', bootstrapBrokers: broker.bootstrap, idempotent: true, acks: -1 });
  const start = process.hrtime.bigint();
  const cpu0 = cpuMs();
  for (let sent = 0; sent < N; ) {
    const messages = [];
    for (let i = 0; i < 1000 && sent < N; i++, sent++) messages.push({ topic: 'sink-alone', value: made ? Buffer.from(`${String(sent).padStart(10, '0')}${pad}`, 'utf8') : value });
    await p.send({ messages });
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = cpuMs() - cpu0;
  await p.close();
  return [N / secs, (cpu * 1000) / N];
}

const log = createRootLogger('silent', { pretty: false });
const workerNodeArgs = process.env.SLUICE_BENCH_WORKER_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log, ...(workerNodeArgs.length > 0 ? { workerExecArgv: workerNodeArgs } : {}) });
await cluster.start();
const bundle = await bundleJob(path.join(root, 'bench', 'kafka-job.ts'));
/** Runs the job; its RESULT and the CPU (µs a record) of every process from submission to end. */
async function runJob(args) {
  const cpu0 = cpuMs(cluster);
  const workers0 = workersCpuMs(cluster);
  const job = cluster.driver.submit({ name: 'bench', code: bundle.code, sourceMap: bundle.sourceMap, args: [JSON.stringify({ brokers: broker.bootstrap, topics: TOPICS, total: N, sinkTopic: 'sink-job', ...args })] });
  const lines = [];
  job.on('output', (l) => lines.push(l));
  const [state, error] = await new Promise((resolve) => job.once('end', (s, e) => resolve([s, e])));
  if (state !== 'succeeded') throw new Error(`bench job failed: ${error?.message}\n${lines.join('\n')}`);
  return { ...JSON.parse(lines.find((l) => l.startsWith('RESULT ')).slice(7)), cpu: ((cpuMs(cluster) - cpu0) * 1000) / N, workersCpu: ((workersCpuMs(cluster) - workers0) * 1000) / N };
}

const read = await runJob({ mode: 'count' });
// The Fetch requests the job's tasks made (a test broker that records them; checkouts before it do not).
const jobFetches = broker.fetchOffsets ? TOPICS.reduce((n, t) => n + Array.from({ length: PARTITIONS }, (_, p) => broker.fetchOffsets.get(`${t}/${p}`)?.length ?? 0).reduce((a, b) => a + b, 0), 0) : undefined;
if (read.records !== N) throw new Error(`the job counted ${read.records} records of ${N}`);
const jobRead = N / (read.ms / 1000);
const [aloneRead4, aloneReadCpu4] = await clientRead(4 << 20);
const [aloneRead, aloneReadCpu] = await clientRead(1 << 20);
const readOnly = process.env.SLUICE_BENCH_ONLY === 'read';
const write = readOnly ? undefined : await runJob({ mode: 'sink' });
const written = broker.topics.get('sink-job').partitions.reduce((n, l) => n + Number(l.endOffset), 0);
if (write && (write.records !== N || written !== N)) throw new Error(`the sink wrote ${write.records} (broker has ${written}) of ${N}`);
const [aloneWrite, aloneWriteCpu] = readOnly ? [] : await clientWrite(false);
const [aloneWriteMade, aloneWriteMadeCpu] = readOnly ? [] : await clientWrite(true);
await cluster.stop();
await broker.close();

const f = (x) => Math.round(x).toLocaleString('en-US').padStart(10);
const c = (us) => `, ${us.toFixed(1)} µs CPU a record`;
console.log(`kafka, ${N.toLocaleString('en-US')} records of 100 B, ${TOPICS.length} topics x ${PARTITIONS} partitions, test broker${fetchDelayMs > 0 ? ` answering each fetch ${fetchDelayMs} ms late` : ''}, driver + 2 workers x 1 core`);
console.log(`  read:  sluice direct stream, count per 1 s batch: ${f(jobRead)} records/s${c(read.cpu)} (${read.workersCpu.toFixed(1)} in the workers)  (counted ${read.records.toLocaleString('en-US')}, exact${jobFetches === undefined ? '' : `; ${jobFetches} fetches`})`);
console.log(`         @platformatic/kafka fetch loop alone, 4 MiB fetches: ${f(aloneRead4)} records/s${c(aloneReadCpu4)}`);
console.log(`         @platformatic/kafka fetch loop alone, 1 MiB fetches: ${f(aloneRead)} records/s${c(aloneReadCpu)}`);
console.log(`         ratio sluice / client alone (the faster):  ${(jobRead / Math.max(aloneRead, aloneRead4)).toFixed(2)}x`);
if (!write) process.exit(0);
const jobWrite = N / (write.ms / 1000);
console.log(`  write: sluice saveToKafka, RDD of 4 partitions:   ${f(jobWrite)} records/s${c(write.cpu)} (${write.workersCpu.toFixed(1)} in the workers)  (broker holds ${written.toLocaleString('en-US')}, exact)`);
console.log(`         @platformatic/kafka producer alone:        ${f(aloneWrite)} records/s${c(aloneWriteCpu)}`);
console.log(`         the same, values made a record as the job's:  ${f(aloneWriteMade)} records/s${c(aloneWriteMadeCpu)}`);
console.log(`         ratio sluice / client alone:               ${(jobWrite / aloneWrite).toFixed(2)}x`);
