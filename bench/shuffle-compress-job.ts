// The job of bench/shuffle-compress.js: `n` records [i % keys, [i, text]] (text: a word of
// 1,000 and a fixed phrase, as log lines or events are) in 8 map partitions, grouped by key
// into 8 reduce partitions (groupByKey: no map-side combine, every record crosses the
// shuffle), then each key's count and sum of i. Prints `BENCH {ms, result}` (result: the
// sum over keys of count, which must be n).
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [n, keys] = [Number(args[0]), Number(args[1] ?? 1000)];
  const t0 = performance.now();
  const out = await sc
    .range(0, n, 1, 8)
    .map((i) => [i % keys, [i, `user${(i * 7919) % 1000} GET /api/v1/items?page=${i % 50} 200 OK`]] as [number, [number, string]])
    .groupByKey(8)
    .mapValues((vs) => {
      let sum = 0;
      for (const v of vs) sum += v[0];
      return [vs.length, sum];
    })
    .collect();
  let total = 0;
  for (const [, [count]] of out) total += count;
  console.log('BENCH ' + JSON.stringify({ ms: performance.now() - t0, result: total }));
}
