// The frame of the recovered-sink fixture jobs (@sluice/postgres's pg-recover-job.ts,
// @sluice/redis's redis-recover-job.ts), which recoveredSinkScenario (recovered-sink.ts) runs:
// a job recovered from its checkpoint (StreamingContext.getOrCreate) whose file stream of words
// the fixture hands to its sink. Prints `BATCH <time> <words>` for a batch with words (before
// the sink's job runs) and `AFTER <time> <Date.now()>` once the sink's job of every batch is done; every
// failed task is printed `TASK FAILED <reason>: <error>` on one line, whole (sink-job's
// printFailedTasks; a message that waited says so at its end). The sink's stream leaves a file
// `tried-<pid>-<ms>-<random>` in `control` as a task takes a partition's first word (before it
// connects). Stops gracefully once `control/stop` exists. Fixture jobs import it as
// `@sluice/test-servers/recovered-sink-job` (bundled into the job; @sluice/core's types only:
// the fixture passes its StreamingContext class).
import fs from 'node:fs';
import path from 'node:path';
import type { DStream, SluiceContext, StreamingContext } from '@sluice/core';
import { printFailedTasks } from './sink-job.js';

/** What recoveredSinkScenario gives each run of the fixture (argv[0], JSON). */
export interface RecoveredSinkArgs {
  /** The sink's server (a Redis URL, a Postgres connection string). */
  readonly url: string;
  readonly input: string;
  readonly control: string;
  readonly checkpoint: string;
  readonly batchMs: number;
  /** The sink's reconnectTimeoutMs. */
  readonly reconnectTimeoutMs: number;
}

/** Runs the fixture job: `sink(words, args)` hangs the sink's output on the stream of words. */
export async function runRecoveredSinkJob(
  sc: SluiceContext,
  argv: readonly string[],
  Context: typeof StreamingContext,
  sink: (words: DStream<string>, a: RecoveredSinkArgs) => void,
): Promise<void> {
  const a = JSON.parse(argv[0]!) as RecoveredSinkArgs;
  printFailedTasks(sc, { whole: true });
  const control = a.control;
  const ssc = await Context.getOrCreate(sc, a.checkpoint, () => {
    const ssc = new Context(sc, a.batchMs);
    ssc.checkpoint(a.checkpoint);
    const words = ssc.textFileStream(a.input);
    words.foreachRDD(async (rdd, time) => {
      const n = await rdd.count();
      if (n > 0) console.log(`BATCH ${time} ${n}`);
    });
    const tried = words.mapPartitions(function* (it) {
      let first = true;
      for (const w of it) {
        if (first) fs.writeFileSync(path.join(control, `tried-${process.pid}-${Date.now()}-${Math.random()}`), '');
        first = false;
        yield w;
      }
    });
    sink(tried, a);
    words.foreachRDD((_, time) => console.log(`AFTER ${time} ${Date.now()}`));
    return ssc;
  });
  ssc.start();
  const stop = path.join(control, 'stop');
  while (!fs.existsSync(stop)) {
    if (await ssc.awaitTerminationOrTimeout(50)) return;
  }
  await ssc.stop({ graceful: true });
  await ssc.awaitTermination();
}
