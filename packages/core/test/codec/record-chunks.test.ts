import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRecords, encodeRecords } from '../../src/codec/codec.js';
import { encodeRecordChunks, readCachedChunks, RECORD_CHUNK } from '../../src/codec/record-chunks.js';
import { SluiceError } from '../../src/errors.js';

/** Records of the kinds a cached RDD holds: objects, tuples, Maps, Sets, Dates, bigint, undefined, strings of two-byte characters. */
function records(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) =>
    i % 5 === 0
      ? { ip: `10.0.${i % 256}.${i % 7}`, n: i, at: new Date(1_700_000_000_000 + i), tags: new Set([i % 3, 'x']) }
      : i % 5 === 1
        ? [`k${i}`, [i, i / 3]]
        : i % 5 === 2
          ? new Map<unknown, unknown>([[i, `日本${i}`], ['u', undefined]])
          : i % 5 === 3
            ? BigInt(i) * 1_000_000_000_000n
            : `line ${i}`,
  );
}

function readAll(bytes: Uint8Array): { chunks: number[]; out: unknown[] } {
  const chunks: number[] = [];
  const out: unknown[] = [];
  readCachedChunks(bytes, (recs) => {
    chunks.push(recs.length);
    for (const r of recs) out.push(r);
  });
  return { chunks, out };
}

test('a partition of at most one chunk is stored as encodeRecords stores it, and read back as one chunk', () => {
  for (const n of [0, 1, RECORD_CHUNK]) {
    const recs = records(n);
    const bytes = encodeRecordChunks(recs);
    assert.deepEqual(bytes, encodeRecords(recs), `${n} records: the same bytes`);
    assert.deepEqual(readAll(bytes), { chunks: [n], out: recs });
  }
});

test('a larger partition is read back in order, RECORD_CHUNK records a chunk, every record equal', () => {
  const n = 2 * RECORD_CHUNK + 5;
  const recs = records(n);
  const { chunks, out } = readAll(encodeRecordChunks(recs));
  assert.deepEqual(chunks, [RECORD_CHUNK, RECORD_CHUNK, 5]);
  assert.deepEqual(out, recs);
  // A chunk size given: 6 chunks of 300 and the rest (253).
  const small = readAll(encodeRecordChunks(recs, 300));
  assert.deepEqual(small.chunks, [300, 300, 300, 300, 300, 300, n - 6 * 300]);
  assert.deepEqual(small.out, recs);
});

test('a block encodeRecords made whole (any size) reads as one chunk', () => {
  const recs = records(3 * RECORD_CHUNK);
  assert.deepEqual(readAll(encodeRecords(recs)), { chunks: [recs.length], out: recs });
  assert.deepEqual(decodeRecords(encodeRecords(recs)), recs);
});

test('a damaged chunked block is SLUICE_CORRUPT_DATA naming what is wrong, never other records', () => {
  const bytes = encodeRecordChunks(records(RECORD_CHUNK + 1));
  const truncated = bytes.subarray(0, bytes.length - 3);
  assert.throws(() => readAll(truncated), (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_CORRUPT_DATA' && /chunk 2 of 2 runs past the end/.test(err.message) && /cache it again/.test(err.message));
  const longer = Buffer.concat([bytes, Buffer.from([1, 2])]);
  assert.throws(() => readAll(longer), /2 bytes after its 2 chunks/);
  assert.throws(() => readAll(bytes.subarray(0, 3)), /no chunk count/);
});
