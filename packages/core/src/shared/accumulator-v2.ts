import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';
import { fromWire, toWire } from '../codec/record-classes.js';
import { SluiceError } from '../errors.js';

/** Where a registered accumulator is known on the driver: its id and name. */
interface Registration {
  readonly id: number;
  readonly name: string | undefined;
}

/**
 * Registrations, kept beside the accumulators rather than in them: a task's copy travels
 * as the instance's own fields (a record of the job's class), which must hold only the
 * user's state.
 */
const registrations = new WeakMap<AccumulatorV2<never, unknown>, Registration>();

/** What `[SHIP]()` sends: the accumulator's id and name and a zero copy, as a record. */
interface ShippedAccumulatorV2 {
  readonly id: number;
  readonly name: string | undefined;
  readonly zero: unknown;
}

/**
 * A user's own accumulator, as Spark's AccumulatorV2: subclass it at the top level of the
 * job file (or a module it imports), implement `isZero`, `copy()`, `reset()`, `add(v)`,
 * `merge(other)` and `value`, and register an instance with `sc.register(acc, name)`
 * before a task uses it.
 *
 * A task that captures it gets its own zero copy (`copyAndReset()` on the driver, sent as a
 * record of the subclass, so its fields must be data the record codec carries: no
 * functions, no `#private` fields), adds to it, and when the task succeeds its copy comes
 * back and the driver calls `merge(copy)` on the registered instance, once for each
 * successful partition of an action (a failed attempt's copy is dropped), as Spark's
 * executor-side copies. Read `value` in the driver program; inside a task it is the
 * task's copy.
 */
export abstract class AccumulatorV2<IN, OUT> implements Shippable {
  /** Whether nothing was added since it was made or reset. */
  abstract get isZero(): boolean;
  /** A new accumulator of the same class with the same value (not registered). */
  abstract copy(): AccumulatorV2<IN, OUT>;
  /** Back to zero: `isZero` is true after it. */
  abstract reset(): void;
  /** Adds one input. */
  abstract add(v: IN): void;
  /** Merges another accumulator of the same class into this one, in place. */
  abstract merge(other: AccumulatorV2<IN, OUT>): void;
  /** The accumulated value. */
  abstract get value(): OUT;

  /** A zero copy: `copy()` then `reset()`, as Spark's. */
  copyAndReset(): AccumulatorV2<IN, OUT> {
    const c = this.copy();
    c.reset();
    return c;
  }

  /** Spark's toString: `MyAccumulator(id: 3, name: Some(rows), value: <value>)` (name None when none), `Un-registered Accumulator: MyAccumulator` before sc.register. */
  toString(): string {
    const reg = registrations.get(this as AccumulatorV2<never, unknown>);
    if (reg === undefined) return `Un-registered Accumulator: ${this.constructor.name}`;
    return `${this.constructor.name}(id: ${reg.id}, name: ${reg.name === undefined ? 'None' : `Some(${reg.name})`}, value: ${String(this.value)})`;
  }

  /** Whether `sc.register` took it (a copy is not registered). */
  get isRegistered(): boolean {
    return registrations.has(this as AccumulatorV2<never, unknown>);
  }

  /** Its id, given by `sc.register`; SLUICE_BAD_ARGUMENT before. */
  get id(): number {
    return this.registration('id').id;
  }

  /** The name given to `sc.register`, if any. */
  get name(): string | undefined {
    return registrations.get(this as AccumulatorV2<never, unknown>)?.name;
  }

  /** @internal sc.register's part: SLUICE_BAD_ARGUMENT when already registered (Spark: "Cannot register an Accumulator twice"). */
  static register(acc: AccumulatorV2<never, unknown>, id: number, name: string | undefined): void {
    if (!(acc instanceof AccumulatorV2)) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `sc.register(acc${name === undefined ? '' : `, '${name}'`}): acc must be an instance of a subclass of AccumulatorV2, got ${describe(acc)}; sc.longAccumulator(), sc.doubleAccumulator() and sc.collectionAccumulator() make and register the built-in ones`,
      );
    }
    if (registrations.has(acc)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.register: Cannot register an Accumulator twice (${acc.constructor.name} ${registrations.get(acc)!.id}); register a copy() to have a second one`);
    }
    registrations.set(acc, { id, name });
  }

  /** @internal The value as Spark's toString prints it. */
  shownValue(): string {
    return String(this.value);
  }

  /** @internal Whether a task's copy adds nothing (Spark's `updates.isZero`). */
  isZeroUpdate(update: unknown): boolean {
    return update instanceof AccumulatorV2 && update.isZero;
  }

  /** @internal A task's copy as the value it adds (Spark's `updates.value`). */
  updateValue(update: unknown): unknown {
    return (update as AccumulatorV2<IN, OUT>).value;
  }

  /** @internal Merge a task's copy that came back with its result (revived as the subclass). */
  mergeUpdate(update: unknown): void {
    if (!(update instanceof this.constructor)) {
      throw new SluiceError('SLUICE_INTERNAL', `accumulator ${this.label}: a task's update is not a ${this.constructor.name} (got ${describe(update)})`);
    }
    this.merge(update as AccumulatorV2<IN, OUT>);
  }

  [SHIP](): ShippedValue {
    const reg = this.registration('use in a task');
    const zero = this.copyAndReset();
    if (!(zero instanceof this.constructor) || !zero.isZero) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `accumulator ${this.label}: copyAndReset() must return a zero value copy of the same class (copy() then reset(); isZero after it); check ${this.constructor.name}'s copy(), reset() and isZero`,
      );
    }
    let wire: unknown;
    try {
      wire = toWire(zero);
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `accumulator ${this.label}: its zero copy cannot travel to the workers: ${(err as Error).message}`, { cause: err });
    }
    return { type: 'accumulatorV2', data: { id: reg.id, name: reg.name, zero: wire } satisfies ShippedAccumulatorV2 };
  }

  private registration(what: 'id' | 'use in a task'): Registration {
    const reg = registrations.get(this as AccumulatorV2<never, unknown>);
    if (reg === undefined) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `accumulator ${this.constructor.name}: not registered, so ${what === 'id' ? 'it has no id' : 'no task may use it'}; call sc.register(acc, name) on the driver first (a copy() is never registered: register it, or merge() it into a registered one)`,
      );
    }
    return reg;
  }

  private get label(): string {
    const reg = registrations.get(this as AccumulatorV2<never, unknown>);
    return `${this.constructor.name}${reg === undefined ? '' : ` ${reg.name ?? reg.id}`}`;
  }
}

/** A task's copy of a shipped AccumulatorV2: the zero copy, revived as the job's class. */
export function reviveAccumulatorV2(data: unknown): { id: number; copy: unknown } {
  const d = data as ShippedAccumulatorV2;
  return { id: d.id, copy: fromWire(d.zero) };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return `an instance of ${(v as object).constructor?.name ?? 'no class'}`;
}
