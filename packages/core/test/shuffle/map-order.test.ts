// A shuffle read takes its places' answers in map-index order (map-order.ts): records come
// in one order whichever worker held which map output. Answers are laid out here by hand:
// each map output's segment a frame of its records after its map mark.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAP_MARK_BYTES, segmentsInMapOrder, writeMapMark } from '../../src/shuffle/map-order.js';
import { decodeShuffleFrames, encodeRun, encodeShuffleFrame, shuffleFramesProblem } from '../../src/shuffle/shuffle-frame.js';

/** One place's answer: the segments of `maps` (ascending), map m's a frame of [m, 0], [m, 1]. */
function answer(maps: readonly number[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const m of maps) {
    const mark = Buffer.alloc(MAP_MARK_BYTES);
    writeMapMark(mark, 0, m);
    const frame = encodeShuffleFrame([[m, 0], [m, 1]]);
    parts.push(mark, Buffer.from(Uint32Array.of(frame.length).buffer), Buffer.from(frame));
  }
  return Buffer.concat(parts);
}

function records(answers: readonly Uint8Array[]): unknown[] {
  const out: unknown[] = [];
  for (const b of segmentsInMapOrder(answers)) decodeShuffleFrames(b, out);
  return out;
}

test('segments of several places come in map order, however the map outputs are spread; runs that lie together are one view', () => {
  const want = [0, 1, 2, 3, 4, 5].flatMap((m) => [[m, 0], [m, 1]]);
  assert.deepEqual(records([answer([0, 3, 4]), answer([1, 2, 5])]), want);
  assert.deepEqual(records([answer([1, 2, 5]), answer([0, 3, 4])]), want);
  assert.deepEqual(records([answer([0, 5]), answer([]), answer([1, 4]), answer([2, 3])]), want);
  // 0, 1 | 2 | 3, 4 | 5: four views.
  assert.equal(segmentsInMapOrder([answer([0, 1, 3, 4]), answer([2, 5])]).length, 4);
  // One answer with data: as it is.
  const one = answer([2, 7]);
  assert.deepEqual(segmentsInMapOrder([new Uint8Array(0), one]), [one]);
  assert.deepEqual(records([one]), [[2, 0], [2, 1], [7, 0], [7, 1]]);
  // Map marks past 2^24 are read whole.
  assert.deepEqual(records([answer([0x1000001]), answer([3])]), [[3, 0], [3, 1], [0x1000001, 0], [0x1000001, 1]]);
});

test('a map mark holds no records and leaves checksummed segments whole; frames no checksum covers before a mark are named', () => {
  const run = encodeRun([[1, 'a'], [2, 'b']], Int32Array.of(0, 0), 2, 1, false, true);
  const seg = Buffer.from(run.data);
  const mark = (m: number): Buffer => {
    const b = Buffer.alloc(MAP_MARK_BYTES);
    writeMapMark(b, 0, m);
    return b;
  };
  const marked = Buffer.concat([mark(4), seg, mark(9), seg]);
  assert.equal(shuffleFramesProblem(marked, true), undefined);
  const out: unknown[] = [];
  decodeShuffleFrames(marked, out);
  assert.deepEqual(out, [[1, 'a'], [2, 'b'], [1, 'a'], [2, 'b']]);
  const plain = encodeRun([[1, 'a']], Int32Array.of(0), 1, 1, false, false);
  assert.match(shuffleFramesProblem(Buffer.concat([mark(1), Buffer.from(plain.data), mark(2), seg]), true) ?? '', /frames carry no checksum/);
});
