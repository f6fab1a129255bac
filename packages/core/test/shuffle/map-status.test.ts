// MapStatus, what a map task reports of its output's sizes, in both encodings (a byte per
// partition up to 2,000 partitions; above, a bitmap of the empty ones, the huge ones' sizes
// and an average). What must hold: a segment reads as empty exactly when it is (a reduce
// task skips the map outputs whose segment reads empty, so a non-empty one read as empty
// would lose records), sizes within 10% (huge ones and every one below 2,001 partitions),
// the total exact. Sizes are random and skewed (many empty, many of 1 or 2 bytes, a few
// huge), and the expectations come from the sizes themselves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HIGHLY_COMPRESSED_ABOVE,
  HUGE_FACTOR,
  MAP_STATUS_COMPRESSED,
  MAP_STATUS_HIGHLY_COMPRESSED,
  MapStatus,
  compressSize,
  decompressSize,
  encodeMapStatus,
  mapStatusTotalBytes,
  mapsWithData,
  mapsWithDataIn,
} from '../../src/shuffle/map-status.js';
import { mulberry32 } from '../support/prng.js';

/** Skewed sizes: 40% empty, 20% of 1 or 2 bytes, a few of megabytes to 10 GB, the rest up to 10 KB. */
function skewedSizes(seed: number, n: number): number[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const x = rand();
    if (x < 0.4) return 0;
    if (x < 0.6) return 1 + Math.floor(rand() * 2);
    if (x < 0.62) return Math.floor(1e6 * Math.pow(10, rand() * 4));
    return 1 + Math.floor(rand() * 10_000);
  });
}

const within10 = (kept: number, exact: number): boolean => kept >= exact / 1.1 - 0.5 && kept <= exact * 1.1 + 0.5;

test('no non-empty segment reads as empty, and every empty one does, in both encodings', () => {
  for (const n of [1, 7, 8, 9, 200, 2000, 2001, 4096, 5003]) {
    for (const seed of [1, 2, 3]) {
      const sizes = skewedSizes(seed * 1000 + n, n);
      const bytes = encodeMapStatus(sizes);
      assert.equal(bytes[0], n > HIGHLY_COMPRESSED_ABOVE ? MAP_STATUS_HIGHLY_COMPRESSED : MAP_STATUS_COMPRESSED, `encoding for ${n} partitions`);
      const s = MapStatus.decode(bytes);
      assert.equal(s.numPartitions, n);
      const bitmap = s.emptyBitmap();
      for (let r = 0; r < n; r++) {
        assert.equal(s.isEmpty(r), sizes[r] === 0, `${n} partitions, seed ${seed}: segment ${r} of ${sizes[r]} bytes`);
        assert.equal(s.size(r) > 0, sizes[r] > 0, `${n} partitions: size of segment ${r} (${sizes[r]} bytes) read as ${s.size(r)}`);
        // The bitmap, read with plain arithmetic here.
        assert.equal(bitmap !== undefined && (bitmap[Math.floor(r / 8)] >> r % 8) % 2 === 1, sizes[r] === 0, `bitmap bit ${r}`);
      }
      assert.equal(s.totalBytes, sizes.reduce((a, b) => a + b, 0), 'total bytes exact');
      assert.equal(mapStatusTotalBytes(bytes), s.totalBytes);
    }
  }
});

test('a segment of one byte, of two, and outputs whose segments are all one byte or all empty', () => {
  for (const n of [5, 3000]) {
    for (const sizes of [Array<number>(n).fill(1), Array<number>(n).fill(2), Array<number>(n).fill(0), Array.from({ length: n }, (_, r) => (r === n - 1 ? 1 : 0))]) {
      const s = MapStatus.of(sizes);
      for (let r = 0; r < n; r++) assert.equal(s.isEmpty(r), sizes[r] === 0, `${n} partitions, segment ${r} of ${sizes[r]}`);
      assert.equal(s.emptyBitmap() === undefined, !sizes.includes(0), 'a bitmap exactly when some segment is empty');
    }
  }
  // One huge segment among tiny ones (above 2,000 partitions): the tiny ones still read as non-empty.
  const sizes = Array.from({ length: 2500 }, (_, r) => (r === 7 ? 1e12 : r % 2));
  const s = MapStatus.of(sizes);
  for (let r = 0; r < sizes.length; r++) assert.equal(s.isEmpty(r), sizes[r] === 0, `segment ${r}`);
});

