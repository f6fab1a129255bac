import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { BlockManager } from '../../src/storage/block-manager.js';

const log = pino({ level: 'silent' });

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bm-'));
}

test('blocks past the memory bound spill to disk (LRU first) and read back intact', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 250, log });
  const seg = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
  bm.put('shuffle_j_0_0_0', [seg(100, 1)], 'SHUFFLE');
  bm.put('shuffle_j_0_1_0', [seg(100, 2), seg(20, 3)], 'SHUFFLE');
  bm.get('shuffle_j_0_0_0'); // touch: the second block is now least recently used
  bm.put('shuffle_j_0_2_0', [seg(100, 4)], 'SHUFFLE');
  assert.ok(bm.memoryBytes <= 250, `memory ${bm.memoryBytes}`);
  const spilled = fs.readdirSync(dir).filter((f) => f.endsWith('.seg'));
  assert.equal(spilled.length, 2, 'the LRU block (2 segments) went to disk');
  assert.deepEqual(bm.get('shuffle_j_0_1_0'), [seg(100, 2), seg(20, 3)]);
  assert.deepEqual(bm.get('shuffle_j_0_0_0'), [seg(100, 1)]);
  assert.deepEqual(bm.get('shuffle_j_0_2_0'), [seg(100, 4)]);
  bm.close();
  assert.equal(fs.existsSync(dir), false);
});

test('MEMORY_ONLY cached blocks are dropped rather than spilled; DISK_ONLY goes straight to disk', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 150, log });
  bm.put('rdd_j_1_0', [Buffer.alloc(100)], 'MEMORY_ONLY');
  bm.put('rdd_j_1_1', [Buffer.alloc(100)], 'MEMORY_ONLY');
  assert.equal(bm.has('rdd_j_1_0'), false, 'evicted: it will be recomputed from lineage');
  assert.equal(bm.has('rdd_j_1_1'), true);
  const onDisk = (): Buffer[] => fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).sort().map((f) => fs.readFileSync(path.join(dir, f)));
  assert.deepEqual(onDisk(), [], 'the evicted MEMORY_ONLY block was not written to disk');
  // DISK_ONLY: its segments are files in the block directory as soon as put returns,
  // while the memory bound is far from reached.
  bm.put('rdd_j_2_0', [Buffer.alloc(10, 7), Buffer.alloc(3, 9)], 'DISK_ONLY');
  assert.deepEqual(onDisk(), [Buffer.alloc(10, 7), Buffer.alloc(3, 9)], 'the DISK_ONLY segments are on disk');
  assert.equal(bm.memoryBytes, 100);
  assert.deepEqual(bm.get('rdd_j_2_0'), [Buffer.alloc(10, 7), Buffer.alloc(3, 9)]);
  assert.equal(bm.removeByPrefix('rdd_j_'), 2);
  assert.equal(bm.memoryBytes, 0);
  assert.deepEqual(onDisk(), [], 'removing the block deleted its files');
  bm.close();
});

test('a spill that cannot be written fails with an error naming the block and the directory', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 10, log });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.writeFileSync(dir, 'not a directory');
  try {
    assert.throws(() => bm.put('rdd_j_3_0', [Buffer.alloc(10)], 'DISK_ONLY'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SLUICE_IO');
      assert.match(e.message, /rdd_j_3_0/);
      assert.match(e.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return true;
    });
  } finally {
    fs.rmSync(dir, { force: true });
  }
});

test('a put whose room cannot be made (an older block cannot spill) throws and holds nothing of the new block', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 150, log });
  const removed: string[] = [];
  bm.onRemoved((id) => removed.push(id));
  bm.put('input_j_0_w_1', [Buffer.alloc(100, 1)], 'MEMORY_AND_DISK');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.writeFileSync(dir, 'not a directory');
  try {
    assert.throws(() => bm.put('input_j_0_w_2', [Buffer.alloc(100, 2)], 'MEMORY_AND_DISK'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SLUICE_IO');
      assert.match(e.message, /cannot spill block input_j_0_w_1 /, 'names the block that could not spill');
      assert.match(e.message, /\(to make room for block input_j_0_w_2\)/, 'and the block being stored');
      return true;
    });
    assert.equal(bm.has('input_j_0_w_2'), false, 'the block that did not fit is not held');
    assert.deepEqual(removed, ['input_j_0_w_2'], 'listeners hear it is gone');
    assert.deepEqual(bm.get('input_j_0_w_1'), [Buffer.alloc(100, 1)], 'the older block is still in memory, intact');
    assert.equal(bm.memoryBytes, 100);
    assert.equal(bm.stats().inputBlocks, 1);
  } finally {
    fs.rmSync(dir, { force: true });
  }
});

