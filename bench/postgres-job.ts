// The job of bench/postgres.js. args[0] is JSON { url, table, rows, partitions, method }:
// saves `rows` generated rows { id, word, n } (an RDD of `partitions` partitions) with
// saveToPostgres and prints `SAVED {written, ms}`: the time of the save alone (tasks
// scheduled, rows made and written, transactions committed), not the job's start.
import type { SluiceContext } from '@sluice/core';
import { saveToPostgres } from '@sluice/postgres';

interface Args {
  url: string;
  table: string;
  rows: number;
  partitions: number;
  method: 'copy' | 'insert';
}

export default async function (sc: SluiceContext, argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0]!) as Args;
  const rows = sc.range(0, a.rows, 1, a.partitions).map((i) => ({ id: i, word: `word-${i % 5000}`, n: i % 97 }));
  const start = Date.now();
  const r = await saveToPostgres(rows, { connectionString: a.url, table: a.table, columns: ['id', 'word', 'n'], method: a.method });
  console.log('SAVED ' + JSON.stringify({ written: r.written, ms: Date.now() - start }));
}
