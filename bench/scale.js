// Scale simulation (not a test): one driver and up to 50 worker processes (1 core each) on
// loopback, running a stream of small batches. The cluster grows 1, 2, 5, 10, 20, 50
// workers (5 joining at a time); at each size:
//   joining                the wall time until the added workers registered
//   idle                   the driver's and the workers' CPU per second with every worker
//                          registered and nothing running, over 3 s (2 s after the last joined): what membership costs
//                          (heartbeats, timers), which grows with the workers
//   warm-up                the job first counts one batch's RDD 3 times, with a shuffle shaped
//                          as StreamingContext.start's own warm-up job after the first: the
//                          first count puts a task on every worker, so it ends only once each
//                          has loaded the job and started its task thread (50 processes doing
//                          that on 2 cores took tens of seconds, which the earlier version of
//                          this bench counted in its window), and the shuffle opens the
//                          workers' shuffle streams to each other
//   stream start           from the warm-up's end to the first batch: StreamingContext.start
//                          runs its warm-up job first (up to 5 s before its clock starts; its
//                          tasks go before the first batches')
//   the window             the batches of `tasksPerWorker` x workers one-record tasks every
//                          `intervalMs`, from 1 s after the first batch for `seconds`:
//     tasks/s              tasks of the window's batches after its first, per second from
//                          the first one's end to the last one's
//     scheduling delay     median and p99 of those batches' scheduling delay (Spark's: the
//                          wait from the batch's time to its processing start); a cluster
//                          that cannot keep up shows it growing past the interval
//     processing           median time from processing start to end of a batch
//     CPU per task         CPU time (user + system) over the window, divided by those
//                          batches' tasks: this process (the driver, its job's thread
//                          included), and the worker processes together (from /proc)
// A batch's tasks/s is capped at what is offered (tasksPerBatch / interval).
// Writes the table and a text chart to stdout, and a chart (tasks/s and driver CPU per task
// against workers) to bench/scale.svg. Ctrl-C stops the cluster (every worker process) first.
//
//   node bench/scale.js [intervalMs=200] [tasksPerWorker=4] [seconds=10] [sizes=1,2,5,10,20,50]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '../packages/cli/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const INTERVAL = Number(process.argv[2] ?? 200);
const PER_WORKER = Number(process.argv[3] ?? 4);
const SECONDS = Number(process.argv[4] ?? 10);
const SIZES = (process.argv[5] ?? '1,2,5,10,20,50').split(',').map(Number);
const SETTLE_MS = 1000;
const IDLE_MS = 3000;
const WARM_ACTIONS = 3;
/** A size's job not ended this long after its submission (warm-up, window and stop) is cancelled: the bench stays bounded. */
const JOB_BOUND_MS = 240_000 + SECONDS * 1000;

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 0, coresPerWorker: 1, logLevel: 'warn', log });
let stopping;
const stopCluster = () => (stopping ??= cluster.stop());
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    process.stderr.write(`${sig}: stopping the cluster's ${cluster.workerProcesses.length} worker processes\n`);
    void stopCluster().finally(() => process.exit(130));
  });
}
const bundle = await bundleJob(path.join(here, 'scale-job.ts'));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const driverCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** CPU (ms) of the worker processes, from /proc (Linux; NaN elsewhere). Workers that exited are left out. */
function workersCpuMs() {
  let ms = 0;
  for (const c of cluster.workerProcesses) {
    try {
      const f = fs.readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ms += (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in ticks of 10 ms
    } catch {
      return NaN;
    }
  }
  return ms;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runAt(workers, joinMs) {
  // Membership alone: every worker registered (the last ones' task threads loaded: 2 s), nothing running.
  await sleep(2000);
  const idle0 = [driverCpuMs(), workersCpuMs(), Date.now()];
  await sleep(IDLE_MS);
  const idleS = (Date.now() - idle0[2]) / 1000;
  const idleDriver = (driverCpuMs() - idle0[0]) / idleS;
  const idleWorkers = (workersCpuMs() - idle0[1]) / idleS;

  const tasksPerBatch = PER_WORKER * workers;
  const submitted = Date.now();
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [String(INTERVAL), String(tasksPerBatch), String(SETTLE_MS + SECONDS * 1000), String(WARM_ACTIONS)] });
  const batches = [];
  let warm;
  let windowStart;
  let cpu0;
  let settleTimer;
  job.on('output', (l) => {
    if (l.startsWith('WARM ')) {
      warm = JSON.parse(l.slice(5));
      warm.at = Date.now();
      return;
    }
    if (l.startsWith('STREAM ')) {
      if (settleTimer !== undefined) return;
      warm.streamStartMs = Date.now() - warm.at;
      settleTimer = setTimeout(() => {
        windowStart = Date.now();
        cpu0 = [driverCpuMs(), workersCpuMs()];
      }, SETTLE_MS);
      return;
    }
    if (!l.startsWith('BATCH ')) return;
    const b = JSON.parse(l.slice(6));
    if (windowStart !== undefined && b.time >= windowStart) batches.push(b);
  });
  let bounded = false;
  const overrun = setTimeout(() => {
    bounded = true;
    process.stderr.write(`  ${workers} workers: the job has not ended ${JOB_BOUND_MS / 1000} s after its submission; cancelling it\n`);
    job.cancel();
  }, JOB_BOUND_MS);
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  const cpu1 = [driverCpuMs(), workersCpuMs()];
  clearTimeout(settleTimer);
  clearTimeout(overrun);
  if (state !== 'succeeded' && !bounded) throw new Error(`scale job ${state} at ${workers} workers: ${err?.message}`);
  const base = { workers, joinMs, idleDriverMsPerS: idleDriver, idleWorkersMsPerS: idleWorkers, warmMs: warm?.ms ?? NaN, warmActions: warm?.actions ?? [], streamStartMs: warm?.streamStartMs ?? NaN, tasksPerBatch, offered: (tasksPerBatch * 1000) / INTERVAL };
  if (batches.length === 0) {
    // Reported as it is (the row shows n/a), not thrown: the sizes before it keep their figures.
    process.stderr.write(`  ${workers} workers: no batch completed in the window\n`);
    return { ...base, tasksPerSec: NaN, batches: 0, schedMedian: NaN, schedP99: NaN, procMedian: NaN, cpuPerTaskMs: NaN, workersCpuPerTaskMs: NaN, wallS: (Date.now() - submitted) / 1000 };
  }
  // The rate: from the first batch's end to the last one's, over the tasks of the batches
  // after the first; with one batch only, from the window's start to its end.
  const one = batches.length === 1;
  const windowMs = batches[batches.length - 1].end - (one ? windowStart : batches[0].end);
  const rateTasks = (one ? 1 : batches.length - 1) * tasksPerBatch;
  const tasks = batches.length * tasksPerBatch;
  return {
    ...base,
    tasksPerSec: (rateTasks * 1000) / windowMs,
    batches: batches.length,
    schedMedian: quantile(batches.map((b) => b.scheduling), 0.5),
    schedP99: quantile(batches.map((b) => b.scheduling), 0.99),
    procMedian: quantile(batches.map((b) => b.processing), 0.5),
    // CPU from the window's start until the job ended, over the tasks of the window's batches.
    cpuPerTaskMs: (cpu1[0] - cpu0[0]) / tasks,
    workersCpuPerTaskMs: (cpu1[1] - cpu0[1]) / tasks,
    wallS: (Date.now() - submitted) / 1000,
  };
}