/**
 * Runs `body` with fs.writeFileSync failing the write of spill file number `failAt` (1-based,
 * among the `.seg` files under `dir`) after writing `partial` bytes of it, with `failure`;
 * with `refuseRemoval`, fs.rmSync refuses every `.seg` file there too (EACCES).
 */
function withFailingSpill(dir: string, failAt: number, partial: number, failure: (file: string) => NodeJS.ErrnoException, refuseRemoval: boolean, body: () => void): void {
  const { writeFileSync, rmSync } = fs;
  let n = 0;
  fs.writeFileSync = ((file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions) => {
    if (typeof file !== 'string' || !file.startsWith(dir + path.sep) || !file.endsWith('.seg') || ++n !== failAt) return writeFileSync(file, data, options);
    writeFileSync(file, (data as Buffer).subarray(0, partial));
    throw failure(file);
  }) as typeof fs.writeFileSync;
  if (refuseRemoval) {
    fs.rmSync = ((file: fs.PathLike, options?: fs.RmOptions) => {
      if (String(file).startsWith(dir + path.sep) && String(file).endsWith('.seg')) throw errno('EACCES', 'unlink', String(file));
      return rmSync(file, options);
    }) as typeof fs.rmSync;
  }
  try {
    body();
  } finally {
    fs.writeFileSync = writeFileSync;
    fs.rmSync = rmSync;
  }
}

function errno(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'permission denied';
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${file}'`), { code, syscall, path: file });
}

test('a spill the disk cuts short in its second file leaves none of its files behind', () => {
  // A full disk takes part of a segment's file and refuses the rest: the part written goes
  // with the block's earlier files (it was left there, taking space on the full disk).
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 1000, log });
  try {
    withFailingSpill(dir, 2, 7, (f) => errno('ENOSPC', 'write', f), false, () => {
      assert.throws(() => bm.put('rdd_j_4_0', [Buffer.alloc(10, 1), Buffer.alloc(20, 2)], 'DISK_ONLY'), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'SLUICE_DISK_FULL', e.message);
        assert.ok(e.message.startsWith(`disk full: cannot write `), e.message);
        return true;
      });
    });
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')), [], "neither the first file nor the second's 7 bytes are left");
    assert.equal(bm.has('rdd_j_4_0'), false);
  } finally {
    bm.close();
  }
});

test("a spill refused in its second file reports that refusal and its fix, though the first file cannot be removed either", () => {
  // The local directory made read-only while a block spills: the second file's open is
  // refused, and so is the removal of the first. The open's error, with the not-writable fix,
  // is what the user acts on, not the clean-up's 'unlink' (which escaped the catch raw).
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 1000, log });
  try {
    withFailingSpill(dir, 2, 0, (f) => errno('EACCES', 'open', f), true, () => {
      assert.throws(() => bm.put('rdd_j_5_0', [Buffer.alloc(10, 1), Buffer.alloc(20, 2)], 'DISK_ONLY'), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'SLUICE_IO', e.message);
        assert.ok(e.message.startsWith(`cannot spill block rdd_j_5_0 to '${dir}': EACCES: permission denied, open '${path.join(dir, '2.seg')}'. `), e.message);
        assert.ok(e.message.includes(`'${dir}' is not writable by user `), e.message);
        assert.doesNotMatch(e.message, /unlink/);
        return true;
      });
    });
  } finally {
    bm.close();
  }
});

