// The Sluice program of bench/cache-reads.js (not a test): an RDD of `records` small records
// (bench/cache-reads-data.js's record) cached, the cache filled by a first count, then `rounds`
// rounds of three actions over it: count, reduce (the record of the largest v, ties to the
// smallest id) and map + reduce (the sum of w). Prints `BENCH {"results": ..., "fillMs": ...,
// "loopMs": ..., "loopCpuMs": ..., "actions": [ms, ...]}` (loopCpuMs: the CPU of the driver's
// process and its descendants, the local cluster's workers, over the action loop, read from
// /proc in 10 ms ticks); the results are compared with the plain loop's.
import fs from 'node:fs';
import type { SluiceContext } from '@sluice/core';
import { record } from './cache-reads-data.js';

type Rec = { id: number; key: string; v: number; w: number };

/** CPU ms (utime + stime) of this process and its descendants (the local cluster's workers), from /proc (Linux). */
function treeCpuMs(pid: number = process.pid): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let ms = (Number(fields[11]) + Number(fields[12])) * 10;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let children = '';
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of children.split(' ').filter(Boolean)) ms += treeCpuMs(Number(c));
  }
  return ms;
}

export default async function job(sc: SluiceContext, args: string[]): Promise<void> {
  const [records, partitions, rounds] = args.map(Number);
  const recs = sc.range(0, records, 1, partitions).map((i: number): Rec => record(i)).cache();
  const t0 = performance.now();
  const filled = await recs.count();
  const fillMs = performance.now() - t0;
  const results: unknown[] = [filled];
  const actions: number[] = [];
  const t1 = performance.now();
  const cpu1 = treeCpuMs();
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    results.push(await recs.count());
    actions.push(performance.now() - t);
    t = performance.now();
    const top = await recs.reduce((a: Rec, b: Rec) => (a.v > b.v || (a.v === b.v && a.id < b.id) ? a : b));
    results.push(top.id);
    actions.push(performance.now() - t);
    t = performance.now();
    results.push(await recs.map((x) => x.w).reduce((a, b) => a + b));
    actions.push(performance.now() - t);
  }
  const loopMs = performance.now() - t1;
  const loopCpuMs = treeCpuMs() - cpu1;
  console.log('BENCH ' + JSON.stringify({ results, fillMs: Math.round(fillMs), loopMs: Math.round(loopMs), loopCpuMs, actions: actions.map(Math.round) }));
}
