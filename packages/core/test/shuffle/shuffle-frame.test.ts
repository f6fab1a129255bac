// Shuffle frames: small buckets of number/string pairs take the compact form, everything
// else v8; either way a bucket decodes to exactly what was encoded (Object.is on every
// number: -0, NaN and infinities included; strings with characters past U+00FF and lone
// surrogates included).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MapOutputWriter } from '../../src/shuffle/map-output-file.js';
import { COMPACT_MAX_RECORDS, PAIRS_TAG, decodeShuffleFrame, decodeShuffleFrames, encodeRun, encodeShuffleFrame } from '../../src/shuffle/shuffle-frame.js';
import { mulberry32 } from '../support/prng.js';

const rand = mulberry32(77);
const NUMBERS = [0, -0, 1, -1, -1.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 5e-324, 123456.789, 255, 256, -256, 65535, -65537, 2 ** 24 + 3, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32];
const STRINGS = ['', 'a', 'naïve', 'ÿ', 'Ā', '日本語', '\ud83d\ude00', '\ud800', 'x'.repeat(300)];
const anyElement = (): number | string => (rand() < 0.5 ? NUMBERS[Math.floor(rand() * NUMBERS.length)] : STRINGS[Math.floor(rand() * STRINGS.length)]);

test('small buckets of number/string pairs use the compact form and decode to the same records', () => {
  for (let n = 0; n <= COMPACT_MAX_RECORDS; n++) {
    for (let round = 0; round < 20; round++) {
      const bucket = Array.from({ length: n }, () => [anyElement(), anyElement()]);
      const bytes = encodeShuffleFrame(bucket);
      assert.equal(bytes[0], PAIRS_TAG, `a bucket of ${n} pairs is compact`);
      assert.deepStrictEqual(decodeShuffleFrame(bytes), bucket);
    }
  }
  // Its size, counted here: 5 bytes, then 5 a 32-bit integer (not -0), 9 any other number, 5 + length a one-byte string, 5 + 2 x length any other.
  assert.equal(encodeShuffleFrame([[7, 'ab'], ['日本', -0]]).length, 5 + 5 + 7 + 9 + 9);
  // Its layout, read with Buffer's readers: an int32 element (tag 4), a float64 one (tag 1).
  const b = Buffer.from(encodeShuffleFrame([[-2, 2 ** 31], [-(2 ** 31), 1.5]]));
  assert.deepEqual([b[0], b.readUInt32LE(1)], [PAIRS_TAG, 2]);
  assert.deepEqual([b[5], b.readInt32LE(6), b[10], b.readDoubleLE(11)], [4, -2, 1, 2 ** 31]);
  assert.deepEqual([b[19], b.readInt32LE(20), b[24], b.readDoubleLE(25)], [4, -(2 ** 31), 1, 1.5]);
  assert.equal(b.length, 33);
});

test('other buckets go through v8 serialize and decode to the same records', () => {
  const cases: unknown[][] = [
    Array.from({ length: COMPACT_MAX_RECORDS + 1 }, (_, i) => [i, `w${i}`]),
    [[1, 2, 3]],
    [[1n, 2]],
    [[{ a: 1 }, 2]],
    [[new Date(5), 'x']],
    [[undefined, 1]],
    [[null, 1]],
    [[true, 1]],
    [7],
    [[[1, 2], 3]],
  ];
  for (const bucket of cases) {
    const bytes = encodeShuffleFrame(bucket);
    assert.equal(bytes[0], 0xff, `v8 for ${String(bucket[0])}`);
    assert.deepStrictEqual(decodeShuffleFrame(bytes), bucket);
  }
});

test('decodeShuffleFrames reads every frame of a buffer of segments where it lies (compact and v8 frames mixed, at any offset)', () => {
  // 30 reduce partitions, each 0-3 frames of 0-40 pairs (compact up to 16, v8 above), laid out by MapOutputWriter.
  const reduces = 30;
  const want: unknown[][] = Array.from({ length: reduces }, () => []);
  const w = new MapOutputWriter(reduces);
  for (let r = 0; r < reduces; r++) {
    for (let f = Math.floor(rand() * 4); f > 0; f--) {
      const bucket = Array.from({ length: Math.floor(rand() * 41) }, () => [anyElement(), anyElement()]);
      w.add(r, encodeShuffleFrame(bucket));
      want[r].push(...bucket);
    }
  }
  const { data, sizes } = w.finish();
  // The whole output at an odd offset of a larger buffer (as a view into a received message would be).
  const host = new Uint8Array(data.length + 13);
  host.set(data, 7);
  const all: unknown[] = [];
  decodeShuffleFrames(host.subarray(7, 7 + data.length), all);
  assert.deepStrictEqual(all, want.flat());
  // One segment alone: partition 5's bytes.
  const start = Array.from(sizes).slice(0, 5).reduce((a, b) => a + b, 0);
  const one: unknown[] = [];
  decodeShuffleFrames(data.subarray(start, start + sizes[5]), one);
  assert.deepStrictEqual(one, want[5]);
  // A cut-off buffer is an error naming where, not records made up.
  const cut = data.subarray(0, data.length - 1);
  assert.throws(() => decodeShuffleFrames(cut, []), /truncated shuffle segment/);
});

