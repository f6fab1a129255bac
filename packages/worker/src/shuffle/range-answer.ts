/**
 * The answer to a fetch of several contiguous reduce partitions (a range task's,
 * FetchShuffleRequest.reduce_count > 1): `count` little-endian uint32 byte counts, one a
 * partition in order, then each partition's segments (runs of frames) in turn. One answer a
 * peer for the whole range, where a fetch a partition would send `count`.
 */

/** The most partitions one request may name (a range task covers at most 8). */
export const MAX_RANGE_PARTITIONS = 1024;

/** Lay `parts` (one buffer of segments a partition, in order) out as one answer. */
export function encodeRangeAnswer(parts: readonly Uint8Array[]): Uint8Array {
  const head = 4 * parts.length;
  let total = head;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = head;
  parts.forEach((p, k) => {
    view.setUint32(4 * k, p.length, true);
    out.set(p, at);
    at += p.length;
  });
  return out;
}

/**
 * The `count` partitions' segments of an answer, as views into it (in order); undefined when
 * its lengths do not add up to what it holds (a cut or foreign answer).
 */
export function splitRangeAnswer(answer: Uint8Array, count: number): Uint8Array[] | undefined {
  const head = 4 * count;
  if (count < 1 || answer.length < head) return undefined;
  const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
  const out = new Array<Uint8Array>(count);
  let at = head;
  for (let k = 0; k < count; k++) {
    const n = view.getUint32(4 * k, true);
    if (at + n > answer.length) return undefined;
    out[k] = answer.subarray(at, at + n);
    at += n;
  }
  return at === answer.length ? out : undefined;
}
