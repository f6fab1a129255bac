import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';

/** What travels in a task for a captured broadcast: its id, and its value only when the cluster cannot serve it. */
export interface ShippedBroadcast {
  readonly id: number;
  readonly value?: unknown;
  readonly inline: boolean;
}

/**
 * A read-only value made available to every task, as Spark's Broadcast. The driver keeps
 * the encoded value; each worker fetches it once (the first task that needs it) and each
 * task thread decodes it once, however many tasks and closures capture it.
 */
export class Broadcast<T> implements Shippable {
  readonly id: number;
  readonly value: T;
  /** @internal Whether the value travels in task payloads (no cluster to serve it). */
  private readonly inline: boolean;

  /** @internal */
  constructor(id: number, value: T, inline: boolean) {
    this.id = id;
    this.value = value;
    this.inline = inline;
  }

  [SHIP](): ShippedValue {
    const data: ShippedBroadcast = this.inline ? { id: this.id, value: this.value, inline: true } : { id: this.id, inline: false };
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
