import { refuseUnknownOptions } from '../util/refuse-unknown-options.js';

/**
 * What an output operation keeps in the metadata checkpoints: plain JSON of its own (what a
 * connector's output helper learned of its sink, such as that an earlier batch wrote through
 * its server), handed back when the job recovers from the checkpoint. Inputs have the same
 * pair (InputDStream.checkpointData / restoreCheckpointData); an output gives it to
 * `foreachRDD(f, { checkpointState })`.
 *
 * Both run on the driver, in the driver program's thread: `checkpointData()` each time a
 * metadata checkpoint is written (when a batch is generated and when it completes, so what a
 * batch's output function set before it resolved is in the completed batch's checkpoint),
 * `restoreCheckpointData(data)` once, before the recovered job's first batch, and only when
 * the checkpoint holds data for this output (a checkpoint written before the output had any,
 * or by a version of Sluice without it, holds none). Outputs are matched by their order in
 * the program, which the checkpoint's graph fingerprint already requires to be the same.
 */
export interface OutputCheckpointState {
  /** Plain JSON (undefined: nothing to keep this time). */
  checkpointData(): unknown;
  /** On recovery, with what `checkpointData()` returned into the checkpoint recovered from. */
  restoreCheckpointData(data: unknown): void;
}

/** foreachRDD's options. */
export interface ForeachRDDOptions {
  /** The output's own state kept in the metadata checkpoints (see OutputCheckpointState). */
  readonly checkpointState?: OutputCheckpointState | undefined;
}

// ForeachRDDOptions' keys, spelt out so the compiler says when the interface gains one.
const FOREACH_RDD_KEYS: Record<keyof ForeachRDDOptions, true> = { checkpointState: true };

/** foreachRDD's options checked for keys it does not know (a misspelt checkpointState would be taken and ignored). */
export function checkForeachRDDOptions(options: object): void {
  refuseUnknownOptions(options, FOREACH_RDD_KEYS, 'dstream.foreachRDD(f, options)');
}
