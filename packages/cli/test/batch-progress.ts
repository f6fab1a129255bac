// Waits on the `BATCH {time,numRecords}` lines a streaming fixture prints per completed
// batch (receiver-wal.test, streaming-stateful-faults.test, graceful-decommission.test).
// A wait fails when the stream stops making progress, not after a fixed time: on a loaded
// machine batches complete many seconds behind the clock, and that lag is waited out.
import { jsonLines, sleep, type RunningJob } from './harness.js';

export interface BatchLine {
  readonly time: number;
  readonly numRecords: number;
}

/**
 * Resolves once `pred` holds for the batches the job reported so far. Rejects if the job
 * ends first, if no batch completes for `stallMs` (the stream stopped making progress), or
 * after `maxMs` in all (batches complete but never the ones asked for).
 */
export async function batchesWhere(job: RunningJob, what: string, pred: (batches: BatchLine[]) => boolean, { stallMs = 30_000, maxMs = 180_000 } = {}): Promise<void> {
  const deadline = Date.now() + maxMs;
  let seen = -1;
  let progressAt = Date.now();
  for (;;) {
    const batches = jsonLines<BatchLine>(job.lines, 'BATCH ');
    if (pred(batches)) return;
    if (batches.length !== seen) [seen, progressAt] = [batches.length, Date.now()];
    if (job.ended) throw new Error(`the job ended before ${what}:\n${job.lines.slice(-30).join('\n')}`);
    if (Date.now() - progressAt > stallMs) throw new Error(`no batch completed for ${stallMs / 1000} s before ${what}:\n${job.lines.slice(-30).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`batches completed for ${maxMs / 1000} s, none of them ${what}:\n${job.lines.slice(-30).join('\n')}`);
    await sleep(20);
  }
}
