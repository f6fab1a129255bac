// BlockBufferPool and the BlockManager's use of it: a replica's pieces joined into reused
// memory, which goes back to the pool only when the block is dropped and nothing but a
// synchronous borrower ever saw it. Every check compares bytes against copies made here
// before the pool could touch them, so a buffer reused too early shows as changed bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { BlockBufferPool } from '../../src/storage/block-buffer-pool.js';
import { BlockManager } from '../../src/storage/block-manager.js';

const log = pino({ level: 'silent' });
const MB = 1024 * 1024;

/** `size` bytes of `fill`, cut into 64 KiB pieces as a replica comes in. */
function pieces(size: number, fill: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < size; at += 65536) out.push(Buffer.alloc(Math.min(65536, size - at), fill));
  return out;
}

function manager(memoryLimit = 256 * MB): { bm: BlockManager; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pool-'));
  return { bm: new BlockManager({ dir, memoryLimit, log, pool: new BlockBufferPool(256 * 1024, 64 * MB, 60_000) }), dir };
}

test('a joined buffer holds the parts; memory given back serves the next join of about its size, and only then', () => {
  const pool = new BlockBufferPool(256 * 1024, 64 * MB, 60_000);
  const a = pool.join(pieces(6 * MB, 1), 6 * MB);
  assert.ok(a.equals(Buffer.alloc(6 * MB, 1)));
  const b = pool.join(pieces(6 * MB, 2), 6 * MB);
  assert.notEqual(b.buffer, a.buffer, 'a buffer still lent served another join');
  assert.ok(a.equals(Buffer.alloc(6 * MB, 1)), 'the first join changed');
  pool.giveBack(a);
  assert.equal(pool.freeBytes, a.buffer.byteLength);
  const c = pool.join(pieces(6 * MB - 1000, 3), 6 * MB - 1000);
  assert.equal(c.buffer, a.buffer, 'the memory given back was not reused');
  assert.equal(c.length, 6 * MB - 1000);
  assert.ok(c.equals(Buffer.alloc(6 * MB - 1000, 3)));
  assert.ok(b.equals(Buffer.alloc(6 * MB, 2)), 'a lent buffer changed');
  assert.deepEqual([pool.allocated, pool.reused], [2, 1]);
  // A second giveBack of one view, a view never lent, a sub-view, a small join: ignored.
  pool.giveBack(c);
  pool.giveBack(c);
  pool.giveBack(Buffer.alloc(MB));
  pool.giveBack(b.subarray(0, 10));
  const small = pool.join(pieces(1000, 4), 1000);
  pool.giveBack(small);
  assert.equal(pool.freeBytes, c.buffer.byteLength, 'only c\'s memory is free');
  // A block much smaller than a free buffer gets one of its own (at most twice its size).
  const d = pool.join(pieces(MB, 5), MB);
  assert.notEqual(d.buffer, c.buffer);
  // A free buffer smaller than a join is not used for it.
  pool.clear();
  pool.giveBack(d);
  const e = pool.join(pieces(1_250_000, 6), 1_250_000);
  assert.notEqual(e.buffer, d.buffer);
  assert.ok(e.equals(Buffer.alloc(1_250_000, 6)));
  pool.clear();
  assert.equal(pool.freeBytes, 0);
});

test('a forgotten view is never reused; free memory is bounded and dropped when idle', async () => {
  const pool = new BlockBufferPool(256 * 1024, 16 * MB, 100);
  const dropped: number[] = [];
  pool.onDropped = (bytes) => dropped.push(bytes);
  const a = pool.join(pieces(4 * MB, 1), 4 * MB);
  pool.forget(a);
  pool.giveBack(a);
  assert.equal(pool.freeBytes, 0, 'a forgotten view went back to the free list');
  const lent = [1, 2, 3, 4, 5].map((i) => pool.join(pieces(4 * MB, i), 4 * MB));
  for (const v of lent) pool.giveBack(v);
  assert.ok(pool.freeBytes <= 16 * MB, `free ${pool.freeBytes} bytes`);
  assert.ok(pool.freeBytes > 8 * MB);
  const held = pool.freeBytes;
  assert.deepEqual(dropped, [], 'onDropped was called while the free list was kept');
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(pool.freeBytes, 0, 'the free list was kept while no join came');
  // Its drop is told once, with the bytes it held (the worker then collects them soon); an
  // empty list dropped again is not.
  assert.deepEqual(dropped, [held]);
  pool.clear();
  assert.deepEqual(dropped, [held]);
});

