// freshCopy of byte views: a view over part of a larger buffer (every view a decode makes lies in
// the whole decoded payload; a small Buffer lies in Node's pool) is copied as its own bytes alone,
// while a view over all of its buffer keeps sharing that buffer's copy with other references.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { test } from 'node:test';
import { freshCopy } from '../../src/util/fresh-copy.js';

test('a view decoded from a large payload copies its own bytes, not the payload', () => {
  const decoded = v8.deserialize(v8.serialize({ pad: 'x'.repeat(200_000), key: Buffer.from('sep'), ids: new Uint16Array([7, 8, 9]), f: new Float64Array([1.5, -2]) })) as {
    key: Buffer;
    ids: Uint16Array;
    f: Float64Array;
  };
  assert.ok(decoded.key.buffer.byteLength > 100_000, 'the decoded Buffer lies in the payload (the premise)');
  const copy = freshCopy(decoded) as typeof decoded;
  assert.ok(Buffer.isBuffer(copy.key));
  assert.equal(copy.key.toString(), 'sep');
  assert.equal(copy.key.buffer.byteLength, 3, 'only the view\'s bytes copied');
  assert.ok(copy.ids instanceof Uint16Array);
  assert.deepEqual([...copy.ids], [7, 8, 9]);
  assert.equal(copy.ids.buffer.byteLength, 6);
  assert.deepEqual([...copy.f], [1.5, -2]);
  copy.key[0] = 0x53;
  copy.ids[0] = 70;
  assert.equal(decoded.key.toString(), 'sep', 'the original is left alone');
  assert.equal(decoded.ids[0], 7);
});

test('a pooled Buffer copies its bytes; views over all of one buffer keep sharing its copy', () => {
  const pooled = Buffer.from('abc');
  const whole = new ArrayBuffer(8);
  const data = { pooled, a: new Uint8Array(whole), d: new DataView(whole), raw: whole };
  const copy = freshCopy(data) as typeof data;
  assert.equal(copy.pooled.buffer.byteLength, 3);
  assert.equal(copy.pooled.toString(), 'abc');
  assert.notEqual(copy.raw, whole);
  assert.equal(copy.a.buffer, copy.raw, 'the Uint8Array over all of the buffer shares its copy');
  assert.equal(copy.d.buffer, copy.raw);
  copy.d.setUint8(2, 9);
  assert.equal(copy.a[2], 9);
  assert.equal(new Uint8Array(whole)[2], 0);
});
