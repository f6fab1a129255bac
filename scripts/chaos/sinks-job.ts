// The job scripts/chaos-probe.mjs --sinks submits (not a test fixture: the probe is a soak, run
// by hand). chaos-job.ts's graph and outputs (the write-ahead log on), plus each batch's sums
// by key (reduceByKey over 3 partitions) written to the three sinks a user writes results to:
// - Postgres, COPY into <tag>_sums(batch_time, k, n) (no conflict key: exactly once per
//   partition by the sink's markers alone), and INSERT ... ON CONFLICT (batch_time, k) into
//   <tag>_upsert;
// - Redis, HINCRBY <tag>:totals <k> <n> (a counter: not idempotent by nature, once by the marker);
// - S3, saveAsTextFiles('s3://<tag>/sums'): sums-<t>/part-NNNNN of lines `k n`, and _SUCCESS.
// Postgres and Redis wait up to reconnectTimeoutMs for a server they reached. Recovered with
// StreamingContext.getOrCreate; a sink's failure fails the job (the probe submits it again
// once the server is back).
// args: chaos-job.ts's ten (flow ''), then a JSON object
//       { tag, pg, redis, s3, reconnectTimeoutMs } (s3: the endpoint; tag: the tables', key's
//       and bucket's name, one a job).
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { saveToPostgres } from '@sluice/postgres';
import { saveToRedis } from '@sluice/redis';
import { configureS3 } from '@sluice/s3';
import { chaosGraph, runChaosJob } from './chaos-job.js';

interface SinkArgs {
  readonly pg: string;
  readonly redis: string;
  readonly tag: string;
  readonly s3: string;
  readonly reconnectTimeoutMs: number;
}

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const sinks = JSON.parse(args[10]) as SinkArgs;
  // s3rver's one account; what is set on the driver when a save starts travels with its tasks
  configureS3({ endpoint: sinks.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const ssc = await StreamingContext.getOrCreate(sc, args[0], () => {
    const { ssc, pairs } = chaosGraph(sc, args);
    const sums = pairs.reduceByKey((a, b) => a + b, 3);
    const rows = sums.transform((rdd, time) => rdd.map(([k, n]) => [time, k, n] as [number, string, number]));
    saveToPostgres(rows, { connectionString: sinks.pg, table: `${sinks.tag}_sums`, columns: ['batch_time', 'k', 'n'], reconnectTimeoutMs: sinks.reconnectTimeoutMs });
    saveToPostgres(rows, { connectionString: sinks.pg, table: `${sinks.tag}_upsert`, columns: ['batch_time', 'k', 'n'], conflictKey: ['batch_time', 'k'], method: 'insert', reconnectTimeoutMs: sinks.reconnectTimeoutMs });
    saveToRedis(sums, { url: sinks.redis, kind: 'counter', key: `${sinks.tag}:totals`, field: ([k]) => k, reconnectTimeoutMs: sinks.reconnectTimeoutMs });
    sums.map(([k, n]) => `${k} ${n}`).saveAsTextFiles(`s3://${sinks.tag}/sums`);
    return ssc;
  });
  await runChaosJob(sc, ssc, args);
}
