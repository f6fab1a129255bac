// A worker's map outputs: one block per map task (index, data), read one reduce
// partition at a time from memory and from the spilled files alike. Expected bytes are
// the frames put in, laid out here by hand (4-byte little-endian length, then the bytes).
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

function commitMap(resolver: IndexShuffleBlockResolver, m: number): void {
  const w = new MapOutputWriter(REDUCES);
  for (let r = 0; r < REDUCES; r++) for (const f of framesOf(m, r)) w.add(r, f);
  const out = w.finish();
  resolver.commit('j', 4, m, out.index, out.data);
}

test('readSegments returns each map output’s segment for one reduce partition, empty ones left out, from memory and from spilled files', () => {
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
      const read = resolver.readSegments('j', 4, r, maps);
      assert.ok(!('missing' in read));
      const want = maps.filter((m) => framesOf(m, r).length > 0).map((m) => framed(framesOf(m, r)));
      assert.deepEqual(read.segments.map((s) => Buffer.from(s)), want, `reduce partition ${r}`);
      assert.equal(read.bytes, want.reduce((n, b) => n + b.length, 0));
    }
    // A map output another attempt replaces is read as the new one, and still one block.
    commitMap(resolver, 2);
    assert.equal(blocks.stats().shuffleBlocks, 4);
    // One absent map output: named, nothing read.
    assert.deepEqual(resolver.readSegments('j', 4, 1, [0, 9, 1]), { missing: 9 });
    blocks.remove('shuffle_j_4_1');
    assert.deepEqual(resolver.readSegments('j', 4, 1, [0, 1]), { missing: 1 });
    assert.equal(blocks.stats().shuffleBlocks, 3);
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
