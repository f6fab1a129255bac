// A worker's map outputs: one block per map task (index, data), read one reduce
// partition at a time from memory and from the spilled files alike. Expected bytes are
// the frames put in, laid out here by hand (4-byte little-endian length, then the bytes),
// each map output's non-empty segment after its map mark (a 5-byte frame: 0x4d, the map's index).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { MapOutputWriter } from '@sluice/core/internal';
import { IndexShuffleBlockResolver } from '../../src/shuffle/index-shuffle-block-resolver.js';
import { BlockManager } from '../../src/storage/block-manager.js';

const log = pino({ level: 'silent' });
const REDUCES = 6;

/** Map m's frames for reduce r: none where (m + r) % 3 === 0, else one or two of distinct bytes. */
function framesOf(m: number, r: number): Buffer[] {
  if ((m + r) % 3 === 0) return [];
  return Array.from({ length: 1 + ((m * r) % 2) }, (_, i) => Buffer.alloc(10 + m * 7 + r + i, 16 * m + r + i));
}

/** The bytes of a segment, framed by hand. */
function framed(frames: readonly Buffer[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => [Buffer.from(Uint32Array.of(f.length).buffer), f]));
}

/** A map output's segment as a read gives it: after map `m`'s mark (length 5, 0x4d, m as a u32), or nothing when empty. */
function marked(m: number, segment: Buffer): Buffer {
  if (segment.length === 0) return segment;
  const mark = Buffer.from([5, 0, 0, 0, 0x4d, 0, 0, 0, 0]);
  mark.writeUInt32LE(m, 5);
  return Buffer.concat([mark, segment]);
}

function commitMap(resolver: IndexShuffleBlockResolver, m: number): void {
  const w = new MapOutputWriter(REDUCES);
  for (let r = 0; r < REDUCES; r++) for (const f of framesOf(m, r)) w.add(r, f);
  const out = w.finish();
  resolver.commit('j', 4, m, out.index, out.data);
}

