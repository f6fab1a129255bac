import { DirectInputRDD, type SluiceContext } from '@sluice/core';
import { postgresRDDOptions, type PostgresRDDOptions, type PostgresResultRow, type PostgresSlice } from './postgres-rdd-options.js';
import { readPostgresSlice } from './read-postgres-slice.js';

/**
 * An RDD of the rows of a query over a key range, Spark's JdbcRDD on Postgres: partition i
 * runs the query with its two placeholders bound to the i-th inclusive slice of
 * [lowerBound, upperBound] (Spark's split arithmetic, `slices()`), in a task on a worker
 * with its own connection. A lost or failed task re-reads its slice.
 */
export class PostgresRDD<T> extends DirectInputRDD<T, PostgresSlice> {
  /** Each partition's inclusive [lower, upper] key slice (decimal strings), in partition order. */
  slices(): readonly PostgresSlice[] {
    return this.ranges();
  }
}

/**
 * The rows of `sql` over [lowerBound, upperBound] cut into numPartitions slices, each row
 * mapped by `mapRow` on the worker (default: the row as an array of its column values, as
 * Spark's JdbcRDD.resultSetToObjectArray). Bad options throw SLUICE_BAD_ARGUMENT here;
 * an unreachable server, refused credentials or a query naming a missing table fail the
 * partition's task (and, after its retries, the job) naming the partition and the setting.
 */
export function postgresRDD(sc: SluiceContext, options: PostgresRDDOptions<PostgresResultRow>): PostgresRDD<PostgresResultRow>;
export function postgresRDD<T>(sc: SluiceContext, options: PostgresRDDOptions<T> & { readonly mapRow: (row: PostgresResultRow, columns: readonly string[]) => T }): PostgresRDD<T>;
export function postgresRDD<T>(sc: SluiceContext, options: PostgresRDDOptions<T>): PostgresRDD<T | PostgresResultRow> {
  return makeRDD(sc, options, 'postgresRDD');
}

function makeRDD<T>(sc: SluiceContext, options: PostgresRDDOptions<T>, op: string): PostgresRDD<T | PostgresResultRow> {
  const { params, slices } = postgresRDDOptions(options as PostgresRDDOptions<unknown>, op);
  // A function inside a captured object does not travel: mapRow goes as a variable of its own.
  const mapRow = options.mapRow;
  const reader = sc.ship((slice: PostgresSlice, ctx: { partition: number }) => readPostgresSlice(params, slice, ctx.partition, mapRow), `${op} reader`);
  return new PostgresRDD<T | PostgresResultRow>(sc, slices, { reader, placements: undefined });
}

/**
 * Spark's `new JdbcRDD(sc, getConnection, sql, lowerBound, upperBound, numPartitions, mapRow)`
 * (and JdbcRDD.create) in positional form, with a connection string for getConnection.
 */
export const JdbcRDD = {
  create<T = PostgresResultRow>(
    sc: SluiceContext,
    connectionString: string,
    sql: string,
    lowerBound: number | bigint,
    upperBound: number | bigint,
    numPartitions: number,
    mapRow?: (row: PostgresResultRow, columns: readonly string[]) => T,
  ): PostgresRDD<T> {
    return makeRDD(sc, { connectionString, sql, lowerBound, upperBound, numPartitions, ...(mapRow ? { mapRow } : {}) }, 'JdbcRDD.create') as PostgresRDD<T>;
  },
};
