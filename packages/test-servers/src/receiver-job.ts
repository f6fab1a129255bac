// The frame the receiver fixture jobs share (@sluice/flume's flume-recover-job.ts, @sluice/kinesis's
// kinesis-recover-job.ts, @sluice/mqtt's mqtt-recover-job.ts): each batch's output written whole,
// held while the test asks, and the run until the test's stop file. Fixture jobs import it as
// `@sluice/test-servers/receiver-job` (bundled into the job; @sluice/core's types only).
import fs from 'node:fs';
import path from 'node:path';
import type { StreamingContext } from '@sluice/core';

/** Writes `file` whole: a temporary file of this process's renamed over it. */
export function writeWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** While `control/hold` exists, batch `time`'s output waits (`control/held-<time>` says so). */
export async function holdWhileAsked(control: string, time: number): Promise<void> {
  if (!fs.existsSync(path.join(control, 'hold'))) return;
  fs.writeFileSync(path.join(control, `held-${time}`), '');
  while (fs.existsSync(path.join(control, 'hold'))) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Starts `ssc` and prints STARTED; once `control/stop` exists (or the context ended) stops it
 * gracefully, waits for its end and prints DONE.
 */
export async function runUntilStopFile(ssc: StreamingContext, control: string): Promise<void> {
  ssc.start();
  console.log('STARTED');
  const stopFile = path.join(control, 'stop');
  while (!fs.existsSync(stopFile)) {
    if (await ssc.awaitTerminationOrTimeout(25)) break;
  }
  await ssc.stop({ graceful: true });
  await ssc.awaitTermination();
  console.log('DONE');
}
