import { keyId, type KeyId } from '../rdd/key.js';

/** A combiner table's entries: each key's id (keyId) to the key as it came and its combiner. */
export type CombineEntries = Map<KeyId, [unknown, unknown]>;

/**
 * The combiners of one task, by key, as Spark's AppendOnlyMap of an ExternalAppendOnlyMap:
 * a [key, value] pair goes in with one look-up — a key seen before has `mergeValue` applied
 * to its combiner in place; a new key is inserted with `createCombiner(value)`, or the value
 * itself when `createCombiner` is undefined (reduceByKey, distinct: no call per new key).
 * Once `limit` keys are held, `spill` is given the entries and the table starts empty.
 *
 * A fused narrow pipeline (narrow-pipeline.ts) writes `add`'s steps inline, reading `entries`
 * per record (a spill replaces it): the two must agree, record for record.
 */
export class CombineTable {
  entries: CombineEntries = new Map();
  readonly createCombiner: ((v: unknown) => unknown) | undefined;
  readonly mergeValue: (c: unknown, v: unknown) => unknown;
  readonly limit: number;
  private readonly onSpill: ((entries: CombineEntries) => void) | undefined;

  constructor(createCombiner: ((v: unknown) => unknown) | undefined, mergeValue: (c: unknown, v: unknown) => unknown, limit = Infinity, spill?: (entries: CombineEntries) => void) {
    this.createCombiner = createCombiner;
    this.mergeValue = mergeValue;
    this.limit = limit;
    this.onSpill = spill;
  }

  add(k: unknown, v: unknown): void {
    const id = typeof k === 'object' && k !== null ? keyId(k) : (k as KeyId);
    const m = this.entries;
    const e = m.get(id);
    if (e !== undefined) e[1] = this.mergeValue(e[1], v);
    else {
      m.set(id, [k, this.createCombiner === undefined ? v : this.createCombiner(v)]);
      if (m.size >= this.limit) this.spill();
    }
  }

  /** Hands the entries held to the spill function (if any) and starts an empty table. */
  spill(): void {
    const m = this.entries;
    this.entries = new Map();
    this.onSpill?.(m);
  }
}
