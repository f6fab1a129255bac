// Start-up benchmark (not a test): the wall and CPU time of `sluice run startup-job.ts` — bundling,
// the local cluster's start (driver + 2 worker processes x 1 core), one tiny action, and the
// stop — what a user waits for beyond the job's own work. Given several checkouts, runs
// them alternately (a round runs each once) and prints each one's median, so builds are
// compared under the same load.
//
//   node bench/startup.js [rounds=5] [checkout ...]     (default checkout: this one)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 5);
const checkouts = process.argv.length > 3 ? process.argv.slice(3) : [path.dirname(here)];
const job = path.join(here, 'startup-job.ts');

function once(checkout) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // GNU time reports the CPU of the whole tree: the CLI reaps its worker processes.
    const child = spawn('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, path.join(checkout, 'packages/cli/dist/src/main.js'), 'run', '--no-progress', job], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 || !out.includes('BENCH {"count":4}')) return reject(new Error(`${checkout}: sluice run exited ${code}: ${out}${err}`));
      const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(err);
      resolve({ ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN });
    });
  });
}

const runs = new Map(checkouts.map((c) => [c, []]));
for (let r = 0; r < ROUNDS; r++) for (const c of checkouts) runs.get(c).push(await once(c));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`sluice run of a one-action job (driver + 2 workers x 1 core): wall time and CPU time of the process tree (user + system), median of ${ROUNDS} alternating rounds`);
for (const [c, xs] of runs) {
  console.log(`  ${c}: wall ${Math.round(median(xs.map((x) => x.ms)))} ms, CPU ${Math.round(median(xs.map((x) => x.cpuMs)))} ms (wall of each run ${xs.map((x) => Math.round(x.ms)).join(' ')})`);
}
