import { userCallSite } from '../closure/call-site.js';
import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';
import { SluiceError } from '../errors.js';

/** What travels in a task for a captured broadcast: its id, and its value only when the cluster cannot serve it. */
export interface ShippedBroadcast {
  readonly id: number;
  readonly value?: unknown;
  readonly inline: boolean;
}

/** What a Broadcast asks of the driver program's side: the workers drop their copies (unpersist), the driver the value too (destroy). */
export interface BroadcastOwner {
  /** Resolves once every worker answered. */
  removeBroadcast(broadcast: Broadcast<unknown>, fromDriver: boolean): Promise<void>;
}

/**
 * Each broadcast by what its [SHIP]() gave, which a shipped function's captures hold: an RDD or
 * DStream whose function captured the broadcast keeps it from the context cleaner (as a Spark
 * closure holds its Broadcast), though the function itself is kept as its source and captures.
 */
const capturedBy = new WeakMap<object, Broadcast<unknown>>();

/**
 * A read-only value made available to every task, as Spark's Broadcast. The driver keeps
 * the encoded value; each worker fetches it once (the first task that needs it) and each
 * task thread decodes it once, however many tasks and closures capture it. `unpersist()` has
 * every worker drop its copies (a later task fetches the value again); so does `destroy()`.
 *
 * `destroy()` ends it, as Spark's: the driver forgets the value, and using it afterwards
 * (`value`, a task capturing it, `unpersist()`, `destroy()` again) is SLUICE_BAD_ARGUMENT
 * ("Attempted to use Broadcast(id) after it was destroyed (destroy at file:line)").
 */
export class Broadcast<T> implements Shippable {
  readonly id: number;
  private readonly held: T;
  /** @internal Whether the value travels in task payloads (no cluster to serve it). */
  private readonly inline: boolean;
  /** On the driver: where destroy() drops the value. */
  private readonly owner: BroadcastOwner | undefined;
  /** Where destroy() was called, once it was. */
  private destroyedAt: string | undefined;

  /** @internal */
  constructor(id: number, value: T, inline: boolean, owner?: BroadcastOwner) {
    this.id = id;
    this.held = value;
    this.inline = inline;
    this.owner = owner;
  }

  /** The value (on the driver, or in a task that captured the broadcast). */
  get value(): T {
    this.assertValid();
    return this.held;
  }

  /**
   * Spark's unpersist(blocking): every worker drops its copies (the value it fetched and its task
   * threads' decoded ones; a task running with the value keeps it until it ends), and a later
   * task that needs the value fetches it again from the driver program, so it stays usable.
   * With `blocking` it resolves once every worker dropped them, as Spark's; else at once, the
   * workers told meanwhile.
   */
  async unpersist(blocking = false): Promise<void> {
    this.assertValid();
    await this.remove(false, blocking);
  }

  /**
   * Spark's destroy(blocking): the workers drop their copies, as `unpersist`, the driver program
   * the value, and the broadcast cannot be used again (see the class comment). Destroying it
   * twice is SLUICE_BAD_ARGUMENT, as Spark's. `blocking` as unpersist's.
   */
  async destroy(blocking = false): Promise<void> {
    this.assertValid();
    this.destroyedAt = userCallSite();
    await this.remove(true, blocking);
  }

  private async remove(fromDriver: boolean, blocking: boolean): Promise<void> {
    const removed = this.owner?.removeBroadcast(this as Broadcast<unknown>, fromDriver);
    // Not blocking: the workers are told all the same; only the wait is skipped (as Spark's, a failure to reach one is not the caller's).
    if (blocking) await removed;
    else void removed?.catch(() => undefined);
  }

  /** Spark's toString: `Broadcast(id)`. */
  toString(): string {
    return `Broadcast(${this.id})`;
  }

  private assertValid(): void {
    if (this.destroyedAt !== undefined) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `Attempted to use Broadcast(${this.id}) after it was destroyed (destroy at ${this.destroyedAt}); make a new one with sc.broadcast(value)`);
    }
  }

  [SHIP](): ShippedValue {
    this.assertValid();
    const data: ShippedBroadcast = this.inline ? { id: this.id, value: this.held, inline: true } : { id: this.id, inline: false };
    capturedBy.set(data, this as Broadcast<unknown>);
    return { type: 'broadcast', data };
  }

  /** On a worker: the broadcast, its value found by id (`lookup`) unless it travelled inline. */
  static revive(data: unknown, lookup: (id: number) => unknown): Broadcast<unknown> {
    const d = data as ShippedBroadcast;
    return new Broadcast(d.id, d.inline ? d.value : lookup(d.id), d.inline);
  }
}

/** Ids of the (not inline) broadcasts captured anywhere in a decoded task payload. */
export function broadcastIds(payload: unknown): number[] {
  const ids = new Set<number>();
  const visit = (x: unknown, depth: number): void => {
    if (x === null || typeof x !== 'object' || depth > 64) return;
    if (Array.isArray(x)) {
      for (const e of x) visit(e, depth + 1);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o.kind === 'shippable' && o.type === 'broadcast') {
      const d = o.data as ShippedBroadcast;
      if (!d.inline) ids.add(d.id);
      return;
    }
    for (const [k, v] of Object.entries(o)) {
      // Record data (parallelize slices, captured plain values) holds no functions.
      if (k === 'slices' || (k === 'value' && o.kind === 'value')) continue;
      visit(v, depth + 1);
    }
  };
  visit(payload, 0);
  return [...ids];
}
