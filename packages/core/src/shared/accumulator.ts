import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';
import { SluiceError } from '../errors.js';
import { reviveAccumulatorV2 } from './accumulator-v2.js';
import { scalaDouble } from '../util/scala-double.js';

/** 'long' and 'double' keep [sum, count]; 'collection' an array. */
export type AccumulatorKind = 'long' | 'double' | 'collection';

interface AccumulatorData {
  readonly id: number;
  readonly kind: AccumulatorKind;
  readonly name: string | undefined;
}

/** The class a kind's accumulator is, as Spark names it (for messages). */
const CLASS_OF: Record<AccumulatorKind, string> = { long: 'LongAccumulator', double: 'DoubleAccumulator', collection: 'CollectionAccumulator' };

/** Where a task's accumulators keep their partial state (TaskAccumulators): its updates, by accumulator id. */
interface TaskPartials {
  /** The accumulator's partial state in this task, made at zero when it has none yet. */
  get(id: number, kind: AccumulatorKind): unknown;
  set(id: number, state: unknown): void;
}

/** A kind's zero: nothing added. */
function zeroOf(kind: AccumulatorKind): unknown {
  return kind === 'collection' ? [] : [0, 0];
}

/**
 * A variable that tasks only add to and the driver program reads, as Spark's AccumulatorV2
 * (LongAccumulator, DoubleAccumulator, CollectionAccumulator). Updates made by a task reach
 * the driver with its result; the driver applies each successful partition's updates of an
 * action once (a failed attempt's are dropped).
 *
 * On the driver every method works on the merged state. Inside a task, as Spark's
 * executor-side copy, every method works on the task's own partial state, which starts at
 * zero: `value`, `isZero`, `sum`, `count` and `avg` read what this task added, `reset()` and
 * `merge()` change it, and what it holds when the task succeeds is merged on the driver.
 *
 * `copy()` and `copyAndReset()` give a new accumulator (an id of its own) that is not
 * registered with the SluiceContext, as Spark's: it can be read, added to, merged and reset on the driver,
 * and a task capturing it fails to ship (SLUICE_BAD_ARGUMENT).
 */
export class Accumulator<T> implements Shippable {
  readonly id: number;
  readonly name: string | undefined;
  readonly kind: AccumulatorKind;
  /** @internal The merged state: [sum, count] ('long', 'double') or an array ('collection'). */
  protected current: unknown;
  /** Set on workers: the task's partial state, which this accumulator is there (sent to the driver when the task succeeds). */
  private readonly local: TaskPartials | undefined;
  /** False for a copy: no task may capture it, no action's updates reach it. */
  private registered = true;
  /** On the driver: the context's id allocator, so a copy is a new accumulator with its own id. */
  private readonly newId: (() => number) | undefined;

  /** @internal */
  constructor(data: AccumulatorData, local?: TaskPartials, newId?: () => number) {
    this.id = data.id;
    this.name = data.name;
    this.kind = data.kind;
    this.local = local;
    this.newId = newId;
    this.current = zeroOf(data.kind);
  }

