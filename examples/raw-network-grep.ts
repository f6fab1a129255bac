// Spark's RawNetworkGrep, ported: several rawSocketStreams (blocks of already-serialized
// lines, as Spark's RawTextSender serves them: examples/lib/raw-text-sender.ts), their union,
// and each batch's count of the lines that contain "the".
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/raw-network-grep.ts [FILE]
//       starts the bundled sender on FILE's lines (a built-in text without one): 2 streams,
//       1-second batches, 30 blocks of ~4 KB to each stream, then stops after 10 seconds
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/raw-network-grep.ts <numStreams> <host> <port> <batchMillis>
//       as Spark's: a sender already serving at host:port, until `sluice stop JOB`
import fs from 'node:fs';
import { Milliseconds, StreamingContext, type SluiceContext } from '@sluice/core';
import { startRawTextSender } from './lib/raw-text-sender.js';

const TEXT = [
  'the gate opens at dawn and the water runs',
  'a lock keeps the level while boats pass',
  'then the river slows behind the dam',
  'no word of note here',
  'other streams join further down',
  'each batch of water counted once',
];

export default async function rawNetworkGrep(sc: SluiceContext, args: string[]): Promise<void> {
  if (args.length !== 4 && args.length > 1) {
    console.error('Usage: raw-network-grep.ts <numStreams> <host> <port> <batchMillis>  (or [file]: a bundled sender)');
    throw new Error(`raw-network-grep: bad arguments ${JSON.stringify(args)}`);
  }
  const sender = args.length <= 1
    ? await startRawTextSender({
        lines: args[0] === undefined ? TEXT : fs.readFileSync(args[0], 'utf8').split('\n').filter((l) => l.length > 0),
        blockSize: 4096,
        bytesPerSec: 100_000,
        blocks: 30,
      })
    : undefined;
  const numStreams = sender ? 2 : Number(args[0]);
  const host = sender ? '127.0.0.1' : args[1]!;
  const port = sender ? sender.port : Number(args[2]);
  const batchMillis = sender ? 1000 : Number(args[3]);

  const ssc = new StreamingContext(sc, Milliseconds(batchMillis));
  const rawStreams = Array.from({ length: numStreams }, () => ssc.rawSocketStream<string>(host, port));
  const union = ssc.union(rawStreams);
  union.filter((line) => line.includes('the')).count().foreachRDD(async (r) => {
    console.log(`Grep count: ${(await r.collect()).join('')}`);
  });

  try {
    ssc.start();
    if (sender) {
      await ssc.awaitTerminationOrTimeout(10_000);
      await ssc.stop({ graceful: true });
    } else {
      await ssc.awaitTermination();
    }
  } finally {
    await sender?.close();
  }
}
