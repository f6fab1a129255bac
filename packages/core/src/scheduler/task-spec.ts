import type { CompressionCodec } from '../io/compression-codec.js';
import type { ShippedFunction } from '../closure/shipped-function.js';
import type { Plan, ShuffleSpec } from '../rdd/plan.js';

/**
 * What a result task does with the records of its partition. Each kind is computed by
 * run-task.ts and yields one value per partition, merged on the driver by the action.
 */
export type ActionSpec =
  | { readonly kind: 'collect' }
  | { readonly kind: 'count' }
  | { readonly kind: 'take'; readonly n: number }
  | { readonly kind: 'reduce'; readonly fn: ShippedFunction }
  | { readonly kind: 'fold'; readonly zero: unknown; readonly fn: ShippedFunction }
  | { readonly kind: 'aggregate'; readonly zero: unknown; readonly seqOp: ShippedFunction }
  | { readonly kind: 'foreach'; readonly fn: ShippedFunction }
  | { readonly kind: 'foreachPartition'; readonly fn: ShippedFunction }
  /** sc.runJob / sc.submitJob: the function of the partition's iterator, its value the partition's result. */
  | { readonly kind: 'runJob'; readonly fn: ShippedFunction }
  | { readonly kind: 'countByValue' }
  /** The partition's HyperLogLog sketch of 2^p registers (countApproxDistinct; hyper-log-log.ts). */
  | { readonly kind: 'countApproxDistinct'; readonly p: number }
  | { readonly kind: 'top'; readonly n: number; readonly ascending: boolean; readonly compare?: ShippedFunction; /** `compare` is PySpark's key function of one element, not a comparator. */ readonly keyed?: boolean }
  | { readonly kind: 'sampleKeys'; readonly perPartition: number }
  /** `fsSettings`: a registered file system's settings on the driver (FileSystem.settings). */
  | { readonly kind: 'saveAsTextFile'; readonly dir: string; readonly fsSettings?: unknown; readonly codec?: CompressionCodec }
  /** `part-NNNNN` per partition in the object-file format (codec/object-file.ts). */
  | { readonly kind: 'saveAsObjectFile'; readonly dir: string }
  | { readonly kind: 'writeCheckpoint'; readonly dir: string; readonly compress?: boolean };

/** Where the map outputs of a shuffle live, indexed by map partition. */
export interface MapOutputLocation {
  readonly workerId: string;
  readonly address: string;
}

/** A task as the worker receives it (the partition travels beside it, in TaskDescription). */
export interface TaskPayload {
  readonly plan: Plan;
  /** Result task: the action; shuffle map task: the shuffle to write. */
  readonly kind: 'result' | 'shuffleMap';
  readonly action?: ActionSpec;
  readonly shuffle?: ShuffleSpec;
  /** For every shuffle the plan reads, the location of each map output. */
  readonly mapOutputs: Readonly<Record<number, readonly MapOutputLocation[]>>;
  /**
   * For a shuffle this stage reads where some map output has an empty segment: for each map
   * output, the bitmap of its empty segments (MapStatus.emptyBitmap; null where none is
   * empty). A reduce task does not fetch a map output whose segment for it is empty. Sent
   * once per stage, as Spark sends the map statuses once per executor.
   */
  readonly emptySegments?: Readonly<Record<number, readonly (Uint8Array | null)[]>>;
  /** Workers holding cached partitions this task reads, by block id (read remotely when not local). */
  readonly cachedLocations?: Readonly<Record<string, readonly MapOutputLocation[]>>;
}

export interface TaskResultValue {
  readonly value: unknown;
  /** Accumulator updates made by the task, by accumulator id. */
  readonly accumulators: Readonly<Record<number, unknown>>;
}

/** One attempt of one stage. */
export interface StageAttemptRef {
  readonly stageId: number;
  readonly attempt: number;
}

/** What one action returns to the driver program: a value per requested partition. */
export interface JobRunResult {
  readonly values: unknown[];
}

/**
 * A successful task's accumulator updates (result and map tasks alike), by accumulator id,
 * given to the driver program as the task ends, before its action's result: Spark's
 * DAGScheduler merges each task's updates as it ends (handleTaskCompletion), so the driver's
 * accumulators show them while the action runs, and an action that then fails has still added
 * what its successful tasks (its map stages' included) added.
 */
export interface TaskAccumulatorUpdates extends StageAttemptRef {
  readonly taskId: string;
  readonly updates: Readonly<Record<number, unknown>>;
}

/**
 * A named accumulator's value once a task of a stage attempt was merged into it (Spark's
 * StageInfo.accumulables entry: `acc.toInfo(None, Some(acc.value))`), as the driver program
 * reports it for the stage's REST record. `value` is the accumulator's whole value then, as
 * Spark's toString prints it.
 */
export interface StageAccumulable extends StageAttemptRef {
  readonly id: number;
  readonly name: string;
  readonly value: string;
}
