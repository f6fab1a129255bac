// rawSocketStream's framing, as Spark's RawNetworkReceiver reads it: a 4-byte big-endian
// length, then that many bytes. Frames are built here with Buffer.writeUInt32BE, not with
// the code under test, and cut into chunks at every position.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawBlockSplitter } from '../../src/receiver/raw-block-splitter.js';
import { mulberry32 } from '../support/prng.js';

function frame(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length, 0);
  return Buffer.concat([h, payload]);
}

const PAYLOADS = [Buffer.from('first'), Buffer.alloc(0), Buffer.from([0, 1, 2, 255]), Buffer.from('x'.repeat(300))];
const STREAM = Buffer.concat(PAYLOADS.map(frame));

function cut(chunks: readonly Buffer[], max = 1 << 20): { payloads: string[]; unfinished: unknown } {
  const s = new RawBlockSplitter(max);
  const payloads: string[] = [];
  for (const c of chunks) for (const p of s.push(c)) payloads.push(p.toString('hex'));
  return { payloads, unfinished: s.unfinished() };
}

test('every split of the stream into two and three chunks gives the same blocks', () => {
  const expected = PAYLOADS.map((p) => p.toString('hex'));
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(cut([STREAM.subarray(0, i), STREAM.subarray(i)]), { payloads: expected, unfinished: undefined }, `split at ${i}`);
  }
  const rand = mulberry32(7);
  for (let n = 0; n < 500; n++) {
    const i = Math.floor(rand() * (STREAM.length + 1));
    const j = i + Math.floor(rand() * (STREAM.length + 1 - i));
    assert.deepEqual(cut([STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)]).payloads, expected, `split at ${i}, ${j}`);
  }
  // One byte at a time.
  assert.deepEqual(cut([...STREAM].map((b) => Buffer.from([b]))).payloads, expected);
});

test('a stream that ends inside a header or a payload says how much of the block was read', () => {
  const whole = frame(Buffer.from('abcdef'));
  assert.deepEqual(cut([whole.subarray(0, 2)]).unfinished, { read: 2, of: 4 });
  assert.deepEqual(cut([whole.subarray(0, 7)]).unfinished, { read: 3, of: 6 });
  assert.equal(cut([whole]).unfinished, undefined);
});

test('a length over the limit is refused, naming the block and the format', () => {
  const s = new RawBlockSplitter(10);
  assert.deepEqual(s.push(frame(Buffer.from('0123456789'))).length, 1, 'a block of exactly the limit is read');
  assert.throws(() => s.push(frame(Buffer.from('0123456789A'))), /block 1 announces 11 bytes, over the 10-byte limit: .*4-byte big-endian length/);
});