test('read returns each map output’s segment for one reduce partition back to back in one buffer of its own, empty ones adding nothing, from memory and from spilled files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-isbr-'));
  // Room for about one map output: the earlier ones spill to disk (index and data files).
  const blocks = new BlockManager({ dir, memoryLimit: 600, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  try {
    for (let m = 0; m < 4; m++) commitMap(resolver, m);
    assert.ok(blocks.stats().diskBytes > 0, 'some map outputs were spilled');
    assert.ok(blocks.stats().memoryBytes > 0, 'some map outputs stayed in memory');
    assert.equal(blocks.stats().shuffleBlocks, 4, 'one block per map output');
    for (let r = 0; r < REDUCES; r++) {
      const maps = [3, 0, 2, 1];
      const read = resolver.read('j', 4, r, maps);
      assert.ok(!('missing' in read));
      assert.deepEqual(Buffer.from(read.data), Buffer.concat(maps.map((m) => marked(m, framed(framesOf(m, r))))), `reduce partition ${r}`);
      assert.equal(read.data.buffer.byteLength, read.data.length, 'a buffer of its own (it is transferred to a task thread)');
    }
    // A map output another attempt replaces is read as the new one, and still one block.
    commitMap(resolver, 2);
    assert.equal(blocks.stats().shuffleBlocks, 4);
    // One absent map output: named, nothing read.
    assert.deepEqual(resolver.read('j', 4, 1, [0, 9, 1]), { missing: 9 });
    blocks.remove('shuffle_j_4_1');
    assert.deepEqual(resolver.read('j', 4, 1, [0, 1]), { missing: 1 });
    assert.equal(blocks.stats().shuffleBlocks, 3);
  } finally {
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the table by map number follows the block store: a replaced, spilled, removed or peer-put map output is read as the store holds it now, and a shuffle whose outputs are all gone leaves no table', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-isbr-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  /** A map output of 3 reduce partitions whose segment r is one frame of `len` bytes of value `fill + r`. */
  const output = (len: number, fill: number): { index: Uint8Array; data: Uint8Array } => {
    const w = new MapOutputWriter(3);
    for (let r = 0; r < 3; r++) w.add(r, Buffer.alloc(len, fill + r));
    return w.finish();
  };
  const expect = (len: number, fills: number[]): Buffer => framed(fills.map((f) => Buffer.alloc(len, f)));
  try {
    const a = output(10, 1);
    resolver.commit('j', 7, 0, a.index, a.data);
    const b = output(100, 50);
    resolver.commit('j', 7, 1, b.index, b.data);
    const read = (r: number, maps: number[]): Buffer => {
      const got = resolver.read('j', 7, r, maps);
      assert.ok('data' in got, JSON.stringify(got));
      return Buffer.from(got.data);
    };
    assert.deepEqual(read(2, [0, 1]), Buffer.concat([marked(0, expect(10, [3])), marked(1, expect(100, [52]))]));
    assert.equal(resolver.tableCount, 1);
    // Replaced by another attempt (other bytes): the new one.
    const a2 = output(20, 9);
    resolver.commit('j', 7, 0, a2.index, a2.data);
    assert.deepEqual(read(1, [0]), marked(0, expect(20, [10])));
    // Removed, then put by id as a decommissioning peer's copy is (not through commit): found by id.
    blocks.remove('shuffle_j_7_1');
    assert.deepEqual(resolver.read('j', 7, 0, [1]), { missing: 1 });
    const b2 = output(70, 30);
    blocks.put('shuffle_j_7_1', [b2.index, b2.data], 'MEMORY_AND_DISK');
    assert.deepEqual(read(0, [1, 0]), Buffer.concat([marked(1, expect(70, [30])), marked(0, expect(20, [9]))]));
    assert.equal(resolver.indexViews, 2, 'an index view held for each map output read in memory');
    // Spilled (a large block pushes both out of memory): read from the files.
    blocks.put('rdd_j_1_0', [Buffer.alloc(1 << 20)], 'MEMORY_AND_DISK');
    assert.ok(blocks.stats().diskBytes > 0, 'map outputs spilled');
    assert.deepEqual(read(2, [0, 1]), Buffer.concat([marked(0, expect(20, [11])), marked(1, expect(70, [32]))]));
    assert.equal(resolver.indexViews, 0, 'no index is held for map outputs read spilled');
    // Every map output gone: no table is left for the shuffle.
    blocks.removeByPrefix('shuffle_j_7_');
    assert.equal(resolver.tableCount, 0, 'the shuffle’s table is dropped with its last map output');
    assert.deepEqual(resolver.read('j', 7, 0, [0]), { missing: 0 });
    assert.equal(resolver.tableCount, 0, 'a read of nothing makes no table');
  } finally {
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an index held at any place of its buffer is read right: 4-byte aligned through its words, unaligned by bytes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-isbr-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  try {
    // Map m's index copied to byte offset 8 (aligned) or 5 or 3 (not) of a larger buffer.
    const at = [8, 5, 3];
    for (let m = 0; m < at.length; m++) {
      const w = new MapOutputWriter(REDUCES);
      for (let r = 0; r < REDUCES; r++) for (const f of framesOf(m, r)) w.add(r, f);
      const out = w.finish();
      const room = new Uint8Array(at[m] + out.index.length + 3);
      room.set(out.index, at[m]);
      resolver.commit('j', 5, m, room.subarray(at[m], at[m] + out.index.length), out.data);
    }
    for (const maps of [
      [0, 1, 2],
      [2, 0],
    ]) {
      for (let r = 0; r < REDUCES; r++) {
        const read = resolver.read('j', 5, r, maps);
        assert.ok('data' in read, JSON.stringify(read));
        assert.deepEqual(Buffer.from(read.data), Buffer.concat(maps.map((m) => marked(m, framed(framesOf(m, r))))), `reduce partition ${r} of maps ${maps}`);
      }
    }
  } finally {
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('readRange reads part of one segment, from memory (a view) or from its spilled file; a range outside the segment is an error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-isbr-'));
  const blocks = new BlockManager({ dir, memoryLimit: 100, log });
  try {
    const a = Buffer.from(Array.from({ length: 80 }, (_, i) => i));
    const b = Buffer.from(Array.from({ length: 90 }, (_, i) => 200 - i));
    blocks.put('rdd_j_1_0', [a, b], 'MEMORY_AND_DISK');
    assert.deepEqual(Buffer.from(blocks.readRange('rdd_j_1_0', 1, 5, 17)!), b.subarray(5, 17));
    blocks.put('rdd_j_1_1', [Buffer.alloc(60)], 'MEMORY_AND_DISK'); // the first block spills
    assert.equal(blocks.stats().diskBytes, 170);
    assert.deepEqual(Buffer.from(blocks.readRange('rdd_j_1_0', 0, 70, 80)!), a.subarray(70, 80));
    assert.deepEqual(Buffer.from(blocks.readRange('rdd_j_1_0', 1, 0, 90)!), b);
    assert.throws(() => blocks.readRange('rdd_j_1_1', 0, 50, 61), /no bytes \[50, 61\) in segment 0 \(60 bytes\)/);
    assert.throws(() => blocks.readRange('rdd_j_1_1', 1, 0, 1), /no such segment/);
    assert.equal(blocks.readRange('rdd_j_9_0', 0, 0, 1), undefined);
  } finally {
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('partitions read ahead answer a later request only as a read would now: left-out map outputs empty, none new, none replaced or removed; spilled ones are not read ahead', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-isbr-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  /** Map m (attempt `a`) of 20 partitions: segment r empty where (m + r) % 3 === 0, else one frame of m + r + a bytes. */
  const R = 20;
  const frame = (m: number, r: number, a: number): Buffer[] => ((m + r) % 3 === 0 ? [] : [Buffer.alloc(5 + m + r, 10 * a + m + r)]);
  const commit = (m: number, a: number): void => {
    const w = new MapOutputWriter(R);
    for (let r = 0; r < R; r++) for (const f of frame(m, r, a)) w.add(r, f);
    const out = w.finish();
    resolver.commit('j', 9, m, out.index, out.data);
  };
  const attempt = [0, 0, 0, 0, 0];
  const expect = (r: number, maps: number[]): Buffer => Buffer.concat(maps.map((m) => marked(m, framed(frame(m, r, attempt[m])))));
  const read = (r: number, maps: number[]): Buffer => {
    const got = resolver.read('j', 9, r, maps);
    assert.ok('data' in got, JSON.stringify(got));
    return Buffer.from(got.data);
  };
  try {
    for (let m = 0; m < 4; m++) commit(m, 0);
    // Partition 0 of maps 0-3 reads 1-7 ahead; each then answers from what was kept.
    assert.deepEqual(read(0, [0, 1, 2, 3]), expect(0, [0, 1, 2, 3]));
    assert.equal(resolver.readAhead.partitions, 7, 'partitions 1-7 read ahead');
    assert.deepEqual(read(1, [0, 1, 2, 3]), expect(1, [0, 1, 2, 3]));
    assert.equal(resolver.readAhead.partitions, 6, 'partition 1 answered from what was kept');
    // Partition 2 asked without map 1, whose segment for it is empty ((1 + 2) % 3 === 0): what was kept answers.
    assert.deepEqual(read(2, [0, 2, 3]), expect(2, [0, 1, 2, 3]));
    // Partition 3 asked without map 1, whose segment is not empty: the kept answer is not it (and a
    // request of some of the map outputs reads nothing ahead).
    assert.deepEqual(read(3, [0, 2, 3]), expect(3, [0, 2, 3]));
    // Partition 4 asked of a map output the read ahead did not cover (map 4, committed since: all kept is let go).
    commit(4, 0);
    assert.equal(resolver.readAhead.partitions, 0, 'a new map output lets go of what was read ahead');
    assert.deepEqual(read(4, [0, 1, 2, 3, 4]), expect(4, [0, 1, 2, 3, 4]));
    assert.equal(resolver.readAhead.partitions, 7, 'partitions 5-11 read ahead of all five');
    assert.deepEqual(read(5, [0, 1, 2, 3, 4]), expect(5, [0, 1, 2, 3, 4]));
    // A map output not held here is named missing, not answered from what was read ahead.
    assert.deepEqual(resolver.read('j', 9, 6, [0, 1, 2, 3, 4, 7]), { missing: 7 });
    // Asked without map 4, whose segment for 10 is not empty: read, not answered from what was kept.
    assert.deepEqual(read(10, [0, 1, 2, 3]), expect(10, [0, 1, 2, 3]));
    assert.deepEqual(read(11, [0, 1, 2, 3, 4]), expect(11, [0, 1, 2, 3, 4]));
    // Out of order: asked [3, 0] is not what was read ahead ([0 .. 4] in order).
    assert.deepEqual(read(12, [3, 0]), Buffer.concat([marked(3, framed(frame(3, 12, 0))), marked(0, framed(frame(0, 12, 0)))]));
    // A map output replaced by another attempt (other bytes): its new segments, not the kept ones.
    assert.deepEqual(read(13, [0, 1, 2, 3, 4]), expect(13, [0, 1, 2, 3, 4]));
    attempt[2] = 1;
    commit(2, 1);
    assert.deepEqual(read(14, [0, 1, 2, 3, 4]), expect(14, [0, 1, 2, 3, 4]));
    assert.deepEqual(read(15, [0, 1, 2, 3, 4]), expect(15, [0, 1, 2, 3, 4]));
    // Removed: the request names it missing, not what was kept.
    blocks.remove('shuffle_j_9_3');
    assert.deepEqual(resolver.read('j', 9, 16, [0, 1, 2, 3, 4]), { missing: 3 });
    assert.equal(resolver.readAhead.partitions, 0, 'a removed map output lets go of what was read ahead');
    // The last partitions: nothing read ahead past the shuffle's 20.
    assert.deepEqual(read(19, [0, 1, 2, 4]), expect(19, [0, 1, 2, 4]));
    // Spilled (a large block pushes the map outputs out of memory): read when asked, nothing ahead.
    blocks.removeByPrefix('rdd_');
    blocks.put('rdd_j_1_0', [Buffer.alloc(1 << 20)], 'MEMORY_AND_DISK');
    assert.ok(blocks.stats().diskBytes > 0, 'map outputs spilled');
    assert.deepEqual(read(17, [0, 1, 2, 4]), expect(17, [0, 1, 2, 4]));
    assert.equal(resolver.readAhead.partitions, 0, 'nothing read ahead of spilled map outputs');
    assert.deepEqual(read(18, [0, 1, 2, 4]), expect(18, [0, 1, 2, 4]));
    // Every map output gone: nothing kept is left.
    blocks.removeByPrefix('shuffle_j_9_');
    assert.deepEqual(resolver.readAhead, { partitions: 0, bytes: 0 }, 'the shuffle’s read-ahead answers go with it');
  } finally {
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
