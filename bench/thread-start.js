// Thread start benchmark (not a test): what a worker's task thread costs to start from the
// `sluice` command's thread bundles (packages/cli/dist/threads/task-thread.mjs, as a worker's
// spares start), from `new Worker` to the thread's 'ready' message (its code and Sluice's
// loaded): wall time and the process's CPU over it (the thread, and V8's helper threads; the
// main thread only waits). Each sample is a fresh process starting THREADS threads one after
// the other (the first pays for nothing the process had loaded; each thread compiles its own
// modules); checkouts alternated A B A B, medians per checkout of the first thread and of the
// later ones.
//
//   node bench/thread-start.js [rounds=9] [threads=3] <checkout> <checkout> ...
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median } from './bench-support.js';

if (process.argv[2] === '--child') {
  const [entry, n] = [process.argv[3], Number(process.argv[4])];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const thread = new Worker(new URL(pathToFileURL(entry)), { workerData: { shuffleSpillRecords: 100_000 } });
    await new Promise((resolve, reject) => {
      thread.on('message', (m) => m?.type === 'ready' && resolve());
      thread.once('error', reject);
      thread.once('exit', (code) => reject(new Error(`thread exited ${code} before 'ready'`)));
    });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    rows.push({ wall, cpu: (cpu.user + cpu.system) / 1000 });
    thread.removeAllListeners('exit');
    await thread.terminate();
  }
  console.log(JSON.stringify(rows));
  process.exit(0);
}

const ROUNDS = Number(process.argv[2] ?? 9);
const THREADS = Number(process.argv[3] ?? 3);
const checkouts = process.argv.slice(4).map((c) => path.resolve(c));
if (checkouts.length === 0) {
  console.error('usage: node bench/thread-start.js [rounds] [threads] <checkout> [checkout ...]');
  process.exit(2);
}
const self = fileURLToPath(import.meta.url);
const samples = new Map(checkouts.map((c) => [c, []]));
const loads = [];
for (let r = 0; r < ROUNDS; r++) {
  loads.push(Number(spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ')[0]));
  for (const c of checkouts) {
    const p = spawnSync(process.execPath, [self, '--child', path.join(c, 'packages/cli/dist/threads/task-thread.mjs'), String(THREADS)], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`${c}: ${p.stderr}`);
    samples.get(c).push(JSON.parse(p.stdout));
  }
}
const f = (x) => x.toFixed(1);
console.log(`# ${ROUNDS} rounds, ${THREADS} task threads a process one after the other, load ${Math.min(...loads)}-${Math.max(...loads)} (median ${median(loads)})`);
console.log('checkout\tfirst wall ms\tfirst CPU ms\tlater wall ms\tlater CPU ms');
for (const [c, rows] of samples) {
  const first = rows.map((r) => r[0]);
  const later = rows.flatMap((r) => r.slice(1));
  console.log(`${c}\t${f(median(first.map((x) => x.wall)))}\t${f(median(first.map((x) => x.cpu)))}\t${f(median(later.map((x) => x.wall)))}\t${f(median(later.map((x) => x.cpu)))}`);
}
