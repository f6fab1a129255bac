// The engine side of bench/wordcount.js: word count over a text file, timed on the driver.
// Prints one BENCH line: the time, and the result's digest (sha256 of the sorted
// `word<TAB>count` lines), which every engine of the bench computes alike.
import crypto from 'node:crypto';
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
  counts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let words = 0;
  const h = crypto.createHash('sha256');
  for (const [w, n] of counts) {
    words += n;
    h.update(`${w}\t${n}\n`);
  }
  console.log('BENCH ' + JSON.stringify({ ms, distinct: counts.length, words, digest: h.digest('hex') }));
}
