// The job of bench/scale.js: a stream of small batches, each `tasksPerBatch` one-record
// tasks (a queue stream whose every batch is the same parallelized RDD, counted), at a
// batch interval, for a duration from its first batch. Before the stream it warms up:
// counts of the same RDD (the first count's first wave puts a task on every worker — the
// scheduler spreads a stage one task per worker per round — so it ends only once every
// worker has loaded the job and started its task thread), and a shuffle shaped as the one
// StreamingContext.start runs itself (cluster-warm-up.ts: min(2 x parallelism, 100) maps,
// min(parallelism, 50) reducers), so that the workers' shuffle streams to each other are
// open when the stream's own warm-up runs (it holds the stream's clock for up to 5 s, and
// its tasks go before the first batches'). Prints WARM with the warm-up's times, STREAM at
// the first batch's submission, then each batch's figures as a BATCH line.
import { StreamingContext, type SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [intervalMs, tasksPerBatch, durationMs, warmActions] = [Number(args[0]), Number(args[1]), Number(args[2]), Number(args[3] ?? 0)];
  const each = sc.parallelize(
    Array.from({ length: tasksPerBatch }, (_, i) => i),
    tasksPerBatch,
  );
  const warmStart = Date.now();
  const warm: number[] = [];
  const timed = async (action: () => Promise<number>, expected: number): Promise<void> => {
    const t = Date.now();
    const n = await action();
    if (n !== expected) throw new Error(`a warm-up action gave ${n}, expected ${expected}`);
    warm.push(Date.now() - t);
  };
  const maps = Math.min(2 * sc.defaultParallelism, 100);
  const reducers = Math.min(sc.defaultParallelism, 50);
  const shuffled = sc
    .parallelize(
      Array.from({ length: 4 * maps }, (_, i) => i),
      maps,
    )
    .map((x): [number, number] => [x % 16, 1])
    .reduceByKey((a, b) => a + b, reducers);
  for (let i = 0; i < warmActions; i++) {
    await timed(() => each.count(), tasksPerBatch);
    if (i === 0) await timed(() => shuffled.count(), Math.min(16, 4 * maps));
  }
  console.log('WARM ' + JSON.stringify({ ms: Date.now() - warmStart, actions: warm }));
  const ssc = new StreamingContext(sc, intervalMs);
  let firstBatch!: () => void;
  const started = new Promise<void>((r) => (firstBatch = r));
  ssc.addStreamingListener({
    onBatchSubmitted: (b) => {
      console.log('STREAM ' + JSON.stringify({ time: b.batchTime, submitted: b.submissionTime }));
      firstBatch();
    },
    onBatchCompleted: (b) =>
      console.log('BATCH ' + JSON.stringify({ time: b.batchTime, scheduling: b.schedulingDelay, processing: b.processingDelay, total: b.totalDelay, end: b.processingEndTime })),
  });
  ssc.queueStream([], true, each).foreachRDD(async (rdd) => {
    const n = await rdd.count();
    if (n !== tasksPerBatch) throw new Error(`a batch counted ${n} records, expected ${tasksPerBatch}`);
  });
  ssc.start();
  await started;
  await ssc.awaitTerminationOrTimeout(durationMs);
  await ssc.stop();
}
