// Broadcast compression benchmark (not a test): the same job (bench/broadcast-compress-job.ts:
// a broadcast of N records of about 60 bytes of text, read by 16 tasks) on a fresh local
// cluster (driver in this process's child + 2 worker processes x 2 cores, loopback) with
// spark.broadcast.compress false and true, alternately, `rounds` times each. Reported per
// setting (medians): wall time of the job (from sc.broadcast to the collect's end), CPU time
// (user + system) of the driver process (where the driver program compresses) and of the worker
// processes (where each task thread decompresses), and the bytes of the broadcast the driver
// keeps and serves to each worker (the value of every Driver.GetBroadcast answer).
//
//   node bench/broadcast-compress.js [records=1000000] [rounds=3]
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuOf, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === '--child') await child(Number(process.argv[3]), process.argv[4] === 'on');
else await parent();

async function parent() {
  const n = Number(process.argv[2] ?? 1_000_000);
  const rounds = Number(process.argv[3] ?? 3);
  console.log(`broadcast compression: a broadcast of ${n} records read by 16 tasks, driver + 2 workers x 2 cores, ${rounds} alternating rounds`);
  const results = { off: [], on: [] };
  const fmt = (r) => `wall ${(r.ms / 1000).toFixed(2)} s, driver CPU ${(r.driverMs / 1000).toFixed(2)} s, workers CPU ${(r.workersMs / 1000).toFixed(2)} s, broadcast ${(r.bytes / 1048576).toFixed(1)} MiB`;
  for (let round = 0; round < rounds; round++) {
    for (const setting of ['off', 'on']) {
      const l0 = os.loadavg()[0].toFixed(1);
      const r = await new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', String(n), setting], { stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        p.stdout.on('data', (d) => (s += d));
        p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(s.trim().split('\n').pop())) : reject(new Error(`exited ${code}: ${s}`))));
      });
      results[setting].push(r);
      console.log(`  round ${round + 1} ${setting}: ${fmt(r)} (load ${l0})`);
    }
  }
  console.log('medians:');
  for (const setting of ['off', 'on']) {
    const xs = results[setting];
    const m = (k) => median(xs.map((r) => r[k]));
    console.log(`  ${setting}: ${fmt({ ms: m('ms'), driverMs: m('driverMs'), workersMs: m('workersMs'), bytes: m('bytes') })}`);
  }
}

async function child(n, on) {
  const { LocalCluster, bundleJob, createRootLogger } = await import('../packages/cli/dist/src/index.js');
  const log = createRootLogger('warn', { pretty: false });
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: 2, logLevel: 'warn', log, driver: { broadcastCompress: on } });
  const bundle = await bundleJob(path.join(here, 'broadcast-compress-job.ts'));
  const workersCpuMs = () => cluster.workerProcesses.reduce((ms, p) => ms + cpuOf(p.pid), 0);
  const runJob = async (args) => {
    const w0 = workersCpuMs();
    const d0 = cpuOf(process.pid);
    const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
    // The bytes the driver keeps for the broadcast, as it serves them to each worker.
    const kept = cluster.driver.jobs.get(job.id).broadcasts;
    let bytes = 0;
    const set = kept.set.bind(kept);
    kept.set = (id, value) => ((bytes += value.length), set(id, value));
    const lines = [];
    job.on('output', (l) => lines.push(l));
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
    const b = JSON.parse(lines.find((l) => l.startsWith('BENCH ')).slice(6));
    return { ms: b.ms, result: b.result, driverMs: cpuOf(process.pid) - d0, workersMs: workersCpuMs() - w0, bytes };
  };
  await cluster.start();
  try {
    await runJob(['20000']); // warm-up
    const r = await runJob([String(n)]);
    if (r.result !== 16 * (2 * n - 1)) throw new Error(`the job's sum is ${r.result}, not ${16 * (2 * n - 1)}`);
    console.log(JSON.stringify(r));
  } finally {
    await cluster.stop();
  }
}
