// Partition-run checksums of map outputs (Spark's spark.shuffle.checksum.enabled): with them
// a run of frames decodes to the same records, any one byte of a segment changed is found
// before anything is decoded (compact, v8 and LZ4 frames, runs merged from several spills),
// frames written without them are refused by a reader that requires them, and a checksum
// frame of another format version is refused naming it. The CRC is checked against zlib's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { MapOutputWriter, segmentRange } from '../../src/shuffle/map-output-file.js';
import { CHECKSUM_FRAME_BYTES, CHECKSUM_TAG, crc32 } from '../../src/shuffle/shuffle-checksum.js';
import { UNCHECKED, decodeShuffleFrames, encodeRun, shuffleFramesProblem } from '../../src/shuffle/shuffle-frame.js';
import { mulberry32 } from '../support/prng.js';

const rand = mulberry32(2024);

test("crc32 is zlib's CRC-32 of the same bytes, short (summed in JS) and long", () => {
  const bytes = new Uint8Array(5000).map(() => Math.floor(rand() * 256));
  for (const [from, to] of [[0, 0], [0, 1], [3, 20], [7, 127], [7, 128], [1, 300], [0, 5000]]) {
    assert.equal(crc32(bytes, from, to), zlib.crc32(bytes.subarray(from, to)), `bytes ${from}-${to}`);
  }
});

/** Three spills of a map task over 5 partitions: compact pairs, v8 records (long strings, compressible) and empty partitions. */
function spills(compress: boolean, checksum: boolean): { data: Uint8Array; index: Uint8Array; records: unknown[][] } {
  const n = 5;
  const records: unknown[][] = Array.from({ length: n }, () => []);
  const w = new MapOutputWriter(n);
  for (let s = 0; s < 3; s++) {
    const recs: unknown[] = [];
    const parts: number[] = [];
    for (let i = 0; i < 40; i++) {
      const p = Math.floor(rand() * 4); // partition 4 stays empty
      const r = p === 0 ? [i, `k${i}`] : p === 1 ? [i, { text: 'the quick brown fox '.repeat(20) + i }] : [`w${i}`, i * 1.5];
      recs.push(r);
      parts.push(p);
      records[p].push(r);
    }
    w.addRun(encodeRun(recs, parts, recs.length, n, compress, checksum));
  }
  const out = w.finish();
  return { data: out.data, index: out.index, records };
}

test('checksummed runs decode to the same records; one byte changed anywhere in a segment is found, with or without compression', () => {
  for (const compress of [false, true]) {
    const { data, index, records } = spills(compress, true);
    for (let r = 0; r < 5; r++) {
      const { start, end } = segmentRange(index, r);
      const seg = data.slice(start, end);
      assert.equal(shuffleFramesProblem(seg, true), undefined, `partition ${r} is whole`);
      const out: unknown[] = [];
      decodeShuffleFrames(seg, out);
      assert.deepEqual(out, records[r], `partition ${r}'s records (compress ${compress})`);
      for (let at = 0; at < seg.length; at++) {
        for (const x of [0x01, 0x80, 0xff]) {
          const bad = seg.slice();
          bad[at] ^= x;
          assert.notEqual(shuffleFramesProblem(bad, true), undefined, `partition ${r}: byte ${at} of ${seg.length} ^ ${x} (compress ${compress})`);
        }
      }
    }
  }
});

test('without checksums a reader that requires them refuses the frames, naming the setting; one that does not reads them', () => {
  const { data, index, records } = spills(false, false);
  const { start, end } = segmentRange(index, 1);
  const seg = data.subarray(start, end);
  assert.ok(shuffleFramesProblem(seg, true)?.startsWith(UNCHECKED));
  assert.match(shuffleFramesProblem(seg, true)!, /--no-shuffle-checksum/);
  assert.equal(shuffleFramesProblem(seg, false), undefined);
  const out: unknown[] = [];
  decodeShuffleFrames(seg, out);
  assert.deepEqual(out, records[1]);
  // Checksummed frames read by a reader with checksums off: the checksum frames are skipped.
  const on = spills(false, true);
  const r = segmentRange(on.index, 2);
  const got: unknown[] = [];
  decodeShuffleFrames(on.data.subarray(r.start, r.end), got);
  assert.deepEqual(got, on.records[2]);
});

test('a checksum frame of another format version is refused, naming both versions', () => {
  const run = encodeRun([[1, 2]], [0], 1, 1, false, true);
  const bytes = run.data.slice();
  const at = bytes.length - CHECKSUM_FRAME_BYTES;
  assert.equal(bytes[at + 4], CHECKSUM_TAG);
  bytes[at + 5] = 2;
  assert.match(shuffleFramesProblem(bytes, true)!, /format version 2, and this Sluice reads version 1 \(CRC-32\): run the same Sluice version on every worker/);
});
