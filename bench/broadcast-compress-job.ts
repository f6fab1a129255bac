// The job of bench/broadcast-compress.js: a broadcast of `n` records [i, text] (text: a word of
// 1,000 and a fixed phrase, as a lookup table of log lines or events is), read by 16 tasks in
// 4 waves on the cluster's 4 task threads (each thread decodes it once). Prints `BENCH {ms,
// result}` (result: the sum over tasks of the value's length and its last record's id, which
// must be 16 * (n + n - 1)).
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const n = Number(args[0]);
  const table: [number, string][] = [];
  for (let i = 0; i < n; i++) table.push([i, `user${(i * 7919) % 1000} GET /api/v1/items?page=${i % 50} 200 OK`]);
  const t0 = performance.now();
  const b = sc.broadcast(table);
  const sums = await sc
    .parallelize([...Array(16).keys()], 16)
    .map(() => b.value.length + b.value[b.value.length - 1][0])
    .collect();
  console.log('BENCH ' + JSON.stringify({ ms: performance.now() - t0, result: sums.reduce((a, x) => a + x, 0) }));
}