  /** Adds v: to the merged state on the driver, to the task's updates in a task. */
  add(v: T extends (infer E)[] ? E : T): void {
    if (this.kind === 'double' && typeof v !== 'number') throw new SluiceError('SLUICE_BAD_ARGUMENT', `accumulator ${this.label}: a double accumulator adds numbers, got ${typeof v}`);
    if (this.kind === 'long' && !Number.isSafeInteger(v)) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `accumulator ${this.label}: a long accumulator adds integers (at most 2^53 - 1 in size), got ${typeof v === 'number' ? String(v) : typeof v}; use sc.doubleAccumulator() for fractions`,
      );
    }
    this.mergeUpdate(this.kind === 'collection' ? [v] : [v, 1]);
  }

  /**
   * The merged value; only meaningful in the driver program. A collection accumulator's is a
   * frozen copy of its elements, as Spark's is an unmodifiable copy: changing it throws and
   * never changes the accumulator, and later adds do not show in it.
   */
  get value(): T {
    const state = this.read();
    return (this.kind === 'collection' ? Object.freeze([...(state as unknown[])]) : (state as [number, number])[0]) as T;
  }

  /** True when nothing was added since the accumulator was made or reset (adding 0 counts, as Spark's). */
  get isZero(): boolean {
    const state = this.read();
    return this.kind === 'collection' ? (state as unknown[]).length === 0 : (state as [number, number])[1] === 0 && (state as [number, number])[0] === 0;
  }

  /** Back to zero (driver program only). Updates of tasks that end later are still merged in. */
  reset(): void {
    this.state = zeroOf(this.kind);
  }

  /**
   * A new accumulator holding the same value, not registered: for the driver program only (see
   * the class comment). It has an id of its own, as Spark's copy is a new AccumulatorV2.
   */
  copy(): this {
    const state = this.read();
    const ctor = this.constructor as new (data: AccumulatorData, sink: undefined, newId: (() => number) | undefined) => this;
    const c = new ctor({ id: this.newId ? this.newId() : this.id, kind: this.kind, name: this.name }, undefined, this.newId);
    c.registered = false;
    c.current = Array.isArray(state) ? [...(state as unknown[])] : state;
    return c;
  }

  /**
   * Spark's AccumulatorV2.toString: `LongAccumulator(id: 3, name: Some(rows), value: 12)` (name
   * None when it has none; a double's value as Scala prints a Double, 12.0; a collection's as a
   * Java list, [a, b]); a copy, not registered: `Un-registered Accumulator: LongAccumulator`.
   */
  toString(): string {
    const cls = CLASS_OF[this.kind];
    if (!this.registered) return `Un-registered Accumulator: ${cls}`;
    return `${cls}(id: ${this.id}, name: ${this.name === undefined ? 'None' : `Some(${this.name})`}, value: ${this.shownValue()})`;
  }

  /** @internal The value as Spark's toString prints it: a double as Scala's Double (12.0), a collection as a Java list ([a, b]). */
  shownValue(): string {
    const v: unknown = this.value;
    return Array.isArray(v) ? `[${v.map((x) => String(x)).join(', ')}]` : this.kind === 'double' ? scalaDouble(v) : String(v);
  }

  /** @internal Whether a task's update adds nothing (Spark's `updates.isZero`: nothing added, not even 0). */
  isZeroUpdate(update: unknown): boolean {
    return this.kind === 'collection' ? (update as unknown[]).length === 0 : (update as [number, number])[1] === 0 && (update as [number, number])[0] === 0;
  }

  /** A copy at zero, not registered (Spark's copyAndReset). */
  copyAndReset(): this {
    const c = this.copy();
    c.current = zeroOf(this.kind);
    return c;
  }

  /**
   * Merges another accumulator of the same class into this one, in place: a long or double
   * accumulator adds its sum and count, a collection accumulator appends its elements.
   */
  merge(other: Accumulator<T>): void {
    this.read();
    if (!(other instanceof Accumulator) || other.kind !== this.kind) {
      const what = other instanceof Accumulator ? `a ${CLASS_OF[other.kind]}` : typeof other;
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `accumulator ${this.label}: a ${CLASS_OF[this.kind]} merges only another ${CLASS_OF[this.kind]}, got ${what}`);
    }
    const state = other.read();
    this.mergeUpdate(Array.isArray(state) && this.kind === 'collection' ? [...(state as unknown[])] : state);
  }

  /** The name in messages: the accumulator's name, or its id. */
  private get label(): string {
    return this.name ?? String(this.id);
  }

  /** @internal The state: merged on the driver, the task's partial one in a task. */
  protected read(): unknown {
    return this.state;
  }

  private get state(): unknown {
    return this.local ? this.local.get(this.id, this.kind) : this.current;
  }

  private set state(v: unknown) {
    if (this.local) this.local.set(this.id, v);
    else this.current = v;
  }

  /** @internal A task's update as the value it adds: its sum, or a frozen copy of its elements (Spark's `updates.value`). */
  updateValue(update: unknown): unknown {
    return this.kind === 'collection' ? Object.freeze([...(update as unknown[])]) : (update as [number, number])[0];
  }

  /** @internal Apply an update: a task's for this accumulator, or another accumulator's state. */
  mergeUpdate(update: unknown): void {
    if (this.kind === 'collection') (this.state as unknown[]).push(...(update as unknown[]));
    else {
      const [sum, count] = this.state as [number, number];
      const [s, c] = update as [number, number];
      this.state = [sum + s, count + c];
    }
  }

  [SHIP](): ShippedValue {
    if (!this.registered) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `accumulator ${this.label}: a copy (copy(), copyAndReset()) is not registered and cannot be used in a task; make one with sc.${this.kind}Accumulator() and merge() the copy into it on the driver`,
      );
    }
    return { type: 'accumulator', data: { id: this.id, kind: this.kind, name: this.name } satisfies AccumulatorData };
  }
}

/**
 * The statistics Spark's LongAccumulator and DoubleAccumulator keep of the numbers added:
 * their sum (value), how many were added (count) and their mean (avg, NaN when none was).
 */
abstract class NumberAccumulator extends Accumulator<number> {
  /** The sum of the numbers added (the same as value). */
  get sum(): number {
    return (this.read() as [number, number])[0];
  }

  /** How many numbers were added. */
  get count(): number {
    return (this.read() as [number, number])[1];
  }

  /** sum / count: NaN when nothing was added, as Spark's. */
  get avg(): number {
    const [sum, count] = this.read() as [number, number];
    return sum / count;
  }
}

/**
 * Spark's LongAccumulator: adds integers (a safe integer each, SLUICE_BAD_ARGUMENT
 * otherwise), keeping their sum (value), count and mean. A task's updates travel as
 * [sum, count]. The sum is exact while it stays within ±(2^53 - 1).
 */
export class LongAccumulator extends NumberAccumulator {}

/**
 * Spark's DoubleAccumulator: adds numbers, keeping their sum (value), count and mean. A
 * task's updates travel as [sum, count]. Sums of fractions depend on the order tasks end
 * in, as in Spark.
 */
export class DoubleAccumulator extends NumberAccumulator {}

/**
 * The accumulators of one task: each one's partial state, starting at zero, as Spark's
 * executor-side copy (what the task adds, reads, resets or merges); the states of a task that
 * succeeds are its updates, merged on the driver.
 */
export class TaskAccumulators implements TaskPartials {
  readonly updates: Record<number, unknown> = {};

  get(id: number, kind: AccumulatorKind): unknown {
    return (this.updates[id] ??= zeroOf(kind));
  }

  set(id: number, state: unknown): void {
    this.updates[id] = state;
  }

  /**
   * A user's AccumulatorV2 captured by the task: its zero copy, one per accumulator however
   * many of the task's functions capture it, sent back whole (as a record of its class) when
   * the task succeeds.
   */
  reviveV2(data: unknown): unknown {
    const { id, copy } = reviveAccumulatorV2(data);
    if (!(id in this.updates)) this.updates[id] = copy;
    return this.updates[id];
  }

  revive(data: unknown): Accumulator<unknown> {
    const d = data as AccumulatorData;
    if (d.kind === 'double') return new DoubleAccumulator(d, this) as Accumulator<unknown>;
    if (d.kind === 'long') return new LongAccumulator(d, this) as Accumulator<unknown>;
    return new Accumulator(d, this);
  }
}
