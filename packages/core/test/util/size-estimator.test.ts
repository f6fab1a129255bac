// estimateRecordsSize (Spark's SizeEstimator, for a partition kept decoded): within 2x of the
// heap the records take, measured as the heap's growth (after full collections) when the
// records decoded from their bytes are kept, for small objects, tuples, strings and nested
// records. The heap's figure is V8's, not the estimator's.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { test } from 'node:test';
import { collectGarbage } from '../../src/util/collect-garbage.js';
import { estimateRecordsSize } from '../../src/util/size-estimator.js';

const N = 100_000;

/**
 * The heap's growth from keeping `make`'s records decoded from their bytes, as the worker keeps
 * them, and the estimate of those records: nothing of them is returned, so the next shape's
 * measure does not see them freed.
 */
function measure(make: (i: number) => unknown): { heap: number; estimate: number } {
  const bytes = v8.serialize(Array.from({ length: N }, (_, i) => make(i)));
  collectGarbage();
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const records = v8.deserialize(bytes) as unknown[];
  collectGarbage();
  collectGarbage();
  const heap = process.memoryUsage().heapUsed - before;
  return { heap, estimate: estimateRecordsSize(records) };
}

test('the estimate is within 2x of the heap the decoded records take', () => {
  const shapes: [string, (i: number) => unknown][] = [
    ['objects of four fields', (i) => ({ id: i, key: `k${i % 1000}`, v: (i * 7919) % 10007, w: (i % 97) * 0.25 })],
    ['[string, number] pairs', (i) => [`word${i % 5000}`, i]],
    ['100-byte lines', (i) => `${String(i).padStart(8, '0')} ${'x'.repeat(91)}`],
    ['nested records', (i) => ({ user: { id: `u${i}`, tags: ['a', 'b', String(i % 7)] }, at: i * 1.5, ok: i % 2 === 0 })],
  ];
  for (const [what, make] of shapes) {
    const { heap, estimate } = measure(make);
    assert.ok(heap > 0, `${what}: the heap grew (${heap})`);
    assert.ok(estimate >= heap / 2 && estimate <= heap * 2, `${what}: estimate ${estimate} bytes, heap ${heap} bytes`);
  }
});

test('an empty partition and a short one', () => {
  assert.equal(estimateRecordsSize([]), 32);
  // Two records of 4 small integers: 24 + 4 x 8 bytes each, and their slots.
  assert.equal(estimateRecordsSize([{ a: 1, b: 2, c: 3, d: 4 }, { a: 1, b: 2, c: 3, d: 4 }]), 32 + 16 + 2 * 56);
});
