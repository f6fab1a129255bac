// A checkpointed partition's bytes (checkpoint-part.ts): a whole part reads back as its
// records; one truncated or changed after it was written is named as damaged instead of
// being deserialized; a part written before the header existed still reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointPartDamage, decodeCheckpointPart, encodeCheckpointPart } from '../../src/checkpoint/checkpoint-part.js';
import { encodeRecords } from '../../src/codec/codec.js';

const records: unknown[] = [
  ['k1', 3],
  ['a key of some length', new Map([['x', 1n]])],
  ['k2', { when: new Date(5), list: [1, 2, 3] }],
];

test('a whole part reads back as its records; an empty partition too', () => {
  const data = encodeCheckpointPart(records);
  assert.equal(checkpointPartDamage(data), undefined);
  assert.deepEqual(decodeCheckpointPart(data), records);
  assert.deepEqual(decodeCheckpointPart(encodeCheckpointPart([])), []);
});

test('a part truncated anywhere, or with any one byte of its records changed, is damaged, and says how', () => {
  const data = encodeCheckpointPart(records);
  for (let n = 0; n < data.length; n++) {
    const cut = data.subarray(0, n);
    if (n < 4) continue; // too short to carry the header's magic: read as an older part (and fails to decode)
    assert.match(checkpointPartDamage(cut) ?? '', /^truncated/, `cut at ${n}`);
    assert.throws(() => decodeCheckpointPart(cut), /the file is damaged \(truncated/);
  }
  for (let at = 16; at < data.length; at++) {
    const changed = Buffer.from(data);
    changed[at] ^= 0x01;
    assert.match(checkpointPartDamage(changed) ?? '', /^changed after it was written: CRC [0-9a-f]+ differs from the stored [0-9a-f]+$/, `byte ${at}`);
    assert.throws(() => decodeCheckpointPart(changed), /the file is damaged \(changed after it was written/);
  }
});

test('a part written before the header (the records alone) still reads; one that does not decode is named damaged', () => {
  const old = encodeRecords(records);
  assert.equal(checkpointPartDamage(old), undefined);
  assert.deepEqual(decodeCheckpointPart(old), records);
  assert.throws(() => decodeCheckpointPart(old.subarray(0, old.length - 3)), /the file is damaged \(its records cannot be decoded: /);
});
