// The engine side of bench/scheduler.js: how fast the scheduler runs tiny tasks.
//   narrow N        sc.parallelize of N numbers in N partitions, counted: N one-record tasks
//   shuffle M R     M map tasks writing to R reduce partitions, then R reduce tasks
// Prints one BENCH line per run: the time and the result (checked by the bench).
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [kind, a, b, repeats] = [args[0], Number(args[1]), Number(args[2] ?? 0), Number(args[3] ?? 3)];
  for (let i = 0; i < repeats; i++) {
    if (kind === 'narrow') {
      const xs = Array.from({ length: a }, (_, j) => j);
      const t0 = performance.now();
      const n = await sc.parallelize(xs, a).count();
      console.log('BENCH ' + JSON.stringify({ kind, tasks: a, ms: performance.now() - t0, result: n }));
    } else {
      // Every map task writes one record to every reduce partition: a full M x R shuffle.
      const maps = Array.from({ length: a }, (_, j) => j);
      const r = b;
      const t0 = performance.now();
      const pairs = await sc
        .parallelize(maps, a)
        .flatMap((m) => Array.from({ length: r }, (_, k) => [k, m] as [number, number]))
        .reduceByKey((x, y) => x + y, r)
        .count();
      console.log('BENCH ' + JSON.stringify({ kind, maps: a, reduces: r, ms: performance.now() - t0, result: pairs }));
    }
  }
}
