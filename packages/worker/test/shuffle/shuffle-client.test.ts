// ShuffleClient on this worker's own map outputs (no RPC): it reads only the map outputs
// it is given (the driver leaves out those with an empty segment), and a missing one it
// is asked for is a fetch failure naming it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { MapOutputWriter, placesOf, splitFrames } from '@sluice/core/internal';
import { IndexShuffleBlockResolver } from '../../src/shuffle/index-shuffle-block-resolver.js';
import { ShuffleClient } from '../../src/shuffle/shuffle-client.js';
import { BlockManager } from '../../src/storage/block-manager.js';

const log = pino({ level: 'silent' });

test('local fetch: only the map outputs asked for, in order, as one buffer of frames of its own; a missing one asked for fails the fetch', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sc-'));
  const blocks = new BlockManager({ dir, memoryLimit: 1 << 20, log });
  const resolver = new IndexShuffleBlockResolver(blocks);
  const client = new ShuffleClient('w1', resolver, { secret: 'x'.repeat(32) }, log);
  try {
    // Map outputs 1..3 of shuffle 2 are here (map 0's is not); each writes byte m + 10 * r to reduce partitions 0..2.
    for (let m = 1; m <= 3; m++) {
      const w = new MapOutputWriter(3);
      for (let r = 0; r < 3; r++) w.add(r, Uint8Array.of(m + 10 * r));
      const out = w.finish();
      resolver.commit('j', 2, m, out.index, out.data);
    }
    const here = { workerId: 'w1', address: '127.0.0.1:1' };
    const locations = placesOf([here, here, here, here]);
    const got = await client.fetch('j', 2, 1, locations, [3, 1]);
    assert.ok(got.ok);
    assert.equal(got.framed.length, 1);
    assert.deepEqual(splitFrames(got.framed[0]).map((f) => [...f]), [[13], [11]]);
    assert.equal(got.framed[0].buffer.byteLength, got.framed[0].length, 'a buffer of its own (it is transferred to the task thread)');
    // Without a list, every map output is asked for: map 0's is missing.
    const all = await client.fetch('j', 2, 1, locations);
    assert.deepEqual(all, { ok: false, mapPartition: 0, workerId: 'w1', message: 'map output 0 of shuffle 2 is no longer on this worker' });
    // An empty list asks nobody.
    assert.deepEqual(await client.fetch('j', 2, 1, locations, []), { ok: true, framed: [] });
  } finally {
    client.close();
    blocks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
