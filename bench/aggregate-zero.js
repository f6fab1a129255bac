// aggregateByKey with an object zero over many distinct keys (not a test): an average by key,
// `sluice run --workers 2 --cores 1` of bench/aggregate-zero-job.ts, whole processes, checkouts
// alternating (A B A B ...). Each run's result is checked against the sums worked out here.
// Prints per checkout the medians of the whole run's wall and CPU (GNU time, the process tree)
// and of the action's wall inside the job, and the ratio of each to the first checkout's.
//
//   node bench/aggregate-zero.js [rounds=5] [records=1000000] [keys=500000] [checkout ...]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTimed, TIME_CPU, median } from './bench-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 5);
const RECORDS = Number(process.argv[3] ?? 1_000_000);
const KEYS = Number(process.argv[4] ?? 500_000);
const checkouts = process.argv.length > 5 ? process.argv.slice(5) : [path.dirname(here)];

// Values 0..RECORDS-1, keyed i % KEYS.
const expected = { distinct: Math.min(KEYS, RECORDS), sum: (RECORDS * (RECORDS - 1)) / 2, n: RECORDS };

const runs = new Map(checkouts.map((c) => [c, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const c of checkouts) {
    const job = path.join(here, 'aggregate-zero-job.ts');
    const res = await spawnTimed('/usr/bin/time', [...TIME_CPU, process.execPath, path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--no-progress', '--workers', '2', '--cores', '1', job, String(RECORDS), String(KEYS)], { cwd: c });
    const line = /BENCH (.*)/.exec(res.out);
    if (res.code !== 0 || !line) throw new Error(`sluice run in ${c} exited ${res.code}: ${res.err.slice(-2000)}`);
    const got = JSON.parse(line[1]);
    for (const k of Object.keys(expected)) if (got[k] !== expected[k]) throw new Error(`${c}: ${k} ${got[k]}, expected ${expected[k]}`);
    runs.get(c).push({ wall: res.wallMs, cpu: res.cpuMs, action: got.actionMs });
    console.log(`round ${r + 1} ${c}: wall ${Math.round(res.wallMs)} ms, CPU ${Math.round(res.cpuMs)} ms, action ${got.actionMs} ms`);
  }
}
const base = checkouts[0];
const med = (c, k) => median(runs.get(c).map((x) => x[k]));
console.log(`\naggregateByKey of ${RECORDS} records over ${KEYS} keys, medians of ${ROUNDS} (ratio to ${base}):`);
for (const c of checkouts) {
  const cells = ['wall', 'cpu', 'action'].map((k) => `${k} ${Math.round(med(c, k))} ms (${(med(c, k) / med(base, k)).toFixed(2)})`);
  console.log(`  ${c}: ${cells.join(', ')}`);
}
