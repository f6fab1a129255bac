// Running word counts over the text files moved into a directory, that survive a driver
// restart: StreamingContext.getOrCreate rebuilds the stream from its checkpoint, so a
// driver started again on its --state-dir (which relaunches this job by itself) goes on
// with the same totals, every file counted once. Each batch prints
// `TOTALS <batch time> <json [[word, count], ...] sorted by word>`.
//
//   sluice driver --state-dir /var/lib/sluice &
//   sluice submit --driver 127.0.0.1:7077 examples/recoverable-wordcount.ts IN_DIR CHECKPOINT_DIR [BATCH]
//       IN_DIR and CHECKPOINT_DIR must be reachable at the same paths on the driver and
//       every worker (the compose file mounts the `data` and `checkpoints` volumes on all)
import { StreamingContext, type Duration, type SluiceContext } from '@sluice/core';

export default async function recoverableWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const [inDir, checkpointDir, batch = '1s'] = args;
  if (!inDir || !checkpointDir) throw new Error('usage: recoverable-wordcount.ts IN_DIR CHECKPOINT_DIR [BATCH]');
  const ssc = await StreamingContext.getOrCreate(sc, checkpointDir, () => {
    const ssc = new StreamingContext(sc, batch as Duration); // a command-line argument: checked when the context is made
    ssc.checkpoint(checkpointDir);
    ssc
      .textFileStream(inDir)
      .flatMap((line) => line.split(/\s+/).filter((w) => w.length > 0))
      .map((word) => [word, 1] as [string, number])
      .updateStateByKey<number>((ones, total) => ones.length + (total ?? 0))
      .foreachRDD(async (rdd, time) => {
        const totals = (await rdd.collect()).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        console.log(`TOTALS ${time} ${JSON.stringify(totals)}`);
      });
    return ssc;
  });
  ssc.start();
  await ssc.awaitTermination();
}
