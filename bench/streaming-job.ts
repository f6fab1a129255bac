// The job of bench/streaming.js: network word count from HOST:PORT at a batch interval,
// for a duration; prints each batch's figures as a JSON line. A fifth argument checkpoints
// its metadata: 'local' to a fresh directory, 'slow:<ms>' to one whose every metadata write
// first waits <ms> (packages/cli/test/fixtures/slow-checkpoint-store.ts); it then prints
// `GENERATED {generated, due}` at the end: the batches generated against those whose time came.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { SLOW_SCHEME, slowMetadataWrites } from '../packages/cli/test/fixtures/slow-checkpoint-store.js';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [host, port, intervalMs, durationMs] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const checkpoint = args[4] ?? '';
  // Blocks at most half a batch long, so every batch gets data (Spark's advice too).
  const ssc = new StreamingContext(sc, intervalMs, { blockInterval: Math.min(200, Math.max(10, Math.floor(intervalMs / 2))) });
  let dir: string | undefined;
  if (checkpoint !== '') {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-ckpt-'));
    const slow = /^slow:(\d+)$/.exec(checkpoint);
    if (slow) slowMetadataWrites(Number(slow[1]));
    ssc.checkpoint(slow ? `${SLOW_SCHEME}://${dir}` : dir);
  }
  ssc.addStreamingListener({
    onBatchCompleted: (b) =>
      console.log('BATCH ' + JSON.stringify({ time: b.batchTime, records: b.numRecords, scheduling: b.schedulingDelay, processing: b.processingDelay, total: b.totalDelay })),
  });
  const generated: number[] = [];
  ssc
    .socketTextStream(host, port)
    .transform((rdd, time) => {
      generated.push(time); // runs on the driver as the batch is generated
      return rdd;
    })
    .flatMap((line) => line.split(' '))
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(async (rdd) => {
      await rdd.count();
    });
  ssc.start();
  await ssc.awaitTerminationOrTimeout(durationMs);
  const end = Date.now();
  await ssc.stop();
  if (generated.length > 0) console.log('GENERATED ' + JSON.stringify({ generated: generated.filter((t) => t <= end).length, due: Math.floor((end - generated[0]) / intervalMs) + 1 }));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
