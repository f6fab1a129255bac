import { SluiceError } from '../errors.js';
import { sparkWords } from '../util/spark-words.js';
import { scalaDouble } from '../util/scala-double.js';
import { keyId } from './key.js';

/**
 * A HyperLogLog sketch of how many distinct values it was offered, as behind Spark's
 * countApproxDistinct (its HyperLogLog++ without the sparse form): 2^p registers of one
 * byte, each the largest rank (leading zeros + 1) seen among the 64-bit hashes of the values
 * whose first p bits name it. Values are equal as keys are (key.ts: by value, so `[1, 'a']`
 * made twice is one value, and 1 and '1' are two), which is what `distinct()` counts.
 *
 * The estimate is Ertl's improved raw estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), unbiased from 0 to far past 2^p without HLL++'s empirical
 * bias tables; its relative standard error is about 1.04 / sqrt(2^p), the relativeSD that
 * Spark's precision formula aims for.
 *
 * Registers are plain bytes (a Uint8Array), so a sketch travels in the record codec and two
 * sketches of the same precision merge by taking each register's maximum.
 */

/** Spark's bounds: relativeSD above 0.000017; p at least 4 (a larger relativeSD gives 4). */
export const MIN_RELATIVE_SD = 0.000017;
export const MIN_PRECISION = 4;
/** 2^24 registers (16 MiB a sketch, per partition and per key): past that a sketch costs more than it saves. */
export const MAX_PRECISION = 24;

/** The precision for a relative standard deviation, as Spark's countApproxDistinct(relativeSD) chooses it. */
export function precisionFor(relativeSD: number, operator: string): number {
  if (typeof relativeSD !== 'number' || !(relativeSD > MIN_RELATIVE_SD)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: relativeSD must be a number greater than ${MIN_RELATIVE_SD}, got ${String(relativeSD)} (0.05, the default, gives 9 bits: 512 registers)${sparkWords(typeof relativeSD === 'number', `accuracy (${scalaDouble(relativeSD)}) must be greater than 0.000017`)}`);
  }
  const p = Math.max(MIN_PRECISION, Math.ceil((2 * Math.log(1.054 / relativeSD)) / Math.LN2));
  if (p > MAX_PRECISION) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: relativeSD ${relativeSD} needs ${p} bits of precision (2^${p} registers); the most is ${MAX_PRECISION}: give a relativeSD of at least ${leastRelativeSD()}`);
  }
  return p;
}

/** The smallest relativeSD that MAX_PRECISION allows, rounded up to 3 digits (so it is allowed). */
function leastRelativeSD(): string {
  const least = 1.054 / 2 ** (MAX_PRECISION / 2);
  const unit = 10 ** (Math.floor(Math.log10(least)) - 2);
  return (Math.ceil(least / unit) * unit).toPrecision(3);
}

/** Checks Spark's countApproxDistinct(p, sp) arguments; returns p (the sketch is always dense here, so sp changes nothing). */
export function checkPrecision(p: number, sp: number, operator: string): number {
  if (!Number.isInteger(p) || p < MIN_PRECISION || p > MAX_PRECISION) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: p must be a whole number in [${MIN_PRECISION}, ${MAX_PRECISION}], got ${String(p)}${sparkWords(Number.isInteger(p) && p < MIN_PRECISION, `p (${p}) must be >= 4`)}`);
  }
  if (!Number.isInteger(sp) || sp > 32 || (sp !== 0 && sp < p)) {
    // Spark's requires in order: sp <= 32, then sp == 0 || p <= sp.
    const words = sp > 32 ? `sp (${sp}) must be <= 32` : `p (${p}) cannot be greater than sp (${sp})`;
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: sp must be 0 or a whole number in [p, 32] (p is ${p}), got ${String(sp)}${sparkWords(Number.isInteger(sp), words)}`);
  }
  return p;
}

export function newSketch(p: number): Uint8Array {
  return new Uint8Array(1 << p);
}

/** Adds `value` to the sketch (in place) and returns it. */
export function offer(sketch: Uint8Array, value: unknown): Uint8Array {
  const p = 31 - Math.clz32(sketch.length);
  let h1: number;
  let h2: number;
  if (typeof value === 'number') {
    // A number by its 8 bytes (0 for -0, as keys compare; one NaN): no string made per element.
    NUMBER[0] = value === 0 ? 0 : value !== value ? NaN : value;
    h1 = murmurWords(WORDS[0], WORDS[1], 0x9747b28c);
    h2 = murmurWords(WORDS[0], WORDS[1], 0x5bd1e995);
  } else {
    const s = canonical(value);
    h1 = murmur32(s, 0x9747b28c);
    h2 = murmur32(s, 0x5bd1e995);
  }
  const index = h1 >>> (32 - p);
  const rest = (h1 << p) >>> 0;
  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - p + Math.clz32(h2) + 1;
  if (rank > sketch[index]) sketch[index] = rank;
  return sketch;
}

/** `a` with each register the maximum of a's and b's (in place); both must have the same precision. */
export function merge(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new SluiceError('SLUICE_INTERNAL', `HyperLogLog sketches of ${a.length} and ${b.length} registers cannot merge`);
  for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
  return a;
}

/** The estimated number of distinct values offered (rounded, as Spark's Long). */
export function estimate(sketch: Uint8Array): number {
  const m = sketch.length;
  const p = 31 - Math.clz32(m);
  const q = 64 - p;
  const counts = new Float64Array(q + 2);
  for (let i = 0; i < m; i++) counts[sketch[i]]++;
  let z = m * tau(1 - counts[q + 1] / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + counts[k]);
  z += m * sigma(counts[0] / m);
  return Math.round((m * m) / (2 * Math.LN2 * z));
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const before = z;
    z += x * y;
    y += y;
    if (z === before) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const before = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === before) return z / 3;
  }
}

const NUMBER = new Float64Array(1);
const WORDS = new Uint32Array(NUMBER.buffer);

/** MurmurHash3's 32-bit hash of two 32-bit words. */
function murmurWords(a: number, b: number, seed: number): number {
  return murmurFinish(murmurBlock(murmurBlock(seed >>> 0, a), b), 8);
}

/** A string that two values have alike exactly when they are the same key (key.ts), tagged by type. */
function canonical(v: unknown): string {
  const id = keyId(v);
  return typeof v === 'object' && v !== null ? String(id) : `${typeof v}:${String(id)}`;
}

/** MurmurHash3's 32-bit hash over the string's UTF-16 code units, two to a block. */
function murmur32(s: string, seed: number): number {
  let h = seed >>> 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = murmurBlock(h, (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)) >>> 0);
  if (i < n) h ^= murmurScramble(s.charCodeAt(i));
  return murmurFinish(h, n * 2);
}

/** MurmurHash3's scramble of one 32-bit block. */
function murmurScramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

/** MurmurHash3's step over one whole 32-bit block. */
function murmurBlock(h: number, k: number): number {
  h ^= murmurScramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finalization: the length in bytes, then the avalanche (fmix32). */
function murmurFinish(h: number, bytes: number): number {
  h ^= bytes;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