test('BlockManager: a joined block removed or spilled gives its memory back; one handed out by get, handle or readRange does not', () => {
  const { bm, dir } = manager();
  const reuses = (): boolean => {
    const before = bm.pool.reused;
    const probe = bm.join(pieces(6 * MB, 0xee), 6 * MB);
    bm.pool.giveBack(probe);
    return bm.pool.reused > before;
  };
  // Removed after a borrow (the task's read): reused.
  bm.put('input_j_0_w_1', [bm.join(pieces(6 * MB, 1), 6 * MB)], 'MEMORY_AND_DISK');
  assert.ok(Buffer.from(bm.borrow('input_j_0_w_1')![0]).equals(Buffer.alloc(6 * MB, 1)));
  bm.remove('input_j_0_w_1');
  assert.ok(reuses(), 'a removed block\'s memory was not reused');
  bm.pool.clear();
  // Handed out by get (a GetBlock answer, a migration), by handle, by readRange: the holder keeps intact bytes.
  const kept: [string, () => Uint8Array][] = [
    ['get', () => bm.get('input_j_0_w_2')![0]],
    ['handle', () => bm.handle('input_j_0_w_2')!.segments![0]],
    ['readRange', () => bm.readRange('input_j_0_w_2', 0, 0, 6 * MB)!],
  ];
  for (const [how, take] of kept) {
    bm.put('input_j_0_w_2', [bm.join(pieces(6 * MB, 2), 6 * MB)], 'MEMORY_AND_DISK');
    const held = take();
    bm.remove('input_j_0_w_2');
    assert.ok(!reuses(), `memory handed out by ${how} was reused`);
    assert.ok(Buffer.from(held).equals(Buffer.alloc(6 * MB, 2)), `the bytes ${how} gave changed`);
    bm.pool.clear();
  }
  // Replaced by a new version: the old one's memory is reused, the new one's bytes stay.
  bm.put('input_j_0_w_3', [bm.join(pieces(6 * MB, 3), 6 * MB)], 'MEMORY_AND_DISK');
  bm.put('input_j_0_w_3', [bm.join(pieces(6 * MB, 4), 6 * MB)], 'MEMORY_AND_DISK');
  assert.ok(reuses());
  assert.ok(Buffer.from(bm.get('input_j_0_w_3')![0]).equals(Buffer.alloc(6 * MB, 4)));
  bm.close();
  // Spilled: written out, then the memory reused; read back from its file intact.
  const small = manager(10 * MB);
  small.bm.put('input_j_0_w_4', [small.bm.join(pieces(6 * MB, 5), 6 * MB)], 'MEMORY_AND_DISK');
  small.bm.put('input_j_0_w_5', [small.bm.join(pieces(6 * MB, 6), 6 * MB)], 'MEMORY_AND_DISK');
  assert.equal(small.bm.pool.freeBytes > 0, true, 'the spilled block\'s memory was not given back');
  small.bm.put('input_j_0_w_6', [small.bm.join(pieces(6 * MB, 7), 6 * MB)], 'MEMORY_AND_DISK');
  assert.equal(small.bm.pool.reused, 1);
  for (const [id, fill] of [['input_j_0_w_4', 5], ['input_j_0_w_5', 6], ['input_j_0_w_6', 7]] as const) {
    assert.ok(Buffer.from(small.bm.get(id)![0]).equals(Buffer.alloc(6 * MB, fill)), `${id} changed`);
  }
  small.bm.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
