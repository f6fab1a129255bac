// Job of bench/lineage-call-sites.js: ACTIONS counts, each of a fresh chain of CHAIN maps over one parallelized
// RDD (as a streaming batch makes new RDDs), after WARM of the same; prints the driver process's CPU time
// (process.cpuUsage: every thread of `sluice run`'s process, the program's and the scheduler's; the workers are
// processes of their own) and wall time over the timed actions. Then, as many fresh chains again, each one's
// lineage alone (what an action sends the scheduler, where its RDDs' call sites were formatted): the CPU of
// those calls only (the chains' making, their closures' capture, not counted).
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [actions, chain, warm] = [Number(args[0] ?? 200), Number(args[1] ?? 20), Number(args[2] ?? 30)];
  const base = sc.parallelize([1, 2, 3], 1);
  const once = async (): Promise<void> => {
    let r = base;
    for (let k = 0; k < chain; k++) r = r.map((x) => x + 1);
    await r.count();
  };
  for (let i = 0; i < warm; i++) await once();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < actions; i++) await once();
  const cpu = process.cpuUsage(cpu0);
  let lineageUs = 0;
  for (let i = 0; i < actions; i++) {
    let r = base;
    for (let k = 0; k < chain; k++) r = r.map((x) => x + 1);
    const c0 = process.cpuUsage();
    r.lineage();
    const c = process.cpuUsage(c0);
    lineageUs += c.user + c.system;
  }
  console.log(`BENCH ${JSON.stringify({ actions, chain, cpuUsPerAction: (cpu.user + cpu.system) / actions, wallMsPerAction: (performance.now() - t0) / actions, lineageCpuUs: lineageUs / actions })}`);
}
