// Running word counts across batches with updateStateByKey (state is checkpointed).
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/stateful-wordcount.ts
//       (a bundled line generator; stops after 8 seconds)
import os from 'node:os';
import path from 'node:path';
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { startLineServer } from './lib/line-server.js';

export default async function statefulWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const generator = await startLineServer({ linesPerSecond: 500 });
  const ssc = new StreamingContext(sc, '1s');
  ssc.checkpoint(args[0] ?? path.join(os.tmpdir(), 'sluice-stateful-wordcount'));

  const totals = ssc
    .socketTextStream('127.0.0.1', generator.port)
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .updateStateByKey<number>((counts, total) => counts.reduce((a, b) => a + b, total ?? 0));
  totals.print();

  ssc.start();
  await ssc.awaitTerminationOrTimeout(8000);
  await ssc.stop({ graceful: true });
  await generator.close();
}
