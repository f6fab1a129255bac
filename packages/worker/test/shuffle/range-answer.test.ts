// The answer to a fetch of several reduce partitions: their byte counts, then their segments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRangeAnswer, splitRangeAnswer } from '../../src/shuffle/range-answer.js';

test('a range answer splits into the partitions it was made of, empty ones included; a cut or padded one does not split', () => {
  const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4), new Uint8Array(0)];
  const answer = encodeRangeAnswer(parts);
  assert.equal(answer.length, 4 * 4 + 4);
  // The layout read by hand: little-endian counts first.
  assert.deepEqual([...answer.subarray(0, 16)], [3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(splitRangeAnswer(answer, 4)?.map((p) => [...p]), [[1, 2, 3], [], [4], []]);
  // At an odd offset of a larger buffer (as a received message may be).
  const inside = new Uint8Array(answer.length + 3);
  inside.set(answer, 1);
  assert.deepEqual(splitRangeAnswer(inside.subarray(1, 1 + answer.length), 4)?.map((p) => [...p]), [[1, 2, 3], [], [4], []]);
  assert.equal(splitRangeAnswer(answer.subarray(0, answer.length - 1), 4), undefined, 'cut');
  assert.equal(splitRangeAnswer(Uint8Array.of(...answer, 9), 4), undefined, 'a byte too many');
  assert.equal(splitRangeAnswer(answer, 3), undefined, 'read as 3 partitions');
  assert.equal(splitRangeAnswer(answer.subarray(0, 8), 4), undefined, 'shorter than its counts');
});
