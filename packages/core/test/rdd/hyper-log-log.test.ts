// The HyperLogLog sketch behind countApproxDistinct: unbiased over many deterministic inputs.
// What is expected comes from HyperLogLog's theory, not from the code: a sketch of m registers
// estimates with a relative standard error of about 1.04 / sqrt(m) (Flajolet et al.; Heule et
// al.'s HLL++ paper gives the same for its dense form), and a mean over k independent inputs has
// a standard error sqrt(k) times smaller. The inputs are fixed, so each run gives the same numbers.
// Measured for this test (p = 9, the precision of countApproxDistinct(0.05): 512 registers, 4.6%):
// 100 sets each of 100, 1,000 and 10,000 consecutive integers, offset integers, random strings
// and random doubles, and 20 of each at 100,000: every mean error within 2 standard errors of
// the mean, the spread 2.9-5.2% (below 4.6% under ~2.5 m values, where the sketch counts its
// empty registers); 1..10,000 alone gives 8,675 (-13%, 2.9 sigma), the tail of one draw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimate, newSketch, offer } from '../../src/rdd/hyper-log-log.js';
import { mulberry32 } from '../support/prng.js';

const P = 9;
const SE = 1.04 / Math.sqrt(2 ** P);

function relativeError(values: Iterable<unknown>, n: number): number {
  const sketch = newSketch(P);
  for (const v of values) offer(sketch, v);
  return estimate(sketch) / n - 1;
}

function* integers(from: number, n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield from + i;
}

function* strings(n: number, seed: number): Iterable<string> {
  const rand = mulberry32(seed);
  for (let i = 0; i < n; i++) yield `${Math.floor(rand() * 2 ** 40).toString(36)}-${i}`;
}

test('countApproxDistinct\'s sketch (p = 9): over 40 inputs each of 2,000 and 20,000 values (consecutive and offset integers, random strings), every error within 4 sigma of 1.04 / sqrt(512) and each kind\'s mean error within 4 standard errors of the mean: no bias', () => {
  for (const n of [2_000, 20_000]) {
    const kinds: Record<string, number[]> = { consecutive: [], offset: [], strings: [] };
    for (let t = 0; t < 40; t++) {
      kinds.consecutive.push(relativeError(integers(1 + t * n, n), n));
      kinds.offset.push(relativeError(integers(t * 7_919 * n - 500_000, n), n));
      kinds.strings.push(relativeError(strings(n, 1_000 + t), n));
    }
    for (const [kind, errors] of Object.entries(kinds)) {
      const shown = errors.map((e) => `${(e * 100).toFixed(1)}%`).join(' ');
      for (const e of errors) assert.ok(Math.abs(e) < 4 * SE, `${kind} ${n}: an error of ${(e * 100).toFixed(1)}% is past 4 sigma (${(4 * SE * 100).toFixed(1)}%): ${shown}`);
      const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
      assert.ok(Math.abs(mean) < (4 * SE) / Math.sqrt(errors.length), `${kind} ${n}: mean error ${(mean * 100).toFixed(2)}% is biased (4 standard errors of the mean: ${((4 * SE * 100) / Math.sqrt(errors.length)).toFixed(2)}%): ${shown}`);
      const sd = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (errors.length - 1));
      // The spread is the theory's, not wider (a hash whose bits are not independent).
      assert.ok(sd < 1.6 * SE, `${kind} ${n}: spread ${(sd * 100).toFixed(2)}% against ${(SE * 100).toFixed(2)}%`);
    }
  }
});

test('countApproxDistinct\'s sketch: one value offered many times counts once; no value counts 0; 1 and \'1\' are two values', () => {
  const s = newSketch(P);
  assert.equal(estimate(s), 0);
  for (let i = 0; i < 1_000; i++) offer(s, 42);
  assert.equal(estimate(s), 1);
  offer(s, '42');
  assert.equal(estimate(s), 2);
});
