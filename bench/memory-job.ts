// The job of bench/memory.js: a steady stream for a long run, to see whether anything
// grows with the number of batches. A socket word count from HOST:PORT at a batch interval
// with a window (reduceByKeyAndWindow with an inverse), mapWithState over a bounded set of
// keys, and a sink per partition; checkpointed to a fresh directory. Runs DURATION ms;
// prints `BATCH {time,records,processing}` every 20th batch. A fifth argument `cache` adds an
// output that, each batch, caches an RDD of the batch's words and broadcasts a small table,
// counts, and forgets both (no unpersist(), no destroy()): the program's leak the context
// cleaner removes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateSpec, StreamingContext, type SluiceContext } from '@sluice/core';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [host, port, intervalMs, durationMs, cache] = [args[0], Number(args[1]), Number(args[2]), Number(args[3]), args[4] === 'cache'];
  const ssc = new StreamingContext(sc, intervalMs, { blockInterval: Math.max(10, Math.floor(intervalMs / 2)) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-memory-'));
  ssc.checkpoint(dir);
  let n = 0;
  ssc.addStreamingListener({
    onBatchCompleted: (b) => {
      if (n++ % 20 === 0) console.log('BATCH ' + JSON.stringify({ time: b.batchTime, records: b.numRecords, processing: b.processingDelay, total: b.totalDelay }));
    },
  });
  const pairs = ssc
    .socketTextStream(host, port)
    .flatMap((line) => line.split(' '))
    .map((w) => [w, 1] as [string, number]);
  pairs
    .reduceByKeyAndWindow((a, b) => a + b, intervalMs * 4, intervalMs * 2, { invFunc: (a, b) => a - b, filterFunc: ([, c]) => c > 0 })
    .foreachRDD(async (rdd) => {
      await rdd.count();
    });
  pairs
    .reduceByKey((a, b) => a + b, 2)
    .mapWithState(StateSpec.function<string, number, number, number>((_k, v, state) => {
      const total = (state.getOption() ?? 0) + (v ?? 0);
      state.update(total);
      return total;
    }))
    .foreachRDD(async (rdd) => {
      await rdd.foreachPartition(async (it) => {
        let s = 0;
        for (const x of it) s += x;
        if (s < 0) throw new Error('negative');
      });
    });
  if (cache) {
    pairs.foreachRDD(async (rdd) => {
      const table = sc.broadcast(Array.from({ length: 256 }, (_, i) => i));
      const cached = rdd.map(([w]) => table.value[w.length % 256]).cache();
      await cached.count();
    });
  }
  ssc.start();
  await ssc.awaitTerminationOrTimeout(durationMs);
  await ssc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
