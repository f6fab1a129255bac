// Spark's clickstream example, PageViewStream, ported: page views as `url\tstatus\tzipCode\tuserID`
// lines from a TCP socket (Spark's PageViewGenerator, in examples/lib/page-view-generator.ts),
// and one of five metrics over them, printed as Spark's prints it.
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/page-view-stream.ts errorRatePerZipCode
//       starts the bundled generator (100 views a second) and stops after 20 seconds;
//       a second argument sets the seconds (`... errorRatePerZipCode 40`)
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/page-view-stream.ts <metric> HOST PORT
//       as Spark's `PageViewStream <metric> <host> <port>`: views served at HOST:PORT, until `sluice stop JOB`
//
// <metric> is one of Spark's pageCounts, slidingPageCounts, errorRatePerZipCode,
// activeUserCount, popularUsersSeen, or `all`: every metric each batch, a line each,
// `<metric> <batch time> <JSON>`, and `views <batch time> <count>` (what its test reads).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Seconds, StreamingContext, type DStream, type SluiceContext } from '@sluice/core';
import { startPageViewServer } from './lib/page-view-generator.js';

const METRICS = ['pageCounts', 'slidingPageCounts', 'errorRatePerZipCode', 'activeUserCount', 'popularUsersSeen'];

/** A page view on a website with its dimension data (records of this class travel between processes). */
export class PageView {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly zipCode: number,
    readonly userID: number,
  ) {}

  toString(): string {
    return `${this.url}\t${this.status}\t${this.zipCode}\t${this.userID}\n`;
  }

  static fromString(input: string): PageView {
    const parts = input.split('\t');
    return new PageView(parts[0]!, Number(parts[1]), Number(parts[2]), Number(parts[3]));
  }
}

export default async function pageViewStream(sc: SluiceContext, args: string[]): Promise<void> {
  const [metric, ...rest] = args;
  if (metric === undefined || args.length > 3 || args.length === 2 && !/^\d+$/.test(rest[0]!)) {
    console.error('Usage: page-view-stream.ts <metric> [<host> <port> | <seconds>]');
    console.error(`<metric> must be one of ${METRICS.join(', ')}, all`);
    throw new Error(`page-view-stream: bad arguments ${JSON.stringify(args)}`);
  }
  const generator = rest.length < 2 ? await startPageViewServer({ viewsPerSecond: 100 }) : undefined;
  const host = generator ? '127.0.0.1' : rest[0]!;
  const port = generator ? generator.port : Number(rest[1]);

  const ssc = new StreamingContext(sc, Seconds(1));
  // countByValueAndWindow subtracts the batches leaving its window, so it keeps state: Spark's
  // example, which sets no checkpoint directory, fails at start() there as this would without it.
  const checkpoints = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-page-views-'));
  ssc.checkpoint(checkpoints);

  // A receiver on host:port; each line becomes a PageView.
  const pageViews = ssc.socketTextStream(host, port)
    .flatMap((s) => s.split('\n'))
    .map(PageView.fromString);

  // A count of views per URL seen in each batch.
  const pageCounts = pageViews.map((view) => view.url).countByValue();

  // A sliding window of page views per URL in the last ten seconds.
  const slidingPageCounts = pageViews.map((view) => view.url).countByValueAndWindow(Seconds(10), Seconds(2));

  // The rate of error pages (a non 200 status) in each zip code over the last 30 seconds.
  const statusesPerZipCode = pageViews.window(Seconds(30), Seconds(2))
    .map((view) => [view.zipCode, view.status] as [number, number])
    .groupByKey();
  const errorRatePerZipCode = statusesPerZipCode.map(([zip, statuses]) => {
    const normalCount = statuses.filter((s) => s === 200).length;
    const errorCount = statuses.length - normalCount;
    const errorRatio = errorCount / statuses.length;
    return errorRatio > 0.05 ? `${zip}: **${errorRatio}**` : `${zip}: ${errorRatio}`;
  });

  // The number of unique users in the last 15 seconds.
  const activeUserCount = pageViews.window(Seconds(15), Seconds(2))
    .map((view) => [view.userID, 1] as [number, number])
    .groupByKey()
    .count()
    .map((n) => 'Unique active users: ' + n);

  // An external dataset we want to join to this stream.
  const userList = ssc.sparkContext.parallelize<[number, string]>([
    [1, 'Patrick Wendell'],
    [2, 'Reynold Xin'],
    [3, 'Matei Zaharia'],
  ]);
  // Users of our existing dataset seen in a batch (at most 10 of their views).
  const popularUsersSeen = (f: (users: string[], time: number) => void): void =>
    pageViews.map((view) => [view.userID, 1] as [number, number]).foreachRDD(async (rdd, time) => {
      f(await rdd.join(userList).map(([, [, name]]) => name).take(10), time);
    });

  switch (metric) {
    case 'pageCounts': pageCounts.print(); break;
    case 'slidingPageCounts': slidingPageCounts.print(); break;
    case 'errorRatePerZipCode': errorRatePerZipCode.print(); break;
    case 'activeUserCount': activeUserCount.print(); break;
    case 'popularUsersSeen': popularUsersSeen((users, time) => users.forEach((u) => console.log(`Saw user ${u} at time ${time} ms`))); break;
    case 'all': {
      const line = (name: string, stream: DStream<unknown>): void =>
        stream.foreachRDD(async (rdd, time) => console.log(`${name} ${time} ${JSON.stringify(await rdd.collect())}`));
      line('views', pageViews.count());
      line('pageCounts', pageCounts);
      line('slidingPageCounts', slidingPageCounts);
      line('errorRatePerZipCode', errorRatePerZipCode);
      line('activeUserCount', activeUserCount);
      popularUsersSeen((users, time) => console.log(`popularUsersSeen ${time} ${JSON.stringify(users)}`));
      break;
    }
    default:
      console.log('Invalid metric entered: ' + metric);
  }

  try {
    ssc.start();
    if (generator) {
      await ssc.awaitTerminationOrTimeout(Seconds(Number(rest[0] ?? 20)));
      await ssc.stop({ graceful: true });
    } else {
      await ssc.awaitTermination();
    }
  } finally {
    await generator?.close();
    fs.rmSync(checkpoints, { recursive: true, force: true });
  }
}