function chart(rows) {
  const W = 640, H = 360, L = 60, R = 70, T = 30, B = 50;
  const xs = rows.map((r) => Math.log10(r.workers));
  const xmax = Math.max(...xs, 1);
  const x = (w) => L + (Math.log10(w) / xmax) * (W - L - R);
  const ymax = Math.max(...rows.map((r) => Math.max(r.tasksPerSec, r.offered))) * 1.1;
  const y = (v) => H - B - (v / ymax) * (H - T - B);
  const cmax = Math.max(...rows.map((r) => r.cpuPerTaskMs)) * 1.1;
  const yc = (v) => H - B - (v / cmax) * (H - T - B);
  const line = (pts, color, dash = '') => `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  const dots = (pts, color) => pts.map(([a, b]) => `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${color}"/>`).join('');
  const done = rows.map((r) => [x(r.workers), y(r.tasksPerSec)]);
  const off = rows.map((r) => [x(r.workers), y(r.offered)]);
  const cpu = rows.map((r) => [x(r.workers), yc(r.cpuPerTaskMs)]);
  const ticks = rows.map((r) => `<text x="${x(r.workers)}" y="${H - B + 18}" text-anchor="middle">${r.workers}</text>`).join('');
  const yt = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${L - 6}" y="${y(f * ymax) + 4}" text-anchor="end">${Math.round(f * ymax)}</text><line x1="${L}" x2="${W - R}" y1="${y(f * ymax)}" y2="${y(f * ymax)}" stroke="#eee"/>`).join('');
  const ct = [0, 0.5, 1].map((f) => `<text x="${W - R + 6}" y="${yc(f * cmax) + 4}" fill="#c60">${(f * cmax).toFixed(2)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">Sluice scale simulation: 1-core workers on loopback, ${INTERVAL} ms batches, ${PER_WORKER} tasks per worker per batch</text>
${yt}${ticks}${ct}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>
<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">worker processes (log scale)</text>
<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">tasks/s</text>
<text x="${W - 12}" y="${(T + H - B) / 2}" transform="rotate(90 ${W - 12} ${(T + H - B) / 2})" text-anchor="middle" fill="#c60">driver CPU ms per task</text>
${line(off, '#999', '4 3')}${line(done, '#06c')}${dots(done, '#06c')}${line(cpu, '#c60')}${dots(cpu, '#c60')}
<text x="${L + 8}" y="${T + 14}" fill="#06c">tasks/s completed</text><text x="${L + 8}" y="${T + 28}" fill="#999">tasks/s offered</text><text x="${L + 8}" y="${T + 42}" fill="#c60">driver CPU per task</text>
</svg>
`;
}

await cluster.start();
const began = Date.now();
const rows = [];
try {
  for (const n of SIZES) {
    // Workers join 5 at a time: 30 Node processes starting at once on 2 shared cores miss
    // the 10 s a worker's first registration waits for the driver. One that missed it even
    // so (it exits) is replaced, up to 5 times a size.
    const joinStart = Date.now();
    let missed = 0;
    while (cluster.driver.registry.all().length < n) {
      const target = Math.min(n, cluster.driver.registry.all().length + 5);
      while (cluster.workerProcesses.length < target) cluster.addWorker();
      try {
        await cluster.waitForWorkers(target, 30_000);
      } catch (err) {
        if (++missed > 5) throw err;
        process.stderr.write(`  ${err.message}; replacing the workers that exited (${cluster.workerProcesses.length} running)\n`);
      }
    }
    const joinMs = Date.now() - joinStart;
    process.stderr.write(`${n} workers (joined in ${(joinMs / 1000).toFixed(1)} s) ...\n`);
    const r = await runAt(n, joinMs);
    rows.push(r);
    process.stderr.write(`  ${JSON.stringify(r)}\n`);
  }
} finally {
  await stopCluster();
}
const fmt = (v, d = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const ms = (v, d = 0) => (Number.isFinite(v) ? `${fmt(v, d)} ms` : 'n/a');
const secs = (v) => (Number.isFinite(v) ? `${fmt(v / 1000, 1)} s` : 'n/a');
console.log(`scale simulation: driver + N worker processes x 1 core on loopback, ${INTERVAL} ms batches of ${PER_WORKER} one-record tasks per worker; at each size the workers join, idle ${IDLE_MS / 1000} s, the job warms up (${WARM_ACTIONS} counts of a batch's RDD and a shuffle as the stream's own warm-up), then ${SECONDS} s of batches measured from ${SETTLE_MS / 1000} s after the first batch (${((Date.now() - began) / 1000).toFixed(0)} s in all)`);
console.log('| workers | joining | idle CPU/s: driver / workers | warm-up | stream start | tasks/batch | offered tasks/s | tasks/s | batches | sched. delay median | p99 | processing median | CPU/task: driver | workers |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.workers} | ${secs(r.joinMs)} | ${fmt(r.idleDriverMsPerS)} / ${fmt(r.idleWorkersMsPerS)} ms | ${secs(r.warmMs)} | ${secs(r.streamStartMs)} | ${r.tasksPerBatch} | ${fmt(r.offered)} | ${fmt(r.tasksPerSec)} | ${r.batches} | ${ms(r.schedMedian)} | ${ms(r.schedP99)} | ${ms(r.procMedian)} | ${ms(r.cpuPerTaskMs, 2)} | ${ms(r.workersCpuPerTaskMs, 2)} |`,
  );
}
// A text chart: tasks/s completed (#) against offered (.), one row a size.
const top = Math.max(...rows.map((r) => Math.max(Number.isFinite(r.tasksPerSec) ? r.tasksPerSec : 0, r.offered)));
const cols = 50;
console.log(`\ntasks/s against worker processes (# completed, . offered but not completed; full width ${fmt(top)} tasks/s)`);
for (const r of rows) {
  const done = Number.isFinite(r.tasksPerSec) ? Math.round((Math.min(r.tasksPerSec, r.offered) / top) * cols) : 0;
  const off = Math.round((r.offered / top) * cols);
  console.log(`${String(r.workers).padStart(4)} | ${'#'.repeat(done)}${'.'.repeat(Math.max(0, off - done))}${' '.repeat(Math.max(0, cols - Math.max(done, off)))} ${fmt(r.tasksPerSec)} of ${fmt(r.offered)}`);
}
fs.writeFileSync(path.join(here, 'scale.svg'), chart(rows.filter((r) => Number.isFinite(r.tasksPerSec))));
console.log('chart: bench/scale.svg');
