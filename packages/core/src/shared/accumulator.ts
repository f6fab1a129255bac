import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';
import { SluiceError } from '../errors.js';

export type AccumulatorKind = 'sum' | 'collection';

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
  private current: unknown;
  /** Set on workers: where this task's updates go. */
  private readonly sink: ((id: number, kind: AccumulatorKind, v: unknown) => void) | undefined;

  /** @internal */
  constructor(data: AccumulatorData, sink?: (id: number, kind: AccumulatorKind, v: unknown) => void) {
    this.id = data.id;
    this.name = data.name;
    this.kind = data.kind;
    this.sink = sink;
    this.current = data.kind === 'sum' ? 0 : [];
  }

  add(v: T extends (infer E)[] ? E : T): void {
    if (this.sink) this.sink(this.id, this.kind, v);
    else this.merge(this.kind === 'sum' ? v : [v]);
  }

  /** The merged value; only meaningful in the driver program. */
  get value(): T {
    if (this.sink) throw new SluiceError('SLUICE_BAD_ARGUMENT', `accumulator ${this.name ?? this.id}: .value can only be read in the driver program, not inside a task`);
    return this.current as T;
  }

  /** @internal Apply a task's update for this accumulator. */
  merge(update: unknown): void {
    if (this.kind === 'sum') this.current = (this.current as number) + (update as number);
    else (this.current as unknown[]).push(...(update as unknown[]));
  }

  [SHIP](): ShippedValue {
    return { type: 'accumulator', data: { id: this.id, kind: this.kind, name: this.name } satisfies AccumulatorData };
  }
}

/** Collects the accumulator updates one task makes. */
export class TaskAccumulators {
  readonly updates: Record<number, unknown> = {};

  revive(data: unknown): Accumulator<unknown> {
    return new Accumulator(data as AccumulatorData, (id, kind, v) => {
      if (kind === 'sum') this.updates[id] = ((this.updates[id] as number | undefined) ?? 0) + (v as number);
      else ((this.updates[id] ??= []) as unknown[]).push(v);
    });
  }
}
