// A Kafka job's start (not a test): what each thread that runs a job pays to import its
// bundle, and a whole `sluice run` of a short Kafka job. Several checkouts (built) run
// alternately, a round running each once, so builds are compared under the same load;
// medians printed.
//
// 1. The import: packages/kafka/test/fixtures/count-job.ts bundled by each checkout's
//    bundleJob (@platformatic/kafka and @sluice/kafka inside, @sluice/core outside), then
//    imported in a fresh worker thread after @sluice/core, as a job thread of the driver or
//    of a worker imports it: the bundle's import, wall time and the process's CPU meanwhile.
//    The baseline is a thread's import of @sluice/core alone (what every job's thread pays).
// 2. The whole process: `sluice run --workers 2 count-job.ts` reading 2,000 records from
//    the kafka package's test broker (in this process) from the earliest offsets, until it
//    has counted them all: wall time and CPU of the process tree (GNU time; the CLI reaps
//    its workers). The job's count is checked.
//
//   node bench/job-import.js [rounds=5] [checkout ...]     (default checkout: this one)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TIME_CPU, spawnTimed, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 5);
const checkouts = (process.argv.length > 3 ? process.argv.slice(3) : [path.dirname(here)]).map((c) => path.resolve(c));
const RECORDS = 2_000;

// Each checkout's bundle of the same job file, written where its @sluice/core resolves.
const bundles = new Map();
for (const c of checkouts) {
  const { bundleJob } = await import(pathToFileURL(path.join(c, 'packages/cli/dist/src/index.js')).href);
  const b = await bundleJob(path.join(c, 'packages/kafka/test/fixtures/count-job.ts'));
  const file = path.join(c, 'packages/kafka/dist', `bench-import-${process.pid}.mjs`);
  fs.writeFileSync(file, b.code);
  bundles.set(c, { file, bytes: b.code.length });
}
const cleanup = () => { for (const { file } of bundles.values()) fs.rmSync(file, { force: true }); };
process.on('exit', cleanup);

/** A fresh thread imports @sluice/core, then (unless coreOnly) the bundle: ms of the second import and process CPU meanwhile. */
function threadImport(c, coreOnly) {
  const core = pathToFileURL(path.join(c, 'packages/core/dist/src/index.js')).href;
  const target = coreOnly ? core : pathToFileURL(bundles.get(c).file).href;
  const src = `const { parentPort } = require('node:worker_threads');
    (async () => {
      ${coreOnly ? '' : `await import(${JSON.stringify(core)});`}
      parentPort.postMessage('ready');
      await new Promise((r) => parentPort.once('message', r));
      const t0 = performance.now();
      await import(${JSON.stringify(target)} + '?' + Math.random());
      parentPort.postMessage(performance.now() - t0);
    })();`;
  return new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    let cpu0;
    w.on('error', reject);
    w.on('message', (m) => {
      if (m === 'ready') {
        cpu0 = process.cpuUsage();
        w.postMessage('go');
        return;
      }
      const cpu = process.cpuUsage(cpu0);
      void w.terminate();
      resolve({ ms: m, cpuMs: (cpu.user + cpu.system) / 1000 });
    });
  });
}

// The test broker, in this process, with RECORDS records in 2 topics x 2 partitions.
const { KafkaTestCluster } = await import(pathToFileURL(path.join(checkouts[0], 'packages/kafka/dist/test/support/kafka-test-cluster.js')).href);
const { createRequire } = await import('node:module');
const plt = await import(createRequire(path.join(checkouts[0], 'packages/kafka/package.json')).resolve('@platformatic/kafka'));
const broker = await KafkaTestCluster.start({ brokers: 1 });
const topics = ['import-a', 'import-b'];
for (const t of topics) broker.createTopic(t, 2);
const producer = new plt.Producer({ clientId: 'bench', bootstrapBrokers: broker.bootstrap });
for (let v = 1; v <= RECORDS; v += 500) {
  await producer.send({ messages: Array.from({ length: 500 }, (_, i) => ({ topic: topics[(v + i) % 2], partition: (v + i) % 2 === 0 ? 0 : 1, value: Buffer.from(String(v + i)) })) });
}
await producer.close();

let group = 0;
async function sluiceRun(c) {
  const args = JSON.stringify({ brokers: broker.bootstrap, topics, groupId: `g${group++}`, startingOffsets: 'earliest', batchMs: 500, expectTotal: RECORDS });
  const r = await spawnTimed('/usr/bin/time', [...TIME_CPU, process.execPath, path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--no-progress', '--workers', '2', path.join(c, 'packages/kafka/test/fixtures/count-job.ts'), args]);
  const counted = r.out.split('\n').filter((l) => l.startsWith('BATCH ')).reduce((n, l) => n + JSON.parse(l.slice(6)).count, 0);
  if (r.code !== 0 || counted !== RECORDS) throw new Error(`${c}: sluice run exited ${r.code}, counted ${counted} of ${RECORDS}: ${r.out}${r.err}`);
  return { ms: r.wallMs, cpuMs: r.cpuMs ?? NaN };
}

const results = new Map(checkouts.map((c) => [c, { core: [], bundle: [], run: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const c of checkouts) {
    const res = results.get(c);
    res.core.push(await threadImport(c, true));
    res.bundle.push(await threadImport(c, false));
    res.run.push(await sluiceRun(c));
  }
}
await broker.close();

const fmt = (xs, k) => `${median(xs.map((x) => x[k])).toFixed(0)}`;
console.log(`A Kafka job's start (count-job.ts), median of ${ROUNDS} alternating rounds`);
for (const c of checkouts) {
  const res = results.get(c);
  console.log(`  ${c}: bundle ${(bundles.get(c).bytes / 1024).toFixed(0)} KiB`);
  console.log(`    a thread's import of @sluice/core alone (baseline): wall ${fmt(res.core, 'ms')} ms, process CPU ${fmt(res.core, 'cpuMs')} ms`);
  console.log(`    a thread's import of the job's bundle (after core):  wall ${fmt(res.bundle, 'ms')} ms, process CPU ${fmt(res.bundle, 'cpuMs')} ms (each: ${res.bundle.map((x) => x.ms.toFixed(0)).join(' ')})`);
  console.log(`    sluice run --workers 2, ${RECORDS} records counted:      wall ${fmt(res.run, 'ms')} ms, tree CPU ${fmt(res.run, 'cpuMs')} ms (each: ${res.run.map((x) => x.ms.toFixed(0)).join(' ')})`);
}
process.exit(0);
