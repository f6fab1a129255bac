// The network word count on a live dashboard: each 1-second batch's word counts as a bar
// chart and its number of words as a line, on the driver's web UI (the job's Dashboard
// page, /jobs/JOB/dashboard/, linked from its Streaming page), updated after every batch.
//
//   node packages/cli/bin/sluice.js run --workers 2 --web-port 4040 examples/dashboard-wordcount.ts
//       no arguments: starts a bundled line generator and stops after 60 seconds;
//       open the web UI address it prints and follow "Streaming", then "Live dashboard"
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/dashboard-wordcount.ts HOST PORT
//       counts the lines served at HOST:PORT (e.g. `nc -lk 9999`) until `sluice stop JOB`;
//       the dashboard is at http://DRIVER:4040/jobs/JOB/dashboard/ (sluice driver --web-port)
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { startLineServer } from './lib/line-server.js';

export default async function dashboardWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const generator = args.length === 0 ? await startLineServer({ linesPerSecond: 2000 }) : undefined;
  const host = args[0] ?? '127.0.0.1';
  const port = generator ? generator.port : Number(args[1] ?? 9999);

  const ssc = new StreamingContext(sc, '1s');
  const words = ssc.socketTextStream(host, port).flatMap((line) => line.split(' ').filter((w) => w !== ''));
  const counts = words.map((word) => [word, 1] as [string, number]).reduceByKey((a, b) => a + b);
  // The 20 most frequent words of the latest batch (the page says how many it left out).
  counts.toDashboard('word counts', { kind: 'bar', maxItems: 20, title: 'Word counts (latest batch)' });
  // Words per batch over the last 5 minutes.
  words.count().toDashboard('words per batch', { kind: 'line', keepBatches: 300 });

  ssc.start();
  if (generator) {
    await ssc.awaitTerminationOrTimeout(60_000);
    await ssc.stop({ graceful: true });
    await generator.close();
  } else {
    await ssc.awaitTermination();
  }
}
