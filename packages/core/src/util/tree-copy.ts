import { copiesFresh, freshCopy } from './fresh-copy.js';

/**
 * Copies of decoded records, for a cache that keeps a partition's records decoded and hands
 * each reader copies of its own (partition-computer's deserialized levels): a task that changes
 * a record it was given changes its copy, never the cache, as when every read decoded the bytes
 * again. Spark's MEMORY_ONLY hands every reader the same objects; Sluice does not.
 *
 * `isCopyTree` says whether `treeCopy` copies a record exactly: a primitive, or objects
 * freshCopy copies as the codec would decode them (plain objects, arrays of index keys only,
 * Maps, Sets, Dates, instances of the job's classes) of which none is reached twice (a record
 * decoded from bytes may share an object between two of its fields, or hold a cycle: its copy
 * would not, so such records are not kept). Checked once a record, when the partition is kept.
 */
export function isCopyTree(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol';
  if (flat(value)) return true;
  return copiesFresh(value) && reachedOnce(value, new Set());
}

/** A plain object, or an array of index keys only, whose values are all primitives (most records): checked without copiesFresh's walk. */
function flat(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const a = value as unknown[];
    if (Object.keys(a).length !== a.length) return false;
    for (let i = 0; i < a.length; i++) if (!primitive(a[i])) return false;
    return true;
  }
  if (proto !== Object.prototype) return false;
  const o = value as Record<string, unknown>;
  for (const k in o) if (!primitive(o[k])) return false;
  return true;
}

function primitive(v: unknown): boolean {
  const t = typeof v;
  return v === null || (t !== 'object' && t !== 'function' && t !== 'symbol');
}

function reachedOnce(value: object, seen: Set<object>): boolean {
  if (seen.has(value)) return false;
  seen.add(value);
  const children: Iterable<unknown> = value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? value : Array.isArray(value) ? value : Object.values(value);
  for (const v of children) if (typeof v === 'object' && v !== null && !reachedOnce(v, seen)) return false;
  return true;
}

/**
 * A copy of `value`, which isCopyTree accepted: primitives as they are, plain objects and arrays
 * copied shallow and then their object fields (a record of primitives is one spread: V8 clones
 * its shape at once), anything else by freshCopy.
 */
export function treeCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = value.slice();
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (typeof v === 'object' && v !== null) out[i] = treeCopy(v);
    }
    return out as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return freshCopy(value) as T;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const k in out) {
    const v = out[k];
    if (typeof v !== 'object' || v === null) continue;
    // An own "__proto__" key (JSON.parse makes one) is data: assigning it would set the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: treeCopy(v), enumerable: true, writable: true, configurable: true });
    else out[k] = treeCopy(v);
  }
  return out as T;
}
