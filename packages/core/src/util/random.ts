import { SluiceError } from '../errors.js';

/** A seeded PRNG in [0, 1): a partition samples alike on every attempt. */
export function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A Poisson-distributed count with mean `lambda` (sampling with replacement, as Spark's
 * PoissonSampler), by Knuth's product of uniforms. A mean over 30 is drawn as a sum of draws
 * of at most 30 each (a sum of independent Poisson counts is Poisson with the sum of their
 * means): at once, past a mean of ~745 exp(-mean) is 0 in a double and every draw came out
 * ~745, whatever the mean. Self-contained: sampleByKey ships this function to the workers by
 * its source, so it may use nothing else of this module.
 */
export function poisson(lambda: number, rand: () => number): number {
  let k = 0;
  let rest = lambda;
  do {
    const mean = Math.min(rest, 30);
    const l = Math.exp(-mean);
    let p = rand();
    while (p > l) {
      k++;
      p *= rand();
    }
    rest -= mean;
  } while (rest > 0);
  return k;
}

/**
 * A sampling call's seed as the 32 bits the generators start from. Spark's seed is a Long, so
 * every whole number is a seed of its own: a seed in Java's Int range is kept as it is, and one
 * past it has its high part mixed in (by an odd multiplier, so seeds 2^32 apart never start alike,
 * where truncating to 32 bits made them the same). A seed that is no whole number (0.5,
 * Math.random()) or past ±(2^53 - 1) is SLUICE_BAD_ARGUMENT naming `operator`: truncated, every
 * fraction in [0, 1) would be seed 0.
 */
export function sampleSeed(seed: number, operator: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${operator}: the seed must be a whole number (Spark's seed is a Long), got ${typeof seed === 'number' ? String(seed) : typeof seed}; for a random one use Math.floor(Math.random() * 2 ** 31), or leave it out`,
    );
  }
  const low = seed | 0;
  const high = (seed - low) / 4294967296;
  return high === 0 ? low : (low ^ Math.imul(high | 0, 0x85ebca6b)) | 0;
}
