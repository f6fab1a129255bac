// Jobs in a row benchmark (not a test): what the jobs after the first cost on a running
// standalone cluster (`sluice driver` and 2 x `sluice worker --cores 2` on loopback), each job a
// `sluice submit` of its own job file (distinct files, so each binds fresh task threads:
// sc.parallelize(400 numbers, 8 partitions).map(x => 2x).count()), 300 ms apart (a worker
// collects garbage 100 ms after a job's release). Prints, per checkout, the worker processes'
// CPU time (user + system, /proc) over jobs 2..N, the driver's (since perf16), and the mean wall of those jobs' submits
// (a whole `sluice submit` process each) and of their spans in the driver (its log's 'job started' to
// 'job ended': the thread's start, the program, its tasks; since perf16); medians of the rounds. Checkouts alternate (A B A B ...).
//
//   node bench/jobs-in-a-row.js [rounds=3] [jobs=7] [checkout ...]     (default checkout: this one)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuOf, freePort, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 3);
const JOBS = Number(process.argv[3] ?? 7);
const checkouts = process.argv.length > 4 ? process.argv.slice(4) : [path.dirname(here)];
const env = { ...process.env, SLUICE_SECRET: 'jobs-in-a-row-bench-secret-0123456789', SLUICE_SECRET_FILE: '' };

const jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-in-a-row-'));
const jobFile = (j) => path.join(jobDir, `job${j}.ts`);
for (let j = 1; j <= JOBS; j++) {
  fs.writeFileSync(jobFile(j), `import type { SluiceContext } from '@sluice/core';
export default async function (sc: SluiceContext): Promise<void> {
  const n = await sc.parallelize(Array.from({ length: 400 }, (_, i) => i + ${j}), 8).map((x) => x * 2).count();
  console.log('BENCH ' + JSON.stringify({ n, job: ${j} }));
}
`);
}

function waitFor(child, text, what) {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes(text)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`${what} exited ${code}: ${err}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function once(checkout) {
  const main = path.join(checkout, 'packages/cli/bin/sluice.js');
  const port = await freePort();
  const driver = spawn(process.execPath, [main, 'driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  // The driver's log: each job's 'job started' and 'job ended' times (pino's `time`, ms), for its span in the driver.
  let log = '';
  driver.stderr.on('data', (d) => (log += d));
  const workers = [];
  try {
    await waitFor(driver, 'driver listening', 'sluice driver');
    for (let i = 0; i < 2; i++) workers.push(spawn(process.execPath, [main, 'worker', '--driver', `127.0.0.1:${port}`, '--cores', '2', '--log-level', 'info', '--local-dir', os.tmpdir()], { env, stdio: ['ignore', 'ignore', 'pipe'] }));
    await Promise.all(workers.map((w) => waitFor(w, 'worker registered', 'sluice worker')));
    let cpuAfterFirst = 0;
    let driverCpuAfterFirst = 0;
    let walls = 0;
    for (let j = 1; j <= JOBS; j++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [main, 'submit', '--driver', `127.0.0.1:${port}`, jobFile(j)], { env, encoding: 'utf8' });
      if (r.status !== 0 || !r.stdout.includes(`"job":${j}`)) throw new Error(`${checkout}: job ${j}: sluice submit exited ${r.status}: ${r.stdout}${r.stderr}`);
      if (j > 1) walls += performance.now() - t0;
      await sleep(300);
      if (j === 1) {
        cpuAfterFirst = workers.reduce((s, w) => s + cpuOf(w.pid), 0);
        driverCpuAfterFirst = cpuOf(driver.pid);
      }
    }
    // From the driver's 'job started' (the job given a thread) to its 'job ended', jobs 2..N: the mean.
    const spans = new Map();
    for (const l of log.split('\n').filter((x) => x.startsWith('{'))) {
      const e = JSON.parse(l);
      if (e.jobId === undefined || (e.msg !== 'job started' && e.msg !== 'job ended')) continue;
      spans.set(e.jobId, { ...spans.get(e.jobId), [e.msg === 'job started' ? 'from' : 'to']: e.time });
    }
    const later = [...spans.values()].slice(1).filter((x) => x.from !== undefined && x.to !== undefined);
    const driverJobMs = later.reduce((t, x) => t + x.to - x.from, 0) / later.length;
    return { cpuMs: workers.reduce((s, w) => s + cpuOf(w.pid), 0) - cpuAfterFirst, driverCpuMs: cpuOf(driver.pid) - driverCpuAfterFirst, wallMs: walls / (JOBS - 1), driverJobMs };
  } finally {
    for (const c of [...workers, driver]) c.kill('SIGTERM');
    await sleep(300);
  }
}

console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const runs = new Map(checkouts.map((c) => [c, []]));
try {
  for (let r = 0; r < ROUNDS; r++) for (const c of checkouts) runs.get(c).push(await once(c));
} finally {
  fs.rmSync(jobDir, { recursive: true, force: true });
}
console.log(`${JOBS} jobs in a row on driver + 2 workers x 2 cores (sluice submit each): median of ${ROUNDS} alternating rounds`);
for (const [c, xs] of runs) {
  console.log(`  ${c}: workers' CPU over jobs 2-${JOBS} ${Math.round(median(xs.map((x) => x.cpuMs)))} ms (rounds ${xs.map((x) => Math.round(x.cpuMs)).join(' ')}), the driver's ${Math.round(median(xs.map((x) => x.driverCpuMs)))} ms (rounds ${xs.map((x) => Math.round(x.driverCpuMs)).join(' ')}), a job's submit ${Math.round(median(xs.map((x) => x.wallMs)))} ms (rounds ${xs.map((x) => Math.round(x.wallMs)).join(' ')}), in the driver (started to ended) ${Math.round(median(xs.map((x) => x.driverJobMs)))} ms (rounds ${xs.map((x) => Math.round(x.driverJobMs)).join(' ')})`);
}
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
