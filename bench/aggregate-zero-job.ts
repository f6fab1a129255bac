// The job of bench/aggregate-zero.js: an average by key, Spark's aggregateByKey with an object
// zero, over many distinct keys (every new key of a map task takes a fresh copy of the zero).
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const records = Number(args[0] ?? 1_000_000);
  const keys = Number(args[1] ?? 500_000);
  const parts = Number(args[2] ?? 8);
  const per = Math.ceil(records / parts);
  const t0 = performance.now();
  const byKey = sc
    .parallelize(Array.from({ length: parts }, (_, p) => p), parts)
    .flatMap((p) => {
      const out: [number, number][] = [];
      for (let i = p * per; i < Math.min(records, (p + 1) * per); i++) out.push([i % keys, i]);
      return out;
    })
    .aggregateByKey(
      { sum: 0, n: 0 },
      (acc, v) => {
        acc.sum += v;
        acc.n += 1;
        return acc;
      },
      (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
      parts,
    )
    .map(([, a]) => [1, a.sum, a.n] as [number, number, number])
    .reduce((x, y) => [x[0] + y[0], x[1] + y[1], x[2] + y[2]]);
  const [distinct, sum, n] = await byKey;
  console.log('BENCH ' + JSON.stringify({ distinct, sum, n, actionMs: Math.round(performance.now() - t0) }));
}
