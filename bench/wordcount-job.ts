// The engine side of bench/wordcount.js: word count over a text file, timed on the driver.
import type { SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [file, partitions] = [args[0], Number(args[1] ?? 8)];
  const t0 = performance.now();
  const counts = await sc
    .textFile(file, partitions)
    .flatMap((line) => line.split(' '))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .collect();
  const ms = performance.now() - t0;
  let words = 0;
  for (const [, n] of counts) words += n;
  console.log('BENCH ' + JSON.stringify({ ms, distinct: counts.length, words }));
}
