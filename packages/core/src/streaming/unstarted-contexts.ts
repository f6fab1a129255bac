import { SluiceError } from '../errors.js';

/** What the check needs of a StreamingContext (no import: streaming-context.ts imports this file). */
export interface TrackedContext {
  readonly streamingState: 'initialized' | 'active' | 'stopped';
  /** Where the job's code made it (`file:line:column`). */
  readonly createdAt: string;
  /** Its output operations, by name (`print`, `foreachRDD`, ...). */
  outputNames(): string[];
  /** How many streams it has. */
  streamCount(): number;
}

/**
 * The StreamingContexts this thread's driver program made and has neither started nor
 * stopped. A program that returns while one of them has streams defined them for
 * nothing: nothing was received, no batch ran. In Spark the driver's `main` would then
 * end quietly; here the job fails and says so (see checkStreamingContextsStarted).
 *
 * Threading: per thread (a driver program's thread runs one job at a time).
 */
const pending = new Set<TrackedContext>();

export function contextCreated(ssc: TrackedContext): void {
  pending.add(ssc);
}

/** Started or stopped: not pending any more. */
export function contextSettled(ssc: TrackedContext): void {
  pending.delete(ssc);
}

/** Forget every context (a driver-program thread between two jobs: the next job's program made none of them). */
export function forgetUnstartedContexts(): void {
  pending.clear();
}

/**
 * Called when the driver program returned: throws SLUICE_NOT_STARTED naming every
 * StreamingContext that has streams but was never started (and never stopped). A job
 * that made no StreamingContext (a batch job) or an empty one passes.
 */
export function checkStreamingContextsStarted(): void {
  const never = [...pending].filter((c) => c.streamingState === 'initialized' && c.streamCount() > 0);
  if (never.length === 0) return;
  const which = never
    .map((c) => {
      const outputs = c.outputNames();
      return `the StreamingContext created at ${c.createdAt} (${c.streamCount()} stream(s), ${outputs.length === 0 ? 'no output operation' : `output operations: ${outputs.join(', ')}`})`;
    })
    .join('; ');
  const err = new SluiceError(
    'SLUICE_NOT_STARTED',
    `the job's program returned without starting ${which}: nothing was received and no batch ran. Call ssc.start() once the streams and outputs are defined, then await ssc.awaitTermination() before returning`,
  );
  // The user's lines, not this check's: where each context was made.
  err.stack = [`${err.name}: ${err.message}`, ...never.map((c) => `    at new StreamingContext (${c.createdAt})`)].join('\n');
  throw err;
}
