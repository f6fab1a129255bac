// The records of bench/cache-reads.js (not a test), shared by its Sluice program and its plain
// loop: record i is a small object of four fields (two numbers, a string, a float).
/** @typedef {{ id: number, key: string, v: number, w: number }} Rec */

/** @param {number} i @returns {Rec} */
export function record(i) {
  return { id: i, key: `k${i % 1000}`, v: (i * 7919) % 10007, w: (i % 97) * 0.25 };
}
