import type { Partitioner } from '../rdd/partitioner.js';
import type { GraphFingerprint } from './graph-fingerprint.js';
import type { TimeRun } from './time-runs.js';

/** A stateful stream's latest completed RDD checkpoint. */
export interface StateCheckpointRef {
  /** Batch time of the checkpointed RDD. */
  readonly time: number;
  /** Its directory, relative to the checkpoint directory (`state/stream-<id>-<time>`). */
  readonly dir: string;
  readonly numPartitions: number;
  /** How its pairs are placed, so the next state joins it without a shuffle. */
  readonly partitioner: Partitioner | null;
}

/**
 * What a metadata checkpoint holds: enough for a driver program started again to go on
 * where the stream stopped (StreamingContext.getOrCreate). Plain JSON. Version 2; a version
 * 1 file (its pending batches listed one by one, `pendingTimes`) is read as version 2.
 */
export interface StreamingMetadata {
  readonly version: 2;
  /** Written when a batch was generated (its inputs fixed, its jobs not run) or completed. */
  readonly reason: 'generated' | 'completed';
  readonly batchTime: number;
  readonly fingerprint: GraphFingerprint;
  readonly zeroTime: number;
  readonly batchIntervalMs: number;
  /**
   * Batch times generated but not completed, oldest first, as runs of the batch interval
   * (`[first, count]`): re-run on recovery. A backlog of any length is one run.
   */
  readonly pendingRuns: readonly TimeRun[];
  /** The next batch time to generate. */
  readonly nextBatchTime: number;
  /** Every input's `checkpointData()`, keyed by stream id. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Each checkpointed stream's latest completed RDD checkpoint, keyed by stream id. */
  readonly stateCheckpoints: Readonly<Record<string, StateCheckpointRef>>;
  /**
   * The older completed RDD checkpoints each checkpointed stream still remembers (a window
   * over it holds those batches), oldest first, keyed by stream id: restored with the latest,
   * as Spark's DStreamCheckpointData restores every checkpointed RDD of generatedRDDs, so a
   * window after a restart reads them rather than recomputing the state from input the
   * restarted driver no longer has. Absent when there are none, and in files written before it.
   */
  readonly rememberedStateCheckpoints?: Readonly<Record<string, readonly StateCheckpointRef[]>>;
  /**
   * What output operations keep (foreachRDD's checkpointState), keyed by the output's index
   * in the program; only outputs with something to keep. Absent in files written before it.
   */
  readonly outputs?: Readonly<Record<string, unknown>>;
}
