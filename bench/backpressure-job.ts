// The job of bench/backpressure.js: network word count from HOST:PORT at a batch interval
// for a duration, with the StreamingContext options given as JSON (backpressure on or
// off); prints each batch's figures and the stream's backpressure rate as a JSON line.
import { StreamingContext, type SluiceContext, type StreamingContextOptions } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [host, port, intervalMs, durationMs, options] = [args[0], Number(args[1]), Number(args[2]), Number(args[3]), args[4] ?? '{}'];
  const ssc = new StreamingContext(sc, intervalMs, { blockInterval: Math.min(200, Math.max(10, Math.floor(intervalMs / 2))), ...(JSON.parse(options) as StreamingContextOptions) });
  const lines = ssc.socketTextStream(host, port);
  ssc.addStreamingListener({
    onBatchCompleted: (b) =>
      console.log(
        'BATCH ' +
          JSON.stringify({ time: b.batchTime, records: b.numRecords, scheduling: b.schedulingDelay, processing: b.processingDelay, total: b.totalDelay, rate: ssc.latestRate(lines.id) ?? null }),
      ),
  });
  lines
    .flatMap((line) => line.split(' '))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(async (rdd) => {
      await rdd.count();
    });
  ssc.start();
  await ssc.awaitTerminationOrTimeout(durationMs);
  await ssc.stop();
}
