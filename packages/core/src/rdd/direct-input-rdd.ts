import type { ShippedFunction } from '../closure/shipped-function.js';
import type { SluiceContext } from '../context.js';
import type { DirectPlacement } from './direct-placement.js';
import { RDD } from './rdd.js';

/** What a direct input's reader gets besides its range, on the worker. */
export interface DirectReadContext {
  /** The RDD partition being read (the range's index in the batch). */
  readonly partition: number;
  /** Log a warning through the task's logger (constant message, data in `fields`). */
  warn(message: string, fields: Record<string, unknown>): void;
}

/**
 * Reads one range of a direct input on a worker: the records of the range, as an
 * iterable, a promise of one, or an async iterable. Shipped like an operator's function
 * (its source and captured values), and revived in the job bundle's module scope, so
 * module-level state of the connector (a client cache) lives on per worker and job.
 */
export type DirectReader<R, T> = (range: R, context: DirectReadContext) => Iterable<T> | Promise<Iterable<T>> | AsyncIterable<T>;

/** How a batch's tasks read their ranges (made by DirectInputDStream; opaque to subclasses). */
export interface DirectSource {
  /** @internal */
  readonly reader: ShippedFunction;
  /** @internal Where each partition would rather be read (none: anywhere). */
  readonly placements: readonly (DirectPlacement | null)[] | undefined;
}

/**
 * A batch of a direct input: one partition per range the driver fixed for the batch
 * (plain JSON), each read by the shipped reader on a worker. Re-running a partition reads
 * the same range again, so a lost task loses nothing. `ranges()` exposes the batch's
 * ranges to output code (Kafka's HasOffsetRanges builds on it).
 */
export class DirectInputRDD<T, R> extends RDD<T> {
  private readonly batchRanges: readonly R[];

  /** Made by DirectInputDStream.createRDD (a subclass passes its arguments on). */
  constructor(sc: SluiceContext, ranges: readonly R[], source: DirectSource) {
    super(sc, ranges.length, { kind: 'directInput', reader: source.reader, ranges, ...(source.placements ? { placements: source.placements } : {}) }, []);
    this.batchRanges = ranges;
  }

  /** The ranges this batch reads, one per partition, in partition order. */
  ranges(): readonly R[] {
    return this.batchRanges;
  }
}
