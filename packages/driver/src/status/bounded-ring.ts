/**
 * The last `capacity` items pushed, oldest first: what the UI keeps of a long run
 * (Spark's spark.streaming.ui.retainedBatches). Pushing past capacity drops the oldest.
 */
export class BoundedRing<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  /** Adds `item`; returns the item it pushed out, if the ring was full. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.items[(this.start + this.count++) % this.capacity] = item;
      return undefined;
    }
    const dropped = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return dropped;
  }

  /** Drops every item. */
  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity]!);
    return out;
  }

  /** The newest item `pred` accepts. */
  findLast(pred: (item: T) => boolean): T | undefined {
    for (let i = this.count - 1; i >= 0; i--) {
      const x = this.items[(this.start + i) % this.capacity]!;
      if (pred(x)) return x;
    }
    return undefined;
  }
}
