// Spark Streaming's classic network word count: lines from a TCP socket, counted per
// 1-second batch and printed.
//
//   npm run example                      (or, after `npm run setup`:)
//   node packages/cli/bin/sluice.js run --workers 2 examples/network-wordcount.ts
//       no arguments: starts a bundled line generator and stops after 10 seconds
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/network-wordcount.ts HOST PORT
//       counts the lines served at HOST:PORT until `sluice stop JOB`
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { startLineServer } from './lib/line-server.js';

export default async function networkWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const generator = args.length === 0 ? await startLineServer({ linesPerSecond: 2000 }) : undefined;
  const host = args[0] ?? '127.0.0.1';
  const port = generator ? generator.port : Number(args[1] ?? 9999);

  const ssc = new StreamingContext(sc, '1s');
  const lines = ssc.socketTextStream(host, port);
  const counts = lines
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
  counts.print();

  ssc.start();
  if (generator) {
    await ssc.awaitTerminationOrTimeout(10_000);
    await ssc.stop({ graceful: true });
    await generator.close();
  } else {
    await ssc.awaitTermination();
  }
}
