import { SHIP, type Shippable, type ShippedValue } from '../closure/shippable.js';

/**
 * A read-only value made available to every task, as Spark's Broadcast. The value
 * travels inside the payload of each task whose functions capture it (Spark ships it
 * once per executor; doing the same is future work) and is decoded once per task.
 */
export class Broadcast<T> implements Shippable {
  readonly id: number;
  readonly value: T;

  /** @internal */
  constructor(id: number, value: T) {
    this.id = id;
    this.value = value;
  }

  [SHIP](): ShippedValue {
    return { type: 'broadcast', data: { id: this.id, value: this.value } };
  }

  static revive(data: unknown): Broadcast<unknown> {
    const d = data as { id: number; value: unknown };
    return new Broadcast(d.id, d.value);
  }
}
