// The network word count writing each batch's counts to Postgres with @sluice/postgres:
// one row (batch_time, word, n) per word per 1-second batch, into the table word_counts
// (created if missing). Each partition of each batch is written once, in one transaction
// with its marker row, whatever fails and is re-run.
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/postgres-wordcount.ts [URL [HOST PORT]]
//       URL:  the server, default postgres://postgres@localhost:5432/postgres
//       HOST PORT: where lines are served; without them a bundled line generator runs and
//       the job stops after 10 seconds
//   psql URL -c 'SELECT word, sum(n) FROM word_counts GROUP BY word ORDER BY 2 DESC'
import pg from 'pg';
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { saveToPostgres } from '@sluice/postgres';
import { startLineServer } from './lib/line-server.js';

export default async function postgresWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const connectionString = args[0] ?? 'postgres://postgres@localhost:5432/postgres';
  const generator = args.length <= 1 ? await startLineServer({ linesPerSecond: 2000 }) : undefined;
  const host = args[1] ?? '127.0.0.1';
  const port = generator ? generator.port : Number(args[2] ?? 9999);

  // The table, on the driver, before the stream starts.
  const db = new pg.Client({ connectionString });
  await db.connect();
  await db.query('CREATE TABLE IF NOT EXISTS word_counts (batch_time timestamptz NOT NULL, word text NOT NULL, n bigint NOT NULL, PRIMARY KEY (batch_time, word))');
  await db.end();

  const ssc = new StreamingContext(sc, '1s');
  const counts = ssc
    .socketTextStream(host, port)
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
  const rows = counts.transform((rdd, time) => {
    const batchTime = new Date(time).toISOString();
    return rdd.map(([word, n]) => ({ batch_time: batchTime, word, n }));
  });
  saveToPostgres(rows, { connectionString, table: 'word_counts', columns: ['batch_time', 'word', 'n'], conflictKey: ['batch_time', 'word'] });
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
