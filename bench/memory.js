// Memory over a long run (not a test): bench/memory-job.ts (socket word count with a
// window with an inverse, mapWithState, a per-partition sink; checkpointed) on a local
// cluster (this process is the driver, 2 worker processes of 2 cores), fed `rate` lines/s
// of 100 bytes by a generator process. Every `sampleSeconds` it prints the driver's RSS and
// V8 heap in use (this process, after a full GC when run with --expose-gc), and each
// worker's RSS, main-thread heap and block counts as its heartbeat reports them.
//
//   node --expose-gc bench/memory.js [seconds=300] [rate=2000] [intervalMs=250] [sampleSeconds=30]
// BENCH_CACHE=1 runs the job with its `cache` output (a cached RDD and a broadcast each batch, forgotten).
// BENCH_TABLES=1 also prints the driver's per-job tables' sizes (the DAG scheduler's, the UI's).
// BENCH_WORKER_IMPORT=FILE starts the workers with --import FILE and sends them SIGHUP at the
// first and last sample (a preload that writes its threads' heap snapshots on SIGHUP, say).
// BENCH_RETAINED_BATCHES=N: the driver's --retained-batches. BENCH_SNAPSHOTS=1 starts the workers with --heapsnapshot-signal=SIGUSR2 and sends each a
// SIGUSR2 after the first and the last sample, and writes the driver's (its main thread's and
// the job's program thread's), all in the working directory.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import { makeLines } from './lines.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

function runGenerator(rate) {
  const pool = makeLines(10_000);
  let client;
  let off = 0;
  let debt = 0;
  let last = performance.now();
  const server = net.createServer((s) => {
    client = s;
    s.on('error', () => undefined);
  });
  setInterval(() => {
    const now = performance.now();
    if (!client) return void (last = now);
    debt += (rate * (now - last)) / 1000;
    last = now;
    let n = Math.floor(debt);
    debt -= n;
    while (n > 0) {
      const take = Math.min(n, 10_000 - off);
      client.write(pool.subarray(off * 100, (off + take) * 100));
      off = (off + take) % 10_000;
      n -= take;
    }
  }, 20);
  process.on('message', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

const mb = (b) => (b === undefined ? '?' : (b / 2 ** 20).toFixed(1));
function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

async function main() {
  const [seconds, rate, intervalMs, sampleSeconds] = [Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 2000), Number(process.argv[4] ?? 250), Number(process.argv[5] ?? 30)];
  const cli = await import(pathToFileURL(path.join(here, '../packages/cli/dist/src/index.js')).href);
  const log = cli.createRootLogger('warn', { pretty: false });
  const snapshots = process.env.BENCH_SNAPSHOTS === '1';
  const cluster = new cli.LocalCluster({ workers: 2, coresPerWorker: 2, logLevel: 'warn', log, driver: process.env.BENCH_RETAINED_BATCHES ? { retainedBatches: Number(process.env.BENCH_RETAINED_BATCHES) } : {}, workerExecArgv: snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : process.env.BENCH_WORKER_IMPORT ? ['--import', process.env.BENCH_WORKER_IMPORT] : [] });
  const bundle = await cli.bundleJob(path.join(here, 'memory-job.ts'));
  await cluster.start();
  const gen = fork(self, ['generator', String(rate)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const port = await new Promise((r) => gen.once('message', (m) => r(m.port)));
  const job = cluster.driver.submit({ name: 'memory', code: bundle.code, sourceMap: bundle.sourceMap, args: ['127.0.0.1', String(port), String(intervalMs), String(seconds * 1000), ...(process.env.BENCH_CACHE === '1' ? ['cache'] : [])] });
  job.on('output', (l) => {
    if (process.env.BENCH_BATCHES) console.log('   ', l);
  });
  const ended = new Promise((r) => job.once('end', (s, e) => r([s, e])));
  const t0 = Date.now();
  let done = false;
  ended.then(() => (done = true));
  const pids = cluster.workerProcesses.map((c) => c.pid);
  console.log(`# ${seconds} s, ${rate} lines/s, ${intervalMs} ms batches, 2 workers x 2 cores${process.env.BENCH_CACHE === '1' ? ', a cached RDD and a broadcast forgotten each batch' : ''}; load ${os.loadavg()[0].toFixed(1)}`);
  console.log('t(s)  driver rss/heap MB broadcasts | worker rss/heap MB blocks(in/shuf/rdd/bc) ...');
  let samples = 0;
  while (!done) {
    await Promise.race([ended, new Promise((r) => setTimeout(r, sampleSeconds * 1000))]);
    if (done) break;
    globalThis.gc?.();
    const mem = process.memoryUsage();
    const ws = cluster.driver.registry.all().map((w) => {
      const s = w.storage;
      return `${mb(s?.rssBytes)}/${mb(w.process?.heapUsedBytes)} ${s?.inputBlocks}/${s?.shuffleBlocks}/${s?.rddBlocks}/${s?.broadcastBlocks}`;
    });
    // The driver's per-job tables (private fields, read for this bench only): the DAG scheduler's
    // job state, block locations and map outputs; the UI's jobs, stages and batches kept.
    const dag = cluster.driver.dag;
    const js = dag.jobTableSizes(job.current?.runId);
    const tables = `dag persisted ${js?.persisted} shuffles ${js?.shuffles} blocks ${dag.blockLocations?.blocks?.size} mapOutputs ${dag.mapOutputs.size}; ui jobs ${job.stages.jobs?.size} stages ${job.stages.stages?.size} batches ${job.progress.completed?.items?.filter?.(Boolean).length}`;
    console.log(`${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}  ${mb(mem.rss)}/${mb(mem.heapUsed)} bc ${job.broadcasts?.size} | ${ws.join(' | ')}  load ${os.loadavg()[0].toFixed(1)}`);
    if (process.env.BENCH_TABLES) console.log(`      ${tables}`);
    samples++;
    if (process.env.BENCH_WORKER_IMPORT && (samples === 1 || (Date.now() - t0) / 1000 + 1.5 * sampleSeconds > seconds)) for (const p of pids) process.kill(p, 'SIGHUP');
    if (snapshots && (samples === 1 || (Date.now() - t0) / 1000 + 1.5 * sampleSeconds > seconds)) {
      const tag = `${samples}-${Math.round((Date.now() - t0) / 1000)}s`;
      for (const p of pids) process.kill(p, 'SIGUSR2');
      v8.writeHeapSnapshot(`driver-main-${tag}.heapsnapshot`);
      const stream = await job.current.thread.thread.getHeapSnapshot() // private in TS: the job's program thread;
      await pipeline(stream, fs.createWriteStream(`driver-job-${tag}.heapsnapshot`));
      console.log(`# snapshots ${tag} written in ${process.cwd()}`);
    }
  }
  const [state, err] = await ended;
  gen.send('stop');
  await cluster.stop();
  if (state !== 'succeeded') throw new Error(`memory job failed: ${err?.message}`);
}

if (process.argv[2] === 'generator') runGenerator(Number(process.argv[3]));
else await main();
