// Job of bench/closure-call-sites.js. Three figures of the driver program's thread, CPU time (process.cpuUsage over
// synchronous loops of this thread only, so the figure is this thread's plus whatever other threads of `sluice
// run` did meanwhile, little while no action runs):
//   mapUs     one `rdd.map(f)` of a fresh function (its RDD made, the function captured for shipping: the
//             inspector's read of its scopes, and its call site found at once by capture-closure.ts's
//             userCallSite(): the stack's frames formatted, source-mapped, up to the program's, since perf26);
//   mapSameUs one `rdd.map(f)` of the same function again (a function that captures nothing is read through the
//             inspector once and its capture kept, but its call site is still formatted each time: the key);
//   stackUs   one `new Error().stack` at Error.stackTraceLimit 64 from the same place (what userCallSite formatted
//             before perf26), the formatting's own cost, Node's formatter warmed first;
//   actionUs  one count of a fresh chain of CHAIN maps (the whole process's CPU, scheduler thread included);
//   batchUs   with a 4th argument BATCHES > 0: one batch of a small streaming job on a manual clock (a queue stream
//             of 3 records, 5 operators map, filter, flatMap, map to pairs, reduceByKey, each function capturing a
//             `let` changed every batch, so each is read through the inspector every batch; a count as the
//             output), the whole process's CPU from the clock's advance to the batch's completion, after 20
//             warm-up batches.
import { StreamingContext, type RDD, type SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [n, chain, actions, batches] = [Number(args[0] ?? 2000), Number(args[1] ?? 20), Number(args[2] ?? 100), Number(args[3] ?? 0)];
  const base = sc.parallelize([1, 2, 3], 1);
  const cpu = (): number => {
    const c = process.cpuUsage();
    return c.user + c.system;
  };
  const maps = (k: number): void => {
    for (let i = 0; i < k; i++) base.map((x) => x + 1);
  };
  const same = (x: number): number => x + 1;
  const mapsSame = (k: number): void => {
    for (let i = 0; i < k; i++) base.map(same);
  };
  const stacks = (k: number): number => {
    let len = 0;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 64;
    try {
      for (let i = 0; i < k; i++) len += new Error().stack?.length ?? 0;
    } finally {
      Error.stackTraceLimit = limit;
    }
    return len;
  };
  const once = async (): Promise<void> => {
    let r = base;
    for (let k = 0; k < chain; k++) r = r.map((x) => x + 1);
    await r.count();
  };
  maps(200);
  mapsSame(200);
  // Node's formatter warmed by itself: a build whose rdd.map formats every stack warms it, one that does not would
  // otherwise measure its first thousands of calls (perf26: 11 -> 24 us with 200, ~10 both with n).
  stacks(Math.max(200, n));
  for (let i = 0; i < 20; i++) await once();
  let t = cpu();
  maps(n);
  const mapUs = (cpu() - t) / n;
  t = cpu();
  mapsSame(n);
  const mapSameUs = (cpu() - t) / n;
  t = cpu();
  stacks(n);
  const stackUs = (cpu() - t) / n;
  t = cpu();
  for (let i = 0; i < actions; i++) await once();
  const actionUs = (cpu() - t) / actions;
  const batchUs = batches > 0 ? await streamBatches(sc, batches, cpu) : undefined;
  console.log(`BENCH ${JSON.stringify({ n, chain, actions, mapUs, mapSameUs, stackUs, actionUs, batchUs })}`);
}

async function streamBatches(sc: SluiceContext, batches: number, cpu: () => number): Promise<number> {
  const BATCH_MS = 1000;
  const warm = 20;
  const ssc = new StreamingContext(sc, BATCH_MS, { clock: 'manual' });
  const queue: RDD<number>[] = [];
  for (let i = 0; i < warm + batches; i++) queue.push(sc.parallelize([i, i + 1, i + 2], 1));
  let factor = 1;
  ssc
    .queueStream(queue, true)
    .map((x) => x * factor)
    .filter((x) => x % 7 !== factor % 7)
    .flatMap((x) => [x, x + factor])
    .map((x) => [x % 4, x * factor] as [number, number])
    .reduceByKey((a, b) => a + b + factor * 0)
    .count()
    .foreachRDD(async (rdd) => {
      await rdd.collect();
    });
  ssc.start();
  let t = 0;
  for (let i = 1; i <= warm + batches; i++) {
    if (i === warm + 1) t = cpu();
    factor = i;
    ssc.manualClock.advance(BATCH_MS);
    await ssc.waitForBatch(i * BATCH_MS);
  }
  const batchUs = (cpu() - t) / batches;
  await ssc.stop({ stopSparkContext: false });
  return batchUs;
}
