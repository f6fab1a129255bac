/**
 * Reference hashes written from their definitions, independent of `rdd/key.ts`: Java's
 * `String.hashCode` is s[0]*31^(n-1) + s[1]*31^(n-2) + ... + s[n-1] over UTF-16 code
 * units, taken modulo 2^32 as a signed int; `Arrays.hashCode` is 31*h + e folded from 1.
 * Evaluated here with BigInt powers (not the incremental `Math.imul` loop of the code
 * under test), so a slip in either shows up as a disagreement.
 */
export function javaStringHash(s: string): number {
  const n = s.length;
  let sum = 0n;
  for (let i = 0; i < n; i++) sum += BigInt(s.charCodeAt(i)) * 31n ** BigInt(n - 1 - i);
  return Number(BigInt.asIntN(32, sum));
}

/** Arrays.hashCode of elements whose hashes are given: 31^n + sum e_i * 31^(n-1-i), as a signed int. */
export function javaArraysHash(elementHashes: readonly number[]): number {
  const n = elementHashes.length;
  let sum = 31n ** BigInt(n);
  elementHashes.forEach((e, i) => (sum += BigInt(e) * 31n ** BigInt(n - 1 - i)));
  return Number(BigInt.asIntN(32, sum));
}

/** Java's Math.floorMod: the partition of a hash among `n`. */
export function floorMod(x: number, n: number): number {
  return Number(((BigInt(x) % BigInt(n)) + BigInt(n)) % BigInt(n));
}