test('encodeRun lays a spill out by partition straight into one buffer: each partition one frame of its records in their order, wide (2,100 partitions), skewed and mostly empty; several runs merge in run order; the data and index are checked with Buffer’s readers', () => {
  for (const [partitions, records] of [
    [1, 40],
    [2, 0],
    [7, 300],
    [2100, 5000],
  ] as const) {
    // Two runs (spills) of random records: most go to a few hot partitions, a quarter of the
    // partitions never get one; pairs of numbers and strings (compact up to 16 a partition),
    // and now and then a record of another shape (the partition's frame is then v8).
    const hot = [0, Math.floor(partitions / 2), partitions - 1];
    const cold = (r: number): boolean => partitions > 3 && r % 4 === 3 && !hot.includes(r);
    const runs = [0, 1].map(() => {
      const recs: unknown[] = [];
      const parts: number[] = [];
      for (let i = 0; i < records; i++) {
        let r = rand() < 0.5 ? hot[Math.floor(rand() * hot.length)] : Math.floor(rand() * partitions);
        if (cold(r)) r = hot[0];
        recs.push(rand() < 0.02 ? { odd: i } : [anyElement(), anyElement()]);
        parts.push(r);
      }
      return { recs, parts };
    });
    const w = new MapOutputWriter(partitions);
    for (const { recs, parts } of runs) w.addRun(encodeRun(recs, Int32Array.from(parts), recs.length, partitions));
    const out = w.finish();
    const index = Buffer.from(out.index.buffer, out.index.byteOffset, out.index.byteLength);
    const data = Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength);
    assert.equal(index.length, (partitions + 1) * 8);
    assert.equal(Number(index.readBigUInt64LE(partitions * 8)), data.length);
    assert.equal(out.data.buffer.byteLength, out.data.length, 'a buffer of its own (it is transferred to the main thread)');
    for (let r = 0; r < partitions; r++) {
      const [start, end] = [Number(index.readBigUInt64LE(r * 8)), Number(index.readBigUInt64LE((r + 1) * 8))];
      assert.equal(out.sizes[r], end - start, `size of partition ${r}`);
      // One frame per run that had records for r, each that run's records for r in their order.
      const wantFrames = runs.map(({ recs, parts }) => recs.filter((_, i) => parts[i] === r)).filter((f) => f.length > 0);
      let at = start;
      for (const want of wantFrames) {
        const len = data.readUInt32LE(at);
        assert.deepStrictEqual(decodeShuffleFrame(data.subarray(at + 4, at + 4 + len)), want, `partition ${r} of ${partitions}`);
        at += 4 + len;
      }
      assert.equal(at, end, `partition ${r} of ${partitions} holds exactly its frames`);
      if (cold(r)) assert.equal(end, start, `cold partition ${r} is empty`);
    }
  }
});

test('with compression, large frames become LZ4 frames that decode to the same records; small ones stay as they are; a damaged one is found', async () => {
  const { COMPRESS_MIN_BYTES, shuffleFramesProblem } = await import('../../src/shuffle/shuffle-frame.js');
  const records = Array.from({ length: 3000 }, (_, i) => [`key${i % 7}`, { text: 'the quick brown fox '.repeat(3), i }]);
  const parts = Int32Array.from(records, (_, i) => (i < 1 ? 0 : 1 + (i % 3)));
  const plain = encodeRun(records, parts, records.length, 4);
  const packed = encodeRun(records, parts, records.length, 4, true);
  assert.ok(packed.data.length < plain.data.length / 2, `${packed.data.length} of ${plain.data.length} bytes`);
  for (let r = 0; r < 4; r++) {
    const seg = (run: typeof plain): Uint8Array => run.data.subarray(run.offsets[r], run.offsets[r + 1]);
    const a: unknown[] = [];
    const b: unknown[] = [];
    decodeShuffleFrames(seg(plain), a);
    decodeShuffleFrames(seg(packed), b);
    assert.deepStrictEqual(b, a);
    // Partition 0's one record encodes below COMPRESS_MIN_BYTES: the same bytes either way; the others start with the LZ4 magic.
    if (r === 0) assert.ok(seg(packed).length < COMPRESS_MIN_BYTES && Buffer.from(seg(packed)).equals(Buffer.from(seg(plain))));
    else assert.equal(seg(packed)[4], 0x04);
  }
  assert.equal(shuffleFramesProblem(packed.data), undefined);
  assert.equal(shuffleFramesProblem(plain.data), undefined);
  const bad = Uint8Array.from(packed.data);
  bad[Math.floor(bad.length / 2)] ^= 1;
  assert.match(shuffleFramesProblem(bad) ?? '', /does not match its checksum/);
  assert.match(shuffleFramesProblem(packed.data.subarray(0, packed.data.length - 3)) ?? '', /runs past/);
});
