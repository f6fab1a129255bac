// The engine side of bench/scheduler.js: how fast the scheduler runs tiny tasks.
//   narrow N        sc.parallelize of N numbers in N partitions, counted: N one-record tasks
//   cached N        sc.parallelize of N numbers in N partitions, cached; each run a count of a
//                   map of it: N one-record tasks that prefer the workers holding their blocks
//                   (the first run computes and caches them)
//   fair N          narrow's N tasks under FAIR scheduling: two counts of N/2 one-record tasks at
//                   once, in pools 'a' and 'b' (Spark's default pools, no allocation file)
//   shuffle M R     M map tasks writing to R reduce partitions, then R reduce tasks
//   shuffle0 M R    the same two stages with no record at all (every segment empty): what
//                   the tasks cost by themselves
//   union M R+S     two such shuffles of M map tasks each, to R and to S reduce partitions,
//                   their union counted: one result stage of R + S partitions over both
// Prints one BENCH line per run: the time and the result (checked by the bench). After the
// repeat count, worker pids: a shuffle run also reports the CPU time (user + system) this
// process (the driver) and those processes spent on it, read from /proc (Linux).
import fs from 'node:fs';
import type { SluiceContext } from '@sluice/core';

/** CPU ms of this process and of the processes `pids` so far (NaN where /proc cannot be read). */
function cpuMs(pids: readonly string[]): number {
  const own = process.cpuUsage();
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name: the state is the 1st, utime the 12th, stime the 13th (clock ticks of 10 ms).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      return NaN;
    }
  }
  return (own.user + own.system) / 1000 + ticks * 10;
}

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [kind, a, b, repeats] = [args[0], Number(args[1]), Number(args[2] ?? 0), Number(args[3] ?? 3)];
  const pids = args.slice(4);
  const cached = kind === 'cached' ? sc.parallelize(Array.from({ length: a }, (_, j) => j), a).cache() : undefined;
  for (let i = 0; i < repeats; i++) {
    if (cached !== undefined) {
      const t0 = performance.now();
      const n = await cached.map((x) => x + 1).count();
      console.log('BENCH ' + JSON.stringify({ kind, tasks: a, ms: performance.now() - t0, result: n }));
    } else if (kind === 'fair') {
      if (i === 0) sc.setSchedulerMode('FAIR');
      const half = Array.from({ length: a / 2 }, (_, j) => j);
      const t0 = performance.now();
      sc.setLocalProperty('spark.scheduler.pool', 'a');
      const x = sc.parallelize(half, a / 2).countAsync();
      sc.setLocalProperty('spark.scheduler.pool', 'b');
      const y = sc.parallelize(half, a / 2).countAsync();
      sc.setLocalProperty('spark.scheduler.pool', null);
      const n = (await x) + (await y);
      console.log('BENCH ' + JSON.stringify({ kind, tasks: a, ms: performance.now() - t0, result: n }));
    } else if (kind === 'narrow') {
      const xs = Array.from({ length: a }, (_, j) => j);
      const t0 = performance.now();
      const n = await sc.parallelize(xs, a).count();
      console.log('BENCH ' + JSON.stringify({ kind, tasks: a, ms: performance.now() - t0, result: n }));
    } else if (kind === 'union') {
      // Two full shuffles, M x R and M x S, of the same map input; the result stage reads both.
      const maps = sc.parallelize(Array.from({ length: a }, (_, j) => j), a);
      const [r, s] = args[2].split('+').map(Number);
      const t0 = performance.now();
      const c0 = cpuMs(pids);
      const left = maps.flatMap((m) => Array.from({ length: r }, (_, k) => [k, m] as [number, number])).reduceByKey((x, y) => x + y, r);
      const right = maps.flatMap((m) => Array.from({ length: s }, (_, k) => [k, m] as [number, number])).reduceByKey((x, y) => x + y, s);
      const pairs = await left.union(right).count();
      const ms = performance.now() - t0;
      console.log('BENCH ' + JSON.stringify({ kind, maps: a, reduces: r + s, ms, cpuMs: cpuMs(pids) - c0, result: pairs }));
    } else {
      // Every map task writes one record to every reduce partition: a full M x R shuffle.
      const maps = Array.from({ length: a }, (_, j) => j);
      const r = b;
      const t0 = performance.now();
      const c0 = cpuMs(pids);
      const pairs = await sc
        .parallelize(maps, a)
        .flatMap((m) => (kind === 'shuffle0' ? [] : Array.from({ length: r }, (_, k) => [k, m] as [number, number])))
        .reduceByKey((x, y) => x + y, r)
        .count();
      const ms = performance.now() - t0;
      console.log('BENCH ' + JSON.stringify({ kind, maps: a, reduces: r, ms, cpuMs: cpuMs(pids) - c0, result: pairs }));
    }
  }
}
