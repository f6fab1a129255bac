import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';
import { SluiceError } from '../errors.js';

export type AccumulatorKind = 'sum' | 'double' | 'collection';

interface AccumulatorData {
  readonly id: number;
  readonly kind: AccumulatorKind;
  readonly name: string | undefined;
}

/**
 * A variable that tasks only add to and the driver program reads, as Spark's
 * LongAccumulator / CollectionAccumulator. Updates made by a task reach the driver with
 * its result; the driver applies each successful partition's updates of an action once.
 */
export class Accumulator<T> implements Shippable {
  readonly id: number;
  readonly name: string | undefined;
  readonly kind: AccumulatorKind;
  /** @internal The merged value: a number ('sum'), [sum, count] ('double') or an array ('collection'). */
  protected current: unknown;
  /** Set on workers: where this task's updates go. */
  private readonly sink: ((id: number, kind: AccumulatorKind, v: unknown) => void) | undefined;

  /** @internal */
  constructor(data: AccumulatorData, sink?: (id: number, kind: AccumulatorKind, v: unknown) => void) {
    this.id = data.id;
    this.name = data.name;
    this.kind = data.kind;
    this.sink = sink;
    this.current = data.kind === 'sum' ? 0 : data.kind === 'double' ? [0, 0] : [];
  }

  add(v: T extends (infer E)[] ? E : T): void {
    if (this.kind === 'double' && typeof v !== 'number') throw new SluiceError('SLUICE_BAD_ARGUMENT', `accumulator ${this.name ?? this.id}: a double accumulator adds numbers, got ${typeof v}`);
    if (this.sink) this.sink(this.id, this.kind, v);
    else this.merge(this.kind === 'sum' ? v : this.kind === 'double' ? [v, 1] : [v]);
  }

  /** The merged value; only meaningful in the driver program. */
  get value(): T {
    return this.read('value') as T;
  }

  /** @internal The merged state, read in the driver program only (`what` names the getter for the error). */
  protected read(what: string): unknown {
    if (this.sink) throw new SluiceError('SLUICE_BAD_ARGUMENT', `accumulator ${this.name ?? this.id}: .${what} can only be read in the driver program, not inside a task`);
    return this.current;
  }

  /** @internal Apply a task's update for this accumulator. */
  merge(update: unknown): void {
    if (this.kind === 'sum') this.current = (this.current as number) + (update as number);
    else if (this.kind === 'double') {
      const [sum, count] = this.current as [number, number];
      const [s, c] = update as [number, number];
      this.current = [sum + s, count + c];
    } else (this.current as unknown[]).push(...(update as unknown[]));
  }

  [SHIP](): ShippedValue {
    return { type: 'accumulator', data: { id: this.id, kind: this.kind, name: this.name } satisfies AccumulatorData };
  }
}

/**
 * Spark's DoubleAccumulator: adds numbers, and keeps their sum (value), how many were added
 * (count) and their mean (avg, NaN when none was). A task's updates travel as [sum, count]
 * and are merged as the other accumulators' are, once for each successful partition of an
 * action. Sums of fractions depend on the order tasks end in, as in Spark.
 */
export class DoubleAccumulator extends Accumulator<number> {
  /** The sum of the numbers added (the same as value). */
  get sum(): number {
    return (this.read('sum') as [number, number])[0];
  }

  /** How many numbers were added. */
  get count(): number {
    return (this.read('count') as [number, number])[1];
  }

  /** sum / count: NaN when nothing was added, as Spark's. */
  get avg(): number {
    const [sum, count] = this.read('avg') as [number, number];
    return sum / count;
  }

  override get value(): number {
    return (this.read('value') as [number, number])[0];
  }
}

/** Collects the accumulator updates one task makes. */
export class TaskAccumulators {
  readonly updates: Record<number, unknown> = {};

  revive(data: unknown): Accumulator<unknown> {
    const d = data as AccumulatorData;
    const sink = (id: number, kind: AccumulatorKind, v: unknown): void => {
      if (kind === 'sum') this.updates[id] = ((this.updates[id] as number | undefined) ?? 0) + (v as number);
      else if (kind === 'double') {
        const u = (this.updates[id] ??= [0, 0]) as [number, number];
        u[0] += v as number;
        u[1]++;
      } else ((this.updates[id] ??= []) as unknown[]).push(v);
    };
    return d.kind === 'double' ? (new DoubleAccumulator(d, sink) as Accumulator<unknown>) : new Accumulator(d, sink);
  }
}
