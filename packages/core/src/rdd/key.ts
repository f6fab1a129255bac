/**
 * Keys are compared by value, not identity: `[1, 'a']` made on two workers is the same
 * key. `keyId` maps a key to a primitive usable in a JS Map; `hashKey` is a hash that
 * every process computes alike; `compareKeys` is the default ordering (numbers, then
 * strings, then arrays element by element, then objects field by field).
 */
export type KeyId = string | number | boolean | bigint | null | undefined | symbol;

export function keyId(k: unknown): KeyId {
  if (typeof k === 'object' && k !== null) return '\u0000' + stableStringify(k);
  return k as KeyId;
}

export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'bigint') return v.toString() + 'n';
    if (v === undefined) return 'u';
    // JSON.stringify writes NaN and ±Infinity as 'null': [NaN] and [null] would be one key.
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return JSON.stringify(v) ?? String(v);
  }
  if (Array.isArray(v)) return '[' + v.map(stableStringify).join(',') + ']';
  if (v instanceof Date) return 'D' + v.getTime();
  if (v instanceof Map) return 'M' + stableStringify([...v.entries()].sort((a, b) => compareKeys(a[0], b[0])));
  if (v instanceof Set) return 'S' + stableStringify([...v].sort(compareKeys));
  const keys = Object.keys(v).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableStringify((v as Record<string, unknown>)[k])).join(',') + '}';
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export function hashKey(k: unknown): number {
  switch (typeof k) {
    case 'string':
      return hashString(k);
    case 'number':
      if (Number.isInteger(k) && k >= -2147483648 && k <= 2147483647) return k | 0;
      return hashString(String(k));
    case 'boolean':
      return k ? 1231 : 1237;
    case 'bigint':
      return hashString(k.toString());
    case 'undefined':
      return 0;
    case 'object':
      if (k === null) return 0;
      if (Array.isArray(k)) {
        let h = 1;
        for (const e of k) h = (Math.imul(h, 31) + hashKey(e)) | 0;
        return h;
      }
      return hashString(stableStringify(k));
    default:
      return hashString(String(k));
  }
}

export function nonNegativeMod(x: number, mod: number): number {
  const r = x % mod;
  return r < 0 ? r + mod : r;
}

/**
 * Objects that are not arrays or Dates: Maps first, then Sets (two of them compare by their
 * stable text), then the others (a plain object, an instance of a job's class, as a Scala case
 * class used as a key), which compare field by field, as tuples of their fields in name order
 * (a field's name, then its value by compareKeys), so numbers in them compare as numbers:
 * { value: 2 } before { value: 10 }, where their text would order them the other way.
 */
function compareObjects(a: object, b: object): number {
  const kind = (o: object): number => (o instanceof Map ? 0 : o instanceof Set ? 1 : 2);
  if (kind(a) !== kind(b)) return kind(a) - kind(b);
  if (kind(a) !== 2) {
    const sa = stableStringify(a);
    const sb = stableStringify(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const c = compareKeys((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]]);
    if (c !== 0) return c;
  }
  return ka.length - kb.length;
}

function typeRank(v: unknown): number {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case 'boolean':
      return 2;
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    default:
      return Array.isArray(v) ? 5 : v instanceof Date ? 3 : 6;
  }
}

/** Default key ordering, as Spark's implicit Ordering: total over mixed types. */
export function compareKeys(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2:
      return (a ? 1 : 0) - (b ? 1 : 0);
    case 3: {
      const x = a instanceof Date ? a.getTime() : (a as number | bigint);
      const y = b instanceof Date ? b.getTime() : (b as number | bigint);
      // NaN sorts after every other number (as Java's Double.compare), so the order stays total.
      if (x !== x || y !== y) return (x !== x ? 1 : 0) - (y !== y ? 1 : 0);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 5: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const c = compareKeys(xa[i], xb[i]);
        if (c !== 0) return c;
      }
      return xa.length - xb.length;
    }
    case 6:
      return compareObjects(a as object, b as object);
    default:
      return 0;
  }
}

/** What top, takeOrdered, max and min order by: a comparator of two elements, or PySpark's key function of one. */
export type OrderArg<T> = ((a: T, b: T) => number) | ((x: T) => unknown);

/**
 * The comparator an order argument stands for: a function of one parameter (`length` 1) is
 * PySpark's `key` (`takeOrdered(3, (x) => -x)`), its results compared by key.ts's order; any
 * other function is a comparator, as Scala's Ordering. Used on the driver and in the task alike.
 */
export function orderComparator<T>(f: OrderArg<T> | undefined, keyed: boolean): (a: T, b: T) => number {
  if (f === undefined) return compareKeys as (a: T, b: T) => number;
  if (keyed) {
    const key = f as (x: T) => unknown;
    return (a, b) => compareKeys(key(a), key(b));
  }
  return f as (a: T, b: T) => number;
}
