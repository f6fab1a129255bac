// The job of bench/scale.js: a stream of small batches, each `tasksPerBatch` one-record
// tasks (a queue stream whose every batch is the same parallelized RDD, counted), at a
// batch interval, for a duration. Prints each batch's figures as a BATCH line.
import { StreamingContext, type SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [intervalMs, tasksPerBatch, durationMs] = [Number(args[0]), Number(args[1]), Number(args[2])];
  const ssc = new StreamingContext(sc, intervalMs);
  const each = sc.parallelize(
    Array.from({ length: tasksPerBatch }, (_, i) => i),
    tasksPerBatch,
  );
  ssc.addStreamingListener({
    onBatchCompleted: (b) =>
      console.log('BATCH ' + JSON.stringify({ time: b.batchTime, scheduling: b.schedulingDelay, processing: b.processingDelay, total: b.totalDelay, end: b.processingEndTime })),
  });
  ssc.queueStream([], true, each).foreachRDD(async (rdd) => {
    const n = await rdd.count();
    if (n !== tasksPerBatch) throw new Error(`a batch counted ${n} records, expected ${tasksPerBatch}`);
  });
  ssc.start();
  await ssc.awaitTerminationOrTimeout(durationMs);
  await ssc.stop();
}
