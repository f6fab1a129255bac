// Shuffle compression benchmark (not a test): the same groupByKey job (bench/shuffle-compress-job.ts,
// N records of about 60 bytes of text each, every one crossing the shuffle) on a fresh local
// cluster (driver in this process's child + 2 worker processes x 2 cores, loopback) with
// `sluice worker --shuffle-compress` off and on, alternately, `rounds` times each. Reported per
// setting (medians): wall time of the job, CPU time (user + system) of the worker processes
// (from /proc), and the shuffle bytes the map tasks wrote (the driver's count, as the REST
// API's stages show it: the map outputs' frames, compressed or not).
//
//   node bench/shuffle-compress.js [records=2000000] [rounds=3]
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuOf, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === '--child') await child(Number(process.argv[3]), process.argv[4] === 'on');
else await parent();

async function parent() {
  const n = Number(process.argv[2] ?? 2_000_000);
  const rounds = Number(process.argv[3] ?? 3);
  console.log(`shuffle compression: groupByKey of ${n} records, driver + 2 workers x 2 cores, ${rounds} alternating rounds`);
  const results = { off: [], on: [] };
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
      console.log(`  round ${round + 1} ${setting}: wall ${(r.ms / 1000).toFixed(2)} s, workers CPU ${(r.workersMs / 1000).toFixed(2)} s, shuffle written ${(r.written / 1048576).toFixed(1)} MiB (load ${l0})`);
    }
  }
  console.log('medians:');
  for (const setting of ['off', 'on']) {
    const xs = results[setting];
    console.log(`  ${setting}: wall ${(median(xs.map((r) => r.ms)) / 1000).toFixed(2)} s, workers CPU ${(median(xs.map((r) => r.workersMs)) / 1000).toFixed(2)} s, shuffle written ${(median(xs.map((r) => r.written)) / 1048576).toFixed(1)} MiB`);
  }
}

async function child(n, on) {
  const { LocalCluster, bundleJob, createRootLogger } = await import('../packages/cli/dist/src/index.js');
  const log = createRootLogger('warn', { pretty: false });
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: 2, logLevel: 'warn', log, workerArgs: on ? ['--shuffle-compress'] : [] });
  const bundle = await bundleJob(path.join(here, 'shuffle-compress-job.ts'));
  const workersCpuMs = () => cluster.workerProcesses.reduce((ms, p) => ms + cpuOf(p.pid), 0);
  const runJob = async (args) => {
    const w0 = workersCpuMs();
    const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
    const lines = [];
    job.on('output', (l) => lines.push(l));
    const [state, err] = await new Promise((r) => job.once('end', (s, e) => r([s, e])));
    if (state !== 'succeeded') throw new Error(`bench job failed: ${err?.message}`);
    const b = JSON.parse(lines.find((l) => l.startsWith('BENCH ')).slice(6));
    const written = cluster.driver.jobs.get(job.id).stages.allStages().reduce((a, s) => a + s.shuffleWriteBytes, 0);
    return { ms: b.ms, result: b.result, workersMs: workersCpuMs() - w0, written };
  };
  await cluster.start();
  try {
    await runJob(['20000']); // warm-up
    const r = await runJob([String(n)]);
    if (r.result !== n) throw new Error(`the job counted ${r.result} records, not ${n}`);
    console.log(JSON.stringify(r));
  } finally {
    await cluster.stop();
  }
}
