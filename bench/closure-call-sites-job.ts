// Job of bench/closure-call-sites.js. Three figures of the driver program's thread, CPU time (process.cpuUsage over
// synchronous loops of this thread only, so the figure is this thread's plus whatever other threads of `sluice
// run` did meanwhile, little while no action runs):
//   mapUs     one `rdd.map(f)` of a fresh function (its RDD made, the function captured for shipping: the
//             inspector's read of its scopes, and its call site formatted at once by capture-closure.ts's
//             userCallSite(): the stack, source-mapped, searched for the program's frame);
//   mapSameUs one `rdd.map(f)` of the same function again (a function that captures nothing is read through the
//             inspector once and its capture kept, but its call site is still formatted each time: the key);
//   stackUs   one `new Error().stack` at Error.stackTraceLimit 64 from the same place (what userCallSite formats),
//             the formatting's own cost;
//   actionUs  one count of a fresh chain of CHAIN maps (the whole process's CPU, scheduler thread included).
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [n, chain, actions] = [Number(args[0] ?? 2000), Number(args[1] ?? 20), Number(args[2] ?? 100)];
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
  stacks(200);
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
  console.log(`BENCH ${JSON.stringify({ n, chain, actions, mapUs, mapSameUs, stackUs, actionUs })}`);
}
