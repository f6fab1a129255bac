// A decommissioning worker's copies (BlockMigrator) to peers that refuse or do not answer:
// a peer that answers with its store's failure (RESOURCE_EXHAUSTED: its disk full) is a
// refused copy, the unit goes to the next peer and the refusing one stays in use, said once;
// a peer that does not answer (UNAVAILABLE) is not used again. A fake ShuffleClient stands
// for the peers; the store is a real BlockManager.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { BlockManager } from '../../src/storage/block-manager.js';
import { BlockMigrator } from '../../src/storage/block-migrator.js';
import type { ShuffleClient } from '../../src/shuffle/shuffle-client.js';

const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;

function setup(units: number): { bm: BlockManager; logged: { msg: string; peer?: string }[]; log: pino.Logger } {
  const logged: { msg: string; peer?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(l) as { msg: string });
      cb();
    },
  });
  const log = pino({ level: 'warn' }, sink);
  const bm = new BlockManager({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-migrator-')), memoryLimit: 1 << 20, log });
  for (let i = 0; i < units; i++) bm.put(`input_j_0_w_${i}`, [Buffer.alloc(10, i)], 'MEMORY_AND_DISK');
  return { bm, logged, log };
}

/** Peers by address: what each answers (undefined: takes the copy). */
function fakeShuffle(answers: Record<string, { code: number; details: string } | undefined>, asked: Map<string, number>): ShuffleClient {
  return {
    putRemoteSegments: async (address: string): Promise<void> => {
      asked.set(address, (asked.get(address) ?? 0) + 1);
      await new Promise((r) => setImmediate(r));
      const err = answers[address];
      if (err) throw Object.assign(new Error(`${err.code} ${err.details}`), err);
    },
  } as unknown as ShuffleClient;
}

test('a peer refusing copies (its disk full) stays in use, said once; one not answering is dropped; every unit lands elsewhere', async () => {
  const { bm, logged, log } = setup(30);
  const asked = new Map<string, number>();
  const shuffle = fakeShuffle({ a: { code: RESOURCE_EXHAUSTED, details: 'worker cannot store block input_j_0_w_0: disk full' }, c: { code: UNAVAILABLE, details: 'connect ECONNREFUSED' } }, asked);
  const res = await new BlockMigrator(bm, shuffle, log).migrate(
    [
      { workerId: 'A', address: 'a' },
      { workerId: 'B', address: 'b' },
      { workerId: 'C', address: 'c' },
    ],
    { rddBlocks: true, shuffleBlocks: true },
  );
  assert.equal(res.failed, 0);
  assert.equal((res.blocks ?? []).length, 30);
  assert.ok((res.blocks ?? []).every((b) => b.worker_id === 'B'), 'every unit on the peer that takes them');
  // Kept in use: asked again for later units (dropped at its first refusal it would be asked
  // only for the units picked before that refusal came: at most the 12 lanes' first picks' third).
  assert.ok((asked.get('a') ?? 0) >= 10, `the refusing peer asked ${asked.get('a')} times`);
  assert.ok((asked.get('c') ?? 0) <= 4, `the silent peer asked ${asked.get('c')} times: dropped after its first failure (lanes in flight aside)`);
  const refused = logged.filter((l) => l.msg.includes('refused a decommissioning copy'));
  assert.deepEqual(refused.map((l) => l.peer), ['A'], 'the refusals said once');
  assert.ok(logged.some((l) => l.msg.includes('did not answer a decommissioning copy') && l.peer === 'C'));
  bm.close();
});

test('every peer refusing: each unit fails once every peer refused it, none waits forever', async () => {
  const { bm, log } = setup(5);
  const asked = new Map<string, number>();
  const full = { code: RESOURCE_EXHAUSTED, details: 'disk full' };
  const res = await new BlockMigrator(bm, fakeShuffle({ a: full, b: full }, asked), log).migrate(
    [
      { workerId: 'A', address: 'a' },
      { workerId: 'B', address: 'b' },
    ],
    { rddBlocks: true, shuffleBlocks: true },
  );
  assert.equal(res.failed, 5);
  assert.equal((res.blocks ?? []).length, 0);
  assert.equal((asked.get('a') ?? 0) + (asked.get('b') ?? 0), 10, 'each unit offered to each peer once');
  bm.close();
});
