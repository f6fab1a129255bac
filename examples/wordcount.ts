// Word count over generated lines, the "hello world" of Sluice.
// Run: node packages/cli/bin/sluice.js run --workers 2 examples/wordcount.ts   (`npm run example` runs network-wordcount.ts)
import type { SluiceContext } from '@sluice/core';

const WORDS = ['stream', 'batch', 'sluice', 'river', 'gate', 'water', 'flow', 'spark'];

function line(i: number): string {
  const out: string[] = [];
  for (let j = 0; j < 6; j++) out.push(WORDS[(i * 7 + j * 3) % WORDS.length]);
  return out.join(' ');
}

export default async function wordCount(sc: SluiceContext): Promise<void> {
  const lines = sc.range(0, 100_000, 1, 4).map((i) => line(i));
  const counts = await lines
    .flatMap((l) => l.split(' '))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .sortBy(([, n]) => -n)
    .collect();
  for (const [word, n] of counts) console.log(`${word}\t${n}`);
}
