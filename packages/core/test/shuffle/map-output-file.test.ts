// The consolidated map output format (MapOutputFile): the index's offsets and the
// frames' lengths are checked against sums computed here from the frames put in, and read
// with Buffer's own readers (not the module's), so a wrong width, byte order or offset shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors.js';
import { MapOutputWriter, concatOwned, indexEntry, indexWords, segmentRange, splitFrames, wordEntry } from '../../src/shuffle/map-output-file.js';
import { mulberry32 } from '../support/prng.js';

/** Random frames for each of `reduces` partitions: about half the partitions empty, some with several frames, some frames empty. */
function randomFrames(seed: number, reduces: number): Uint8Array[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: reduces }, () => {
    if (rand() < 0.5) return [];
    return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
  });
}

test('the index holds R + 1 little-endian u64 offsets; each segment is 4-byte little-endian length-prefixed frames in reduce order', () => {
  for (const [seed, reduces] of [
    [1, 1],
    [2, 7],
    [3, 200],
  ] as const) {
    const frames = randomFrames(seed, reduces);
    const w = new MapOutputWriter(reduces);
    frames.forEach((fs, r) => fs.forEach((f) => w.add(r, f)));
    const out = w.finish();
    const index = Buffer.from(out.index.buffer, out.index.byteOffset, out.index.byteLength);
    const data = Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength);
    assert.equal(index.length, (reduces + 1) * 8);
    let offset = 0;
    for (let r = 0; r < reduces; r++) {
      const want = frames[r].reduce((n, f) => n + 4 + f.length, 0);
      assert.equal(Number(index.readBigUInt64LE(r * 8)), offset, `offset of partition ${r}`);
      assert.equal(out.sizes[r], want, `size of partition ${r}`);
      // The frames, read with Buffer's readers.
      let at = offset;
      for (const f of frames[r]) {
        assert.equal(data.readUInt32LE(at), f.length);
        assert.deepEqual(new Uint8Array(data.subarray(at + 4, at + 4 + f.length)), f);
        at += 4 + f.length;
      }
      // The module's readers agree.
      assert.deepEqual(segmentRange(out.index, r), { start: offset, end: offset + want });
      assert.deepEqual(splitFrames(out.data.subarray(offset, offset + want)).map((x) => new Uint8Array(x)), frames[r]);
      offset += want;
    }
    assert.equal(Number(index.readBigUInt64LE(reduces * 8)), offset, 'the last offset is the data length');
    assert.equal(data.length, offset);
    assert.ok(frames.some((f) => f.length === 0) || reduces === 1, 'some partitions are empty');
    // Whole buffers of their own, so they can be transferred between threads.
    assert.equal(out.index.byteOffset, 0);
    assert.equal(out.index.buffer.byteLength, out.index.length);
    assert.equal(out.data.buffer.byteLength, out.data.length);
  }
});

test('an index read through its 32-bit words gives the offsets its bytes hold, past 4 GiB too; an index not 4-byte aligned has no words view', () => {
  // Offsets written with Buffer's own writer, some with a high half (past 4 GiB).
  const offsets = [0, 1, 0xffffffff, 0x100000000, 0x100000000 + 7, 5 * 0x100000000 + 0xfffffff0, Number.MAX_SAFE_INTEGER];
  const bytes = Buffer.alloc(8 + offsets.length * 8 + 1);
  for (const at of [8, 1]) {
    offsets.forEach((o, i) => bytes.writeBigUInt64LE(BigInt(o), at + i * 8));
    const index = new Uint8Array(bytes.buffer, bytes.byteOffset + at, offsets.length * 8);
    const words = indexWords(index);
    if (at % 4 !== 0 || (bytes.byteOffset + at) % 4 !== 0) {
      assert.equal(words, undefined, 'an unaligned index is read by bytes');
    } else {
      assert.ok(words !== undefined, 'an aligned index has a words view');
      offsets.forEach((o, i) => assert.equal(wordEntry(words, i), o, `entry ${i} through the words`));
    }
    offsets.forEach((o, i) => assert.equal(indexEntry(index, i), o, `entry ${i} by bytes`));
  }
});

test('segments of several map outputs back to back split into all their frames; a truncated run is an error', () => {
  const a = randomFrames(4, 5);
  const b = randomFrames(5, 5);
  const outA = new MapOutputWriter(5);
  const outB = new MapOutputWriter(5);
  a.forEach((fs, r) => fs.forEach((f) => outA.add(r, f)));
  b.forEach((fs, r) => fs.forEach((f) => outB.add(r, f)));
  const [fa, fb] = [outA.finish(), outB.finish()];
  for (let r = 0; r < 5; r++) {
    const ra = segmentRange(fa.index, r);
    const rb = segmentRange(fb.index, r);
    const joined = concatOwned([fa.data.subarray(ra.start, ra.end), fb.data.subarray(rb.start, rb.end)]);
    assert.deepEqual(splitFrames(joined).map((x) => new Uint8Array(x)), [...a[r], ...b[r]]);
    if (joined.length > 0) assert.throws(() => splitFrames(joined.subarray(0, joined.length - 1)), /truncated shuffle segment/);
  }
  assert.throws(() => segmentRange(fa.index, 5), (e: SluiceError) => e.code === 'SLUICE_INTERNAL' && /reduce partition 5 is outside/.test(e.message));
  assert.throws(() => new MapOutputWriter(2).add(2, new Uint8Array(1)), /reduce partition 2 is outside 0\.\.1/);
});
