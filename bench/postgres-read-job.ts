// The job of bench/postgres-read.js. args[0] is JSON { url, table, rows, partitions, fetchSize }:
// reads the table's `rows` rows with postgresRDD over id 0 .. rows-1 in `partitions`
// partitions, each row mapped to its n, and prints `READ {count, sum, ms}`: the time of the
// action alone (tasks scheduled, connections opened, rows fetched and mapped), not the job's start.
import type { SluiceContext } from '@sluice/core';
import { postgresRDD } from '@sluice/postgres';

interface Args {
  url: string;
  table: string;
  rows: number;
  partitions: number;
  fetchSize: number;
}

export default async function (sc: SluiceContext, argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0]!) as Args;
  const rdd = postgresRDD(sc, {
    connectionString: a.url,
    sql: `SELECT id, word, n FROM ${a.table} WHERE ? <= id AND id <= ?`,
    lowerBound: 0,
    upperBound: a.rows - 1,
    numPartitions: a.partitions,
    fetchSize: a.fetchSize,
    mapRow: (row) => row[2] as number,
  });
  const start = Date.now();
  const sums = await rdd.mapPartitions((it) => {
    let count = 0;
    let sum = 0;
    for (const n of it) (count++, (sum += n));
    return [[count, sum] as [number, number]];
  }).collect();
  const ms = Date.now() - start;
  console.log('READ ' + JSON.stringify({ count: sums.reduce((x, [c]) => x + c, 0), sum: sums.reduce((x, [, s]) => x + s, 0), ms }));
}
