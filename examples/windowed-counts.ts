// Word counts over the last 6 seconds, every 2 seconds, kept up to date incrementally:
// reduceByKeyAndWindow with an inverse function (words leaving the window are subtracted).
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/windowed-counts.ts
//       (a bundled line generator; stops after 10 seconds)
import os from 'node:os';
import path from 'node:path';
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { startLineServer } from './lib/line-server.js';

export default async function windowedCounts(sc: SluiceContext, args: string[]): Promise<void> {
  const generator = await startLineServer({ linesPerSecond: 500 });
  const ssc = new StreamingContext(sc, '1s');
  ssc.checkpoint(args[0] ?? path.join(os.tmpdir(), 'sluice-windowed-counts'));

  ssc
    .socketTextStream('127.0.0.1', generator.port)
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .reduceByKeyAndWindow((a, b) => a + b, '6s', '2s', {
      invFunc: (a, b) => a - b,
      filterFunc: ([, n]) => n > 0,
    })
    .print();

  ssc.start();
  await ssc.awaitTerminationOrTimeout(10_000);
  await ssc.stop({ graceful: true });
  await generator.close();
}
