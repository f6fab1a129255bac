// The network word count keeping running totals in Redis with @sluice/redis: each 1-second
// batch's counts are added with HINCRBY to the hash `wordcount` (field: the word). Each
// partition of each batch is applied once (MULTI/EXEC with a marker key), whatever fails
// and is re-run, so the totals count every word once.
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/redis-wordcount.ts [URL [HOST PORT]]
//       URL:  the server, default redis://localhost:6379
//       HOST PORT: where lines are served; without them a bundled line generator runs and
//       the job stops after 10 seconds
//   redis-cli HGETALL wordcount
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { saveToRedis } from '@sluice/redis';
import { startLineServer } from './lib/line-server.js';

export default async function redisWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const url = args[0] ?? 'redis://localhost:6379';
  const generator = args.length <= 1 ? await startLineServer({ linesPerSecond: 2000 }) : undefined;
  const host = args[1] ?? '127.0.0.1';
  const port = generator ? generator.port : Number(args[2] ?? 9999);

  const ssc = new StreamingContext(sc, '1s');
  const counts = ssc
    .socketTextStream(host, port)
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
  saveToRedis(counts, { url, kind: 'counter', key: 'wordcount', field: ([word]) => word });
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
