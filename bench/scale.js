// Scale simulation (not a test): one driver and up to 50 worker processes (1 core each) on
// loopback, running a stream of small batches. The cluster grows 1, 2, 5, 10, 20, 50
// workers; at each size the job runs batches of `tasksPerWorker` x workers one-record
// tasks every `intervalMs` for `seconds` and the bench reports, over the batches that
// ended after a warm-up of 2 s:
//   tasks/s                tasks of the batches completed in the measured window, per second
//                          (from the first such batch's end to the last one's)
//   scheduling delay       median and p99 of the batches' scheduling delay (Spark's: the
//                          wait from the batch's time to its processing start)
//   processing             median time from processing start to end of a batch
//   driver CPU per task    CPU time (user + system) of this process — the driver, its
//                          job's thread included — over the window, divided by the tasks
// A batch's tasks/s is capped at what is offered (tasksPerBatch / interval); a cluster that
// cannot keep up shows a scheduling delay growing past the interval.
// Writes the table to stdout and a chart (tasks/s and driver CPU per task against workers)
// to bench/scale.svg.
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
const WARMUP_MS = 2000;

const log = createRootLogger('warn', { pretty: false });
const cluster = new LocalCluster({ workers: 0, coresPerWorker: 1, logLevel: 'warn', log });
const bundle = await bundleJob(path.join(here, 'scale-job.ts'));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function runAt(workers) {
  const tasksPerBatch = PER_WORKER * workers;
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [String(INTERVAL), String(tasksPerBatch), String(SECONDS * 1000)] });
  const batches = [];
  let windowStart;
  let cpu0;
  const startTimer = setTimeout(() => {
    windowStart = Date.now();
    cpu0 = process.cpuUsage();
  }, WARMUP_MS);
  job.on('output', (l) => {
    if (!l.startsWith('BATCH ')) return;
    const b = JSON.parse(l.slice(6));
    if (windowStart !== undefined && b.end >= windowStart) batches.push(b);
  });
  const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
  clearTimeout(startTimer);
  const cpu = process.cpuUsage(cpu0);
  if (state !== 'succeeded') throw new Error(`scale job failed at ${workers} workers: ${err?.message}`);
  if (batches.length === 0) throw new Error(`no batch completed after the warm-up at ${workers} workers; give it more seconds`);
  // The window: from the first measured batch's end to the last one's, and the tasks of the
  // batches after the first; with one batch only, from the window's start to its end.
  const one = batches.length === 1;
  const windowMs = batches[batches.length - 1].end - (one ? windowStart : batches[0].end);
  const tasks = (one ? 1 : batches.length - 1) * tasksPerBatch;
  return {
    workers,
    tasksPerBatch,
    offered: (tasksPerBatch * 1000) / INTERVAL,
    tasksPerSec: (tasks * 1000) / windowMs,
    batches: batches.length,
    schedMedian: quantile(batches.map((b) => b.scheduling), 0.5),
    schedP99: quantile(batches.map((b) => b.scheduling), 0.99),
    procMedian: quantile(batches.map((b) => b.processing), 0.5),
    // CPU from the window's start until the job ended, over the tasks of the batches that ended in that time.
    cpuPerTaskMs: (cpu.user + cpu.system) / 1000 / (batches.length * tasksPerBatch),
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
const rows = [];
try {
  for (const n of SIZES) {
    // Workers join 5 at a time: 30 Node processes starting at once on 2 shared cores miss
    // the 10 s a worker's first registration waits for the driver.
    while (cluster.workerProcesses.length < n) {
      const target = Math.min(n, cluster.workerProcesses.length + 5);
      while (cluster.workerProcesses.length < target) cluster.addWorker();
      await cluster.waitForWorkers(target, 120_000);
    }
    process.stderr.write(`${n} workers ...\n`);
    const r = await runAt(n);
    rows.push(r);
    process.stderr.write(`  ${JSON.stringify(r)}\n`);
  }
} finally {
  await cluster.stop();
}
const fmt = (v, d = 0) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
console.log(`scale simulation: driver + N worker processes x 1 core on loopback, ${INTERVAL} ms batches of ${PER_WORKER} one-record tasks per worker, ${SECONDS} s per size (batches ending after the first ${WARMUP_MS / 1000} s)`);
console.log('| workers | tasks/batch | offered tasks/s | tasks/s | batches | sched. delay median | sched. delay p99 | processing median | driver CPU/task |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.workers} | ${r.tasksPerBatch} | ${fmt(r.offered)} | ${fmt(r.tasksPerSec)} | ${r.batches} | ${fmt(r.schedMedian)} ms | ${fmt(r.schedP99)} ms | ${fmt(r.procMedian)} ms | ${fmt(r.cpuPerTaskMs, 2)} ms |`);
}
fs.writeFileSync(path.join(here, 'scale.svg'), chart(rows));
console.log('chart: bench/scale.svg');
