// The driver's own cost per task (not a test): a DriverNode in this process whose workers are
// fakes in the same process (no gRPC, no worker processes): each answers the tasks it was
// given in one turn of the event loop on the next turn, as a real worker batches its outcomes.
// What is left is the scheduler's work per task: the DAG scheduler, the task scheduler and
// task-set manager, the task descriptions, the listeners (metrics, the job's status), the
// job thread. Runs `sc.parallelize(N numbers, N partitions).count()` like bench/scheduler.js.
//
//   node bench/scheduler-driver.js [repeats=5] [workers=2] [cores=4] [tasks=2000]
//   node bench/scheduler-driver.js compare <rounds> [--size W,C,T] <checkout> <checkout> ...   (alternated, each run a process of its own;
//     --size: W fake workers x C slots, T tasks a run, as the arguments above; default 2,4,2000)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === 'compare') {
  const rounds = Number(process.argv[3]);
  let rest = process.argv.slice(4);
  let size = [];
  if (rest[0] === '--size') {
    const [w, c, t] = rest[1].split(',');
    size = ['5', w, c, t];
    rest = rest.slice(2);
  }
  const checkouts = rest.map((c) => path.resolve(c));
  if (!(rounds > 0) || checkouts.length === 0) {
    console.error('usage: node bench/scheduler-driver.js compare <rounds> [--size W,C,T] <checkout> [checkout ...]');
    process.exit(2);
  }
  const rows = new Map(checkouts.map((c) => [c, []]));
  console.log('checkout                         load   tasks/s   driver CPU/task');
  for (let r = 0; r < rounds; r++) {
    for (const c of checkouts) {
      const load = os.loadavg()[0];
      const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...size], { env: { ...process.env, SLUICE_BENCH_CHECKOUT: c }, encoding: 'utf8' });
      const m = /: ([\d,]+) tasks\/s .*driver CPU ([\d.]+) ms per task/.exec(res.stdout);
      if (res.status !== 0 || !m) throw new Error(`${c}: the bench failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
      const row = { load, tps: Number(m[1].replace(/,/g, '')), driver: Number(m[2]) };
      rows.get(c).push(row);
      console.log(`${c.padEnd(32)} ${row.load.toFixed(1).padStart(5)} ${String(row.tps).padStart(9)} ${row.driver.toFixed(3).padStart(11)} ms`);
    }
  }
  for (const [c, rs] of rows) {
    console.log(`median ${c}: ${median(rs.map((x) => x.tps))} tasks/s, driver ${median(rs.map((x) => x.driver)).toFixed(3)} ms per task (load ${Math.min(...rs.map((x) => x.load)).toFixed(1)}-${Math.max(...rs.map((x) => x.load)).toFixed(1)})`);
  }
  process.exit(0);
}

const REPEATS = Number(process.argv[2] ?? 5);
const WORKERS = Number(process.argv[3] ?? 2);
const CORES = Number(process.argv[4] ?? 4);
const TASKS = Number(process.argv[5] ?? 2000);
const checkout = process.env.SLUICE_BENCH_CHECKOUT ?? path.dirname(here);
const load = (p) => import(pathToFileURL(path.join(checkout, p)).href);
const { DriverNode } = await load('packages/driver/dist/src/index.js');
const { bundleJob, createRootLogger } = await load('packages/cli/dist/src/index.js');
const core = await load('packages/core/dist/src/internal.js');
// A result as that checkout's task threads encode it (the compact task-value form where it has one).
const encode = core.encodeSmall ?? core.encode;

/** A worker that runs nothing: every task it is given returns a one-record count on the next turn. */
function fakeWorker() {
  let answers = [];
  const result = encode({ value: 1, accumulators: {} });
  const outcome = { outcome: 'result', result: Buffer.from(result), stored_blocks: [], accumulators: Buffer.alloc(0) };
  return {
    launchTask() {
      return new Promise((resolve) => {
        if (answers.length === 0) {
          setImmediate(() => {
            const now = answers;
            answers = [];
            for (const r of now) r({ ok: true, outcome });
          });
        }
        answers.push(resolve);
      });
    },
    forgetStage: () => undefined,
    killTask: () => undefined,
    releaseJob: async () => undefined,
    removeRdd: async () => undefined,
    removeBlocks: async () => undefined,
    startReceiver: async () => ({ ok: false, message: 'fake worker' }),
    stopReceiver: async () => undefined,
    close: () => undefined,
  };
}

const log = createRootLogger('warn', { pretty: false });
const driver = new DriverNode({ security: { secret: 'bench-secret-of-the-fake-cluster-' + process.pid + '-0123456789abcdef' }, log, port: 0, makeEndpoint: () => fakeWorker() });
await driver.start();
for (let i = 0; i < WORKERS; i++) driver.registry.register(`fake-${i}`, `127.0.0.1:${10000 + i}`, CORES);
const bundle = await bundleJob(path.join(checkout, 'bench/scheduler-job.ts'));
const cpu0 = process.cpuUsage();
const job = driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: ['narrow', String(TASKS), '0', String(REPEATS + 1)] });
const lines = [];
// The driver's CPU at each run's end, the process's and its main thread's (/proc, 10 ms ticks; the
// process's holds the driver-program thread's too): what its first run costs against the warm ones.
const mainThreadCpuMs = () => {
  const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const runCpu = [[cpu0.user + cpu0.system, mainThreadCpuMs()]];
job.on('output', (l) => {
  lines.push(l);
  if (!l.startsWith('BENCH ')) return;
  const c = process.cpuUsage();
  runCpu.push([c.user + c.system, mainThreadCpuMs()]);
});
const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
const cpu = process.cpuUsage(cpu0);
await driver.stop();
if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
const runs = lines.filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6))).slice(1);
for (const r of runs) if (r.result !== TASKS) throw new Error(`count ${r.result}, expected ${TASKS}`);
const ms = median(runs.map((r) => r.ms));
const cpuPerTask = (cpu.user + cpu.system) / 1000 / (TASKS * (REPEATS + 1));
console.log(`driver alone (fake workers in-process), ${WORKERS} x ${CORES} slots, median of ${REPEATS} runs after one warm-up`);
const usTask = (k, scale) => runCpu.slice(1).map((c, i) => (((c[k] - runCpu[i][k]) * scale) / TASKS).toFixed(0)).join(' ');
console.log(`  narrow, ${TASKS.toLocaleString('en-US')} one-record tasks: ${Math.round((TASKS / ms) * 1000).toLocaleString('en-US')} tasks/s (runs ${runs.map((r) => r.ms.toFixed(0)).join(' ')} ms); driver CPU ${cpuPerTask.toFixed(3)} ms per task`);
// Run 0 (the warm-up, left out above) included: from the submission, so its figure holds the program thread's start too.
console.log(`  driver CPU a task by run, run 0 from the submission: the process ${usTask(0, 1)} us; its main thread ${usTask(1, 1000)} us`);
