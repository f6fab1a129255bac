/**
 * @sluice/postgres: Postgres for Sluice, on `pg`: a sink (saveToPostgres) and a source
 * (postgresRDD, Spark's JdbcRDD: a query over a key range cut into partitions).
 *
 *   import { StreamingContext, type SluiceContext } from '@sluice/core';
 *   import { saveToPostgres } from '@sluice/postgres';
 *
 *   export default async function (sc: SluiceContext) {
 *     const ssc = new StreamingContext(sc, '1s');
 *     const counts = ssc.socketTextStream('localhost', 9999)
 *       .flatMap((line) => line.split(' '))
 *       .map((w) => [w, 1] as [string, number])
 *       .reduceByKey((a, b) => a + b);
 *     // CREATE TABLE word_counts (word text PRIMARY KEY, n bigint)
 *     saveToPostgres(counts, { connectionString: 'postgres://sluice@localhost/postgres', table: 'word_counts', columns: ['word', 'n'], conflictKey: ['word'] });
 *     ssc.start();
 *     await ssc.awaitTermination();
 *   }
 *
 * Each partition of each batch is written in one transaction with a marker row, so a
 * re-run of a batch or task writes nothing twice (see saveToPostgres and the README).
 *
 *   const rows = postgresRDD(sc, { connectionString, sql: 'SELECT data FROM foo WHERE ? <= id AND id <= ?',
 *     lowerBound: 1, upperBound: 100, numPartitions: 3, mapRow: (row) => row[0] as number });
 */
export { saveToPostgres, type PostgresRow, type PostgresSaveResult } from './save-to-postgres.js';
export type { SaveToPostgresOptions, PostgresProgress } from './postgres-options.js';
export { closePools } from './close-pools.js';
export { postgresRDD, PostgresRDD, JdbcRDD } from './postgres-rdd.js';
export { partitionSlices, type PostgresRDDOptions, type PostgresResultRow, type PostgresSlice } from './postgres-rdd-options.js';