test("a spilled block whose files cannot be removed is removed all the same: no error, listeners told, bytes uncounted", (t) => {
  // The local directory made read-only: removing a spilled block (a failed task's cached
  // partitions, in the executor's finally) threw the 'unlink' error, which replaced the task's
  // own, and left the block forgotten here with its listeners (the driver's block locations) untold.
  const dir = tmp();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bm = new BlockManager({ dir, memoryLimit: 1000, log });
  const removed: string[] = [];
  bm.onRemoved((id) => removed.push(id));
  bm.put('rdd_j_6_0', [Buffer.alloc(10, 1), Buffer.alloc(20, 2)], 'DISK_ONLY');
  assert.equal(bm.stats().diskBytes, 30);
  const { rmSync } = fs;
  fs.rmSync = ((p: fs.PathLike, options?: fs.RmOptions) => {
    if (String(p).startsWith(dir + path.sep) && String(p).endsWith('.seg')) throw errno('EACCES', 'unlink', String(p));
    rmSync(p, options);
  }) as typeof fs.rmSync;
  try {
    assert.equal(bm.remove('rdd_j_6_0'), true);
  } finally {
    fs.rmSync = rmSync;
  }
  try {
    assert.deepEqual(removed, ['rdd_j_6_0'], 'listeners hear it is gone');
    assert.equal(bm.has('rdd_j_6_0'), false);
    assert.equal(bm.stats().diskBytes, 0);
    assert.equal(bm.stats().rddBlocks, 0);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 2, 'its files are left');
  } finally {
    bm.close();
  }
  assert.equal(fs.existsSync(dir), false, 'close removes what was left');
});

test('bytesSpilled counts the bytes of blocks moved to disk for room, not a DISK_ONLY block\'s own write nor a MEMORY_ONLY one dropped', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 250, log });
  bm.put('rdd_j_0_0', [Buffer.alloc(100)], 'MEMORY_AND_DISK');
  bm.put('rdd_j_1_0', [Buffer.alloc(70)], 'MEMORY_ONLY');
  assert.equal(bm.bytesSpilled, 0);
  bm.put('rdd_j_2_0', [Buffer.alloc(40)], 'DISK_ONLY');
  assert.equal(bm.bytesSpilled, 0, 'a DISK_ONLY block is written, not spilled');
  bm.put('shuffle_j_0_0_0', [Buffer.alloc(30), Buffer.alloc(60)], 'SHUFFLE'); // 260 bytes: the oldest (100) spills
  assert.equal(bm.bytesSpilled, 100);
  bm.put('shuffle_j_0_1_0', [Buffer.alloc(200)], 'SHUFFLE'); // the MEMORY_ONLY one (70) is dropped, the older map output (90) spills
  assert.equal(bm.bytesSpilled, 190);
  const onDisk = fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).size).sort((a, b) => a - b);
  assert.deepEqual(onDisk, [30, 40, 60, 100], 'the files: the DISK_ONLY block and the two spilled');
  bm.remove('rdd_j_0_0');
  assert.equal(bm.bytesSpilled, 190, 'it never goes down');
  bm.close();
});

test('stats count blocks by kind and bytes in memory and on disk, and drop as blocks are removed', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 250, log });
  bm.put('input_j_0_w_a_0', [Buffer.alloc(100)], 'MEMORY_AND_DISK');
  bm.put('input_j_0_w_a_1', [Buffer.alloc(100)], 'MEMORY_AND_DISK');
  bm.put('shuffle_j_0_0_0', [Buffer.alloc(100)], 'SHUFFLE'); // 300 bytes: the oldest input block spills
  bm.put('shuffle_j_0_1', [Buffer.alloc(1)], 'SHUFFLE');
  bm.put('rdd_j_1_0', [Buffer.alloc(10)], 'DISK_ONLY');
  assert.deepEqual(bm.stats(), { inputBlocks: 2, shuffleBlocks: 2, rddBlocks: 1, memoryBytes: 201, diskBytes: 110, memoryLimitBytes: 250 });
  assert.equal(bm.removeByPrefix('input_j_'), 2);
  bm.remove('shuffle_j_0_0_0');
  assert.deepEqual(bm.stats(), { inputBlocks: 0, shuffleBlocks: 1, rddBlocks: 1, memoryBytes: 1, diskBytes: 10, memoryLimitBytes: 250 });
  bm.close();
});

