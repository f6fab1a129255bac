// A batch job of many actions over one cached RDD against a plain script (not a test): user51's
// 200 MB log job (report today41/user51.md) cut to what it measures. The input (bench/
// batch-actions-data.js: `mb` MB of log lines in 8 files and a users CSV, deterministic, kept in
// the temporary directory) is read by
//   plain   bench/batch-actions-plain.js: one pass, single thread, every figure in maps
//   sluice  `sluice run --no-progress --workers 2` of bench/batch-actions-job.ts: 14 actions
//           over `textFile(dir).map(parse).cache()` (count, sum, a broadcast lookup, a shuffle
//           join, reduceByKey, countByValue, aggregateByKey + sortBy + take, top, takeOrdered,
//           distinct, stats, histogram, filter, sortByKey), each action timed in the program
// alternately, round by round (plain, then each checkout's sluice), every result checked equal
// to the plain script's. Prints per run the whole process's wall and the CPU of its process tree
// (GNU time), then medians, the ratios to the plain script and to the first checkout, and each
// action's median time.
//
//   node bench/batch-actions.js [rounds=3] [mb=150] [checkout ...]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTimed, TIME_CPU, median } from './bench-support.js';
import { batchActionsData } from './batch-actions-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 3);
const MB = Number(process.argv[3] ?? 150);
const checkouts = process.argv.length > 4 ? process.argv.slice(4).map((c) => path.resolve(c)) : [path.dirname(here)];

const t = performance.now();
const { logs, users } = batchActionsData(MB);
console.log(`input: ${MB} MB of log lines in ${logs} (${Math.round(performance.now() - t)} ms to make or find)`);

const load = () => os.loadavg()[0].toFixed(1);
const plain = [];
const runs = new Map(checkouts.map((c) => [c, []]));
let expected;
for (let r = 0; r < ROUNDS; r++) {
  const p = await spawnTimed('/usr/bin/time', [...TIME_CPU, process.execPath, path.join(here, 'batch-actions-plain.js'), logs, users]);
  const pl = /PLAIN (.*)/.exec(p.out);
  if (p.code !== 0 || !pl) throw new Error(`plain script exited ${p.code}: ${p.err.slice(-2000)}`);
  const pr = JSON.parse(pl[1]);
  const want = JSON.stringify(pr.results);
  if (expected !== undefined && want !== expected) throw new Error('the plain script gave different results in two rounds');
  expected = want;
  plain.push({ wall: p.wallMs, cpu: p.cpuMs });
  console.log(`round ${r + 1} plain: wall ${Math.round(p.wallMs)} ms, CPU ${Math.round(p.cpuMs)} ms (load ${load()})`);
  for (const c of checkouts) {
    const job = path.join(here, 'batch-actions-job.ts');
    const res = await spawnTimed('/usr/bin/time', [...TIME_CPU, process.execPath, path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--no-progress', '--workers', '2', job, logs, users], { cwd: c });
    const line = /BENCH (.*)/.exec(res.out);
    if (res.code !== 0 || !line) throw new Error(`sluice run in ${c} exited ${res.code}: ${res.err.slice(-2000)}`);
    const got = JSON.parse(line[1]);
    const gotResults = JSON.stringify(got.results);
    if (gotResults !== expected) {
      const e = JSON.parse(expected);
      const bad = Object.keys(e).filter((k) => JSON.stringify(e[k]) !== JSON.stringify(got.results[k]));
      throw new Error(`${c}: results differ from the plain script's in ${bad.map((k) => `${k} (got ${JSON.stringify(got.results[k])}, expected ${JSON.stringify(e[k])})`).join('; ')}`);
    }
    runs.get(c).push({ wall: res.wallMs, cpu: res.cpuMs, job: got.jobMs, actions: got.actions });
    console.log(`round ${r + 1} ${c}: wall ${Math.round(res.wallMs)} ms, CPU ${Math.round(res.cpuMs)} ms, job ${got.jobMs} ms (load ${load()})`);
  }
}
const pw = median(plain.map((x) => x.wall));
const pc = median(plain.map((x) => x.cpu));
const base = checkouts[0];
const med = (c, k) => median(runs.get(c).map((x) => x[k]));
console.log(`\n${MB} MB, 14 actions over a cached RDD, medians of ${ROUNDS} (load now ${load()}):`);
console.log(`  plain script: wall ${Math.round(pw)} ms, CPU ${Math.round(pc)} ms`);
for (const c of checkouts) {
  const cells = ['wall', 'cpu', 'job'].map((k) => `${k} ${Math.round(med(c, k))} ms`);
  console.log(`  ${c}: ${cells.join(', ')}; wall ${(med(c, 'wall') / pw).toFixed(1)}x the plain script's, CPU ${(med(c, 'cpu') / pc).toFixed(1)}x` + (c === base ? '' : `; to ${base}: wall ${(med(c, 'wall') / med(base, 'wall')).toFixed(2)}, CPU ${(med(c, 'cpu') / med(base, 'cpu')).toFixed(2)}, job ${(med(c, 'job') / med(base, 'job')).toFixed(2)}`));
}
console.log('\nper action, median ms' + checkouts.map((c, i) => (i === 0 ? '' : ` | ${path.basename(c)}`)).join('') + ` (first: ${path.basename(base)}):`);
const names = runs.get(base)[0].actions.map(([n]) => n);
for (let i = 0; i < names.length; i++) {
  const cells = checkouts.map((c) => String(Math.round(median(runs.get(c).map((x) => x.actions[i][1])))).padStart(7));
  console.log(`  ${names[i].padEnd(44)} ${cells.join(' | ')}`);
}
