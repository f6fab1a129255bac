// The jobs of bench/soak.js (not a test). args[0] 'stream': a stateful stream for a long run on
// a standing cluster: a reliable receiver (each block stored with `await store()`, so acked once
// written to the receiver write-ahead log, which is on) reading 100-byte lines of a 1,000-word
// vocabulary from HOST:PORT, updateStateByKey over those words (a bounded key set), checkpointed
// every 10 batches, and reduceByKeyAndWindow with an inverse over 8 batches sliding 2; runs
// until `sluice stop`. args: stream HOST PORT INTERVAL_MS CHECKPOINT_DIR.
// args[0] 'batch': one short batch job with a shuffle (a word count of 20,000 generated words
// over 8 partitions reduced into 4), printing its distinct words; args: batch SEED.
import net from 'node:net';
import { Receiver, StreamingContext, type SluiceContext } from '@sluice/core';

class SoakLineReceiver extends Receiver<string> {
  private socket: net.Socket | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super();
  }

  onStart(): void {
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('error', (err) => this.restart(`source ${this.host}:${this.port}: ${err.message}`, err));
    socket.on('connect', () => {
      void this.consume(socket).catch((err: Error) => this.restart(`reading the source failed: ${err.message}`, err));
    });
  }

  private async consume(socket: net.Socket): Promise<void> {
    let partial = '';
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      if (parts.length > 0) await this.store(parts);
    }
    if (!this.isStopped()) this.restart('the source closed the connection');
  }

  onStop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  if (args[0] === 'batch') {
    const seed = Number(args[1]);
    const words = sc.parallelize(Array.from({ length: 8 }, (_, i) => i), 8).flatMap((p) => Array.from({ length: 2500 }, (_, i) => 'w' + ((p * 2500 + i + seed) % 997)));
    const counts = await words.map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b, 4).collect();
    console.log('SOAK ' + JSON.stringify({ seed, distinct: counts.length, total: counts.reduce((s, [, c]) => s + c, 0) }));
    return;
  }
  const [, host, port, intervalMs, ckpt] = [args[0], args[1], Number(args[2]), Number(args[3]), args[4]];
  const ssc = new StreamingContext(sc, intervalMs, { blockInterval: Math.max(50, Math.floor(intervalMs / 2)), writeAheadLog: true });
  ssc.checkpoint(ckpt);
  let n = 0;
  ssc.addStreamingListener({
    onBatchCompleted: (b) => {
      if (n++ % 100 === 0) console.log('BATCH ' + JSON.stringify({ n, time: b.batchTime, records: b.numRecords, processing: b.processingDelay, total: b.totalDelay }));
    },
  });
  const pairs = ssc
    .receiverStream(new SoakLineReceiver(host, port))
    .flatMap((line) => line.split(' '))
    .filter((w) => w.startsWith('w'))
    .map((w) => [w.slice(0, 4), 1] as [string, number]);
  pairs
    .reduceByKeyAndWindow((a, b) => a + b, intervalMs * 8, intervalMs * 2, { invFunc: (a, b) => a - b, filterFunc: ([, c]) => c > 0 })
    .foreachRDD(async (rdd) => {
      await rdd.count();
    });
  pairs
    .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.reduce((a, b) => a + b, 0))
    .checkpoint(intervalMs * 10)
    .foreachRDD(async (rdd) => {
      await rdd.foreachPartition(async (it) => {
        let s = 0;
        for (const [, c] of it) s += c;
        if (s < 0) throw new Error('negative');
      });
    });
  ssc.start();
  await ssc.awaitTermination();
}