test('decoded copies of cached blocks are counted in memory, dropped before any block is spilled or evicted, and dropped with their block', () => {
  const dir = tmp();
  const bm = new BlockManager({ dir, memoryLimit: 1000, log });
  const dropped: string[] = [];
  bm.onDecodedDropped((id, holder) => dropped.push(`${id}@${(holder as { name: string }).name}`));
  const t1 = { name: 't1' };
  const t2 = { name: 't2' };
  bm.put('rdd_j_1_0', [Buffer.alloc(100)], 'MEMORY_AND_DISK');
  bm.put('rdd_j_1_1', [Buffer.alloc(100)], 'MEMORY_ONLY');
  assert.equal(bm.holdDecoded('rdd_j_1_0', t1, 300), true);
  assert.equal(bm.holdDecoded('rdd_j_1_1', t1, 200), true);
  assert.equal(bm.holdDecoded('rdd_j_1_1', t2, 200), true, 'a second thread\'s copy of the same block');
  // 100 + 100 bytes of blocks, 300 + 200 + 200 decoded.
  assert.equal(bm.stats().memoryBytes, 900);
  assert.equal(bm.memoryBytes, 200, 'memoryBytes is the blocks\' bytes alone');
  assert.equal(bm.holdDecoded('rdd_j_9_9', t1, 10), false, 'no such block');
  assert.equal(bm.holdDecoded('rdd_j_1_0', t2, 2000), false, 'more than the whole limit: refused');
  assert.deepEqual(dropped, [], 'a refused copy drops none of the others when it cannot fit anyway');

  // A block that needs room: the copies go first, the least recently kept first, and no block moves.
  bm.put('rdd_j_2_0', [Buffer.alloc(200)], 'MEMORY_AND_DISK');
  assert.deepEqual(dropped, ['rdd_j_1_0@t1'], 'the oldest copy (300 bytes) made the room');
  assert.equal(bm.stats().memoryBytes, 800);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')), [], 'nothing spilled');
  assert.equal(bm.has('rdd_j_1_1'), true);

  // A copy that needs room takes it from other copies, never from blocks.
  assert.equal(bm.holdDecoded('rdd_j_2_0', t1, 500), true);
  assert.deepEqual(dropped, ['rdd_j_1_0@t1', 'rdd_j_1_1@t1', 'rdd_j_1_1@t2']);
  assert.equal(bm.stats().memoryBytes, 900);

  // Blocks past the limit: every copy goes, then blocks spill or are evicted as before.
  bm.put('rdd_j_3_0', [Buffer.alloc(700)], 'MEMORY_AND_DISK');
  assert.deepEqual(dropped.slice(3), ['rdd_j_2_0@t1']);
  assert.ok(bm.stats().memoryBytes <= 1000, `memory ${bm.stats().memoryBytes}`);
  assert.equal(bm.stats().memoryBytes, bm.memoryBytes, 'no copy counted any more');
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 1, 'then the least recently used block spilled (rdd_j_1_0)');
  assert.equal(bm.holdDecoded('rdd_j_1_0', t1, 10), false, 'a spilled block is not kept decoded');

  // A removed block's copies are dropped with it; a released one is no longer counted, and not told.
  bm.remove('rdd_j_1_1');
  assert.equal(bm.holdDecoded('rdd_j_3_0', t2, 100), true);
  bm.remove('rdd_j_3_0');
  assert.deepEqual(dropped.slice(4), ['rdd_j_3_0@t2']);
  bm.put('rdd_j_4_0', [Buffer.alloc(10)], 'MEMORY_ONLY');
  assert.equal(bm.holdDecoded('rdd_j_4_0', t1, 50), true);
  const before = bm.stats().memoryBytes;
  bm.releaseDecoded('rdd_j_4_0', t1);
  assert.equal(bm.stats().memoryBytes, before - 50);
  assert.equal(dropped.length, 5);
  // A spilled block is not kept decoded.
  bm.put('rdd_j_5_0', [Buffer.alloc(10)], 'DISK_ONLY');
  assert.equal(bm.holdDecoded('rdd_j_5_0', t1, 10), false);
  bm.close();
});
