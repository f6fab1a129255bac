// Actions over a cached RDD of small records (not a test): `sc.range(0, records, 1, parts)
// .map(record).cache()` (bench/cache-reads-data.js: objects of four fields), filled by a first
// count, then `rounds` rounds of count, reduce and map + reduce over it (bench/cache-reads-job.ts)
// as `sluice run --no-progress --workers 2` (two one-core workers; `--cores N` before the other
// arguments: N cores, so N task threads, a worker), against a plain loop: the
// same records in one array in one thread, the same actions as loops over it. Checkouts
// alternated round by round; every result checked equal to the plain loop's. Prints per run the
// whole process's wall and the CPU of its process tree (GNU time), the cache's fill and the
// action loop's wall (timed in the program), then medians and ratios to the plain loop and to
// the first checkout, with the load average.
//
//   node bench/cache-reads.js [--cores N] [runs=3] [records=1000000] [parts=4] [rounds=5] [checkout ...]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTimed, TIME_CPU, median } from './bench-support.js';
import { record } from './cache-reads-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const CORES = argv[0] === '--cores' ? Number(argv.splice(0, 2)[1]) : 1;
const RUNS = Number(argv[0] ?? 3);
const RECORDS = Number(argv[1] ?? 1_000_000);
const PARTS = Number(argv[2] ?? 4);
const ROUNDS = Number(argv[3] ?? 5);
const checkouts = argv.length > 4 ? argv.slice(4).map((c) => path.resolve(c)) : [path.dirname(here)];
const load = () => os.loadavg()[0].toFixed(1);

/** The plain loop: the records made into one array, then the same actions as loops; CPU of this thread. */
function plainLoop() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const recs = [];
  for (let i = 0; i < RECORDS; i++) recs.push(record(i));
  const results = [recs.length];
  const fillMs = performance.now() - t0;
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    for (let i = 0; i < recs.length; i++) n++;
    results.push(n);
    let top = recs[0];
    for (let i = 1; i < recs.length; i++) {
      const b = recs[i];
      if (!(top.v > b.v || (top.v === b.v && top.id < b.id))) top = b;
    }
    results.push(top.id);
    let sum = 0;
    for (let i = 0; i < recs.length; i++) sum += recs[i].w;
    results.push(sum);
  }
  const loopMs = performance.now() - t1;
  const cl = process.cpuUsage(c1);
  const c = process.cpuUsage(c0);
  return { results, fillMs, loopMs, loopCpuMs: (cl.user + cl.system) / 1000, cpuMs: (c.user + c.system) / 1000 };
}

const plain = [];
const runs = new Map(checkouts.map((c) => [c, []]));
for (let k = 0; k < RUNS; k++) {
  const p = plainLoop();
  plain.push(p);
  console.log(`run ${k + 1} plain loop: fill ${p.fillMs.toFixed(0)} ms, actions ${p.loopMs.toFixed(0)} ms (CPU ${p.loopCpuMs.toFixed(0)} ms), CPU ${p.cpuMs.toFixed(0)} ms (load ${load()})`);
  for (const c of checkouts) {
    const job = path.join(here, 'cache-reads-job.ts');
    const res = await spawnTimed('/usr/bin/time', [...TIME_CPU, process.execPath, path.join(c, 'packages/cli/bin/sluice.js'), 'run', '--no-progress', '--workers', '2', '--cores', String(CORES), job, String(RECORDS), String(PARTS), String(ROUNDS)], { cwd: c });
    const line = /BENCH (.*)/.exec(res.out);
    if (res.code !== 0 || !line) throw new Error(`sluice run in ${c} exited ${res.code}: ${res.err.slice(-2000)}`);
    const got = JSON.parse(line[1]);
    // Sums of quarters are exact in doubles, in any order: the results compare as they are.
    if (JSON.stringify(got.results) !== JSON.stringify(p.results)) throw new Error(`${c}: results ${JSON.stringify(got.results)} differ from the plain loop's ${JSON.stringify(p.results)}`);
    runs.get(c).push({ wall: res.wallMs, cpu: res.cpuMs, fill: got.fillMs, loop: got.loopMs, loopCpu: got.loopCpuMs, actions: got.actions });
    console.log(`run ${k + 1} ${c}: wall ${Math.round(res.wallMs)} ms, CPU ${Math.round(res.cpuMs)} ms, fill ${got.fillMs} ms, ${ROUNDS * 3} actions ${got.loopMs} ms, their CPU ${got.loopCpuMs} ms (load ${load()}); each action's wall: ${got.actions.join(', ')} ms`);
  }
}
const med = (c, key) => median(runs.get(c).map((x) => x[key]));
const pl = median(plain.map((x) => x.loopMs));
const plc = median(plain.map((x) => x.loopCpuMs));
const base = checkouts[0];
console.log(`\n${RECORDS} records in ${PARTS} partitions, 2 workers of ${CORES} cores, ${ROUNDS} rounds of count, reduce, map + reduce; medians of ${RUNS} (load now ${load()}):`);
console.log(`  plain loop: fill ${median(plain.map((x) => x.fillMs)).toFixed(0)} ms, ${ROUNDS * 3} actions ${pl.toFixed(0)} ms (CPU ${plc.toFixed(0)} ms), CPU ${median(plain.map((x) => x.cpuMs)).toFixed(0)} ms`);
for (const c of checkouts) {
  const cells = ['wall', 'cpu', 'fill', 'loop', 'loopCpu'].map((k) => `${k} ${Math.round(med(c, k))} ms`);
  const perAction = med(c, 'loopCpu') / (ROUNDS * 3);
  console.log(`  ${c}: ${cells.join(', ')}; CPU an action ${perAction.toFixed(0)} ms, the action loop's CPU ${(med(c, 'loopCpu') / plc).toFixed(1)}x the plain loop's` + (c === base ? '' : `; to ${path.basename(base)}: CPU ${(med(c, 'cpu') / med(base, 'cpu')).toFixed(2)}, action loop's CPU ${(med(c, 'loopCpu') / med(base, 'loopCpu')).toFixed(2)}, its wall ${(med(c, 'loop') / med(base, 'loop')).toFixed(2)}`));
}