test('sizes within 10%: every one up to 2,000 partitions; above, the huge ones, and the rest read as their average', () => {
  for (const n of [300, 2000, 2001, 4000]) {
    const sizes = skewedSizes(n, n);
    const s = MapStatus.of(sizes);
    const nonEmpty = sizes.filter((x) => x > 0);
    const avg = nonEmpty.reduce((a, b) => a + b, 0) / nonEmpty.length;
    const rest = nonEmpty.filter((x) => !(x >= HUGE_FACTOR * avg && x > 1));
    const restAvg = Math.max(1, rest.reduce((a, b) => a + b, 0) / rest.length);
    for (let r = 0; r < n; r++) {
      if (sizes[r] === 0) assert.equal(s.size(r), 0);
      else if (n <= HIGHLY_COMPRESSED_ABOVE || sizes[r] >= HUGE_FACTOR * avg) assert.ok(within10(s.size(r), sizes[r]), `${n}: segment ${r}: ${sizes[r]} read as ${s.size(r)}`);
      else assert.ok(Math.abs(s.size(r) - restAvg) < 1e-6, `${n}: segment ${r} reads as the average ${restAvg}, got ${s.size(r)}`);
    }
  }
  // The log scale's ends: 0 only for 0, the top byte for anything past 1.1^255.
  assert.deepEqual([0, 1, 2, 3].map(compressSize), [0, 1, 8, 12]);
  assert.equal(compressSize(1e40), 255);
});

test('addSizesTo adds what size reads for every segment, in both encodings; decompressSize is 1.1^b rounded', () => {
  for (let b = 0; b < 256; b++) assert.equal(decompressSize(b), b === 0 ? 0 : Math.round(1.1 ** b), `byte ${b}`);
  for (const n of [9, 2000, 2001, 5003]) {
    const s = MapStatus.of(skewedSizes(n * 7, n));
    // Added to what is there: a stage sums its map outputs.
    const out = Float64Array.from({ length: n + 3 }, (_, r) => r);
    s.addSizesTo(out);
    for (let r = 0; r < n; r++) assert.equal(out[r], r + s.size(r), `${n} partitions: segment ${r}`);
    for (let r = n; r < n + 3; r++) assert.equal(out[r], r, `past the ${n} partitions: untouched`);
    // A shorter array: its length only.
    const short = new Float64Array(5);
    s.addSizesTo(short);
    assert.deepEqual([...short], [0, 1, 2, 3, 4].map((r) => s.size(r)));
  }
});

test('a highly compressed status is a bitmap, not a byte per partition', () => {
  const n = 20_000;
  const sizes = skewedSizes(9, n);
  assert.ok(encodeMapStatus(sizes).length < n / 4, `${encodeMapStatus(sizes).length} bytes for ${n} partitions`);
  assert.equal(encodeMapStatus(Array<number>(2000).fill(5)).length, 13 + 2000);
});

test('mapsWithData lists the map outputs whose segment is not empty', () => {
  // sizes[m][r] for 3 map outputs and 4 reduce partitions.
  const sizes = [
    [0, 4, 0, 9],
    [1, 0, 0, 2],
    [3, 3, 3, 3],
  ];
  const empties = sizes.map((row) => MapStatus.of(row).emptyBitmap() ?? null);
  assert.equal(empties[2], null);
  for (let r = 0; r < 4; r++) {
    assert.deepEqual(
      mapsWithData(empties, r),
      sizes.flatMap((row, m) => (row[r] > 0 ? [m] : [])),
      `reduce partition ${r}`,
    );
  }
});

test('mapsWithDataIn lists the map outputs with data for any partition of a range: the union of mapsWithData over it', () => {
  const n = 40;
  const empties = [0, 1, 2, 3, 4, 5].map((m) => (m === 5 ? null : MapStatus.of(skewedSizes(m + 77, n)).emptyBitmap() ?? null));
  for (const [first, count] of [[0, 1], [0, 8], [5, 3], [32, 8], [39, 1]]) {
    const union = new Set<number>();
    for (let r = first; r < first + count; r++) for (const m of mapsWithData(empties, r)) union.add(m);
    assert.deepEqual([...mapsWithDataIn(empties, first, count)], [...union].sort((a, b) => a - b), `partitions ${first}+${count}`);
  }
});

test('bad input is refused with a message naming it', () => {
  assert.throws(() => encodeMapStatus([1, -1]), /segment 1 has size -1/);
  assert.throws(() => MapStatus.decode(new Uint8Array(3)), /shorter than its 13-byte header/);
  const bad = encodeMapStatus([1, 2, 3]);
  bad[0] = 9;
  assert.throws(() => MapStatus.decode(bad), /unknown map status encoding 9/);
  assert.throws(() => MapStatus.decode(encodeMapStatus([1, 2, 3]).subarray(0, 15)), /has 15 bytes, not 16/);
});
