/**
 * Spark's SizeEstimator, for decoded records: about how many bytes of V8's heap `records` take,
 * from a sample of them (up to SAMPLE, evenly spaced) walked field by field with V8's usual
 * sizes on a 64-bit build without pointer compression (Node's): a pointer 8 bytes, an object's
 * header (map, properties, elements) 24, an array's 32 and its slots 8 each, a string 16 and its
 * characters (1 or 2 bytes each, rounded up to 8), a number outside the small integers a 16-byte
 * box, a Map's or Set's entries 24 each beside their keys and values. Shared objects are counted
 * once a sampled record. What a worker counts for a partition it keeps decoded in a task thread
 * (memoryUsed, and its room under --memory); within 2x of the heap it takes (tested against
 * the heap's growth), not exact.
 */
export const SAMPLE = 100;

export function estimateRecordsSize(records: readonly unknown[]): number {
  const n = records.length;
  // The array of the records: its header and a slot each.
  const slots = 32 + 8 * n;
  if (n === 0) return slots;
  const step = n <= SAMPLE ? 1 : n / SAMPLE;
  let sampled = 0;
  let bytes = 0;
  for (let at = 0; at < n && sampled < SAMPLE; at += step) {
    bytes += sizeOf(records[Math.floor(at)], new Set());
    sampled++;
  }
  return slots + Math.round((bytes / sampled) * n);
}

function sizeOf(value: unknown, seen: Set<object>): number {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? 0 : 16;
    case 'string':
      return 16 + Math.ceil((value.length * (/^[\u0000-\u00ff]*$/.test(value) ? 1 : 2)) / 8) * 8;
    case 'bigint':
      return 16 + 8 * Math.ceil(value.toString(16).length / 16);
    case 'object': {
      if (value === null || seen.has(value)) return 0;
      seen.add(value);
      if (Array.isArray(value)) {
        let s = 32 + 8 * value.length;
        for (const v of value) s += sizeOf(v, seen);
        return s;
      }
      if (value instanceof Map) {
        let s = 64 + 24 * value.size;
        for (const [k, v] of value) s += sizeOf(k, seen) + sizeOf(v, seen);
        return s;
      }
      if (value instanceof Set) {
        let s = 64 + 16 * value.size;
        for (const v of value) s += sizeOf(v, seen);
        return s;
      }
      if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
      if (value instanceof Date) return 32;
      const vals = Object.values(value);
      let s = 24 + 8 * vals.length;
      for (const v of vals) s += sizeOf(v, seen);
      return s;
    }
    default:
      // booleans, undefined: immortal values, a slot's pointer only.
      return 0;
  }
}
