// The sink fixture jobs' shared frame (@sluice/postgres, @sluice/redis): the seeded queue
// stream of sink-input's batches, and the run that reports each batch's end. A fixture makes
// the stream, hangs its sink outputs on it, then hands it to runSinkBatches, which prints
// `BATCH <time>` (with `withClock`: `BATCH <time> <Date.now()>`) once a batch's outputs are
// done and `DONE` after the last. With `reportFailure`, a batch that fails ends the program
// with `FAILED <code>: <message>` first (the job still fails with the error); printFailedTasks
// prints every failed task `TASK FAILED <reason>: <error>`. The tests read these lines with
// batchesDone and firstBatchTime. Fixture jobs
// import it as `@sluice/test-servers/sink-job` (bundled into the job; @sluice/core's types
// only, so this package needs no runtime dependency on it).
import fs from 'node:fs';
import type { DStream, SluiceContext, StreamingContext } from '@sluice/core';
import { batchRecords, type SinkRecord } from './sink-input.js';

/** What every sink fixture is given: sink-input's batches and the stream's pace. */
export interface SinkJobArgs {
  readonly url: string;
  readonly batches: number;
  readonly perBatch: number;
  readonly partitions: number;
  readonly words: number;
  readonly seed: number;
  readonly batchMs: number;
}

/** A queue stream of `a.batches` batches of sink-input's records, `a.partitions` partitions each, one a batch. */
export function sinkQueueStream(ssc: StreamingContext, sc: SluiceContext, a: SinkJobArgs): DStream<SinkRecord> {
  const queue = [];
  for (let b = 0; b < a.batches; b++) queue.push(sc.parallelize(batchRecords(a.seed, b, a.perBatch, a.words), a.partitions));
  return ssc.queueStream(queue, true);
}

/**
 * Prints every task that fails, `TASK FAILED <reason>: <error>` (a SparkListener): the error's
 * first 300 characters, or with `whole` all of it on one line (its white space collapsed).
 */
export function printFailedTasks(sc: SluiceContext, options: { readonly whole?: boolean } = {}): void {
  const shown = (error: string): string => (options.whole === true ? error.replace(/\s+/g, ' ') : error.slice(0, 300));
  sc.addSparkListener({ onTaskEnd: (e) => void (e.reason !== 'Success' && console.log(`TASK FAILED ${e.reason}: ${shown(String(e.error ?? ''))}`)) });
}

/** Starts `ssc`, prints each non-empty batch of `stream` as it ends and `DONE` once `batches` have; stops `ssc`. */
export async function runSinkBatches(
  ssc: StreamingContext,
  stream: DStream<SinkRecord>,
  batches: number,
  options: { readonly withClock?: boolean; readonly reportFailure?: boolean } = {},
): Promise<void> {
  let seen = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  stream.foreachRDD(async (rdd, time) => {
    if (rdd.numPartitions === 0) return;
    console.log(options.withClock === true ? `BATCH ${time} ${Date.now()}` : `BATCH ${time}`);
    if (++seen === batches) finish();
  });
  ssc.start();
  try {
    await Promise.race([finished, ssc.awaitTermination()]);
  } catch (e) {
    if (options.reportFailure === true) console.log(`FAILED ${errorCode(e)}: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  } finally {
    await ssc.stop();
  }
  console.log('DONE');
}

/** A SluiceError's code (read structurally: no runtime import of @sluice/core here). */
function errorCode(e: unknown): string {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SLUICE_') ? code : 'unknown';
}

/** How many `BATCH` lines a sink fixture printed (its batches whose outputs are done). */
export function batchesDone(lines: readonly string[]): number {
  return lines.filter((l) => l.startsWith('BATCH ')).length;
}

/** The time of the first batch a sink fixture printed done (its first `BATCH <time>` line). */
export function firstBatchTime(lines: readonly string[]): number {
  const line = lines.find((l) => l.startsWith('BATCH '));
  if (line === undefined) throw new Error(`no batch was reported done; the job printed:\n${lines.join('\n')}`);
  return Number(line.split(' ')[1]);
}

/**
 * A pause fixture's trigger: once `armFile` exists, the first call anywhere (one task attempt
 * wins) renames it to `firedFile`, appends `event` there and returns true; every other call,
 * before it is armed or after it fired, returns false.
 */
export function fireOnce(armFile: string, firedFile: string, event: unknown): boolean {
  try {
    fs.renameSync(armFile, firedFile);
  } catch {
    return false; // not armed yet, or fired before
  }
  fs.appendFileSync(firedFile, JSON.stringify(event));
  return true;
}
