// MetadataStore over a local checkpoint directory whose deletes are refused for want of
// permission (EACCES), as when the directory is made read-only just after a checkpoint's write, or
// with an object store's error that carries no errno (S3's AccessDenied):
// the checkpoint is written all the same (found by checkpoint-read-only: a written checkpoint was
// taken for one not written), the older ones stay, and a write once deletes succeed removes them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openCheckpointStore } from '../../src/checkpoint/checkpoint-store-registry.js';
import type { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { MetadataStore } from '../../src/checkpoint/metadata-store.js';
import type { StreamingMetadata } from '../../src/checkpoint/streaming-metadata.js';

const md = (batchTime: number): StreamingMetadata => ({
  version: 2,
  reason: 'completed',
  batchTime,
  fingerprint: { streams: [] } as unknown as StreamingMetadata['fingerprint'],
  zeroTime: 0,
  batchIntervalMs: 1000,
  pendingRuns: [],
  nextBatchTime: batchTime + 1000,
  inputs: {},
  stateCheckpoints: {},
});

test("older metadata checkpoints that cannot be deleted (no permission, an object store's AccessDenied): the write stands, they are deleted by a later write", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-metadata-store-'));
  try {
    const local = openCheckpointStore(dir);
    let refuse: 'no' | 'errno' | 'object store' = 'no';
    const store: CheckpointStore = Object.assign(Object.create(local) as CheckpointStore, {
      delete: async (keys: readonly string[]): Promise<void> => {
        if (refuse === 'errno' && keys.length > 0) throw Object.assign(new Error(`EACCES: permission denied, unlink '${keys[0]}'`), { code: 'EACCES' });
        // An object store's refusal carries no errno: S3's AccessDenied for a policy without s3:DeleteObject.
        if (refuse === 'object store' && keys.length > 0) throw Object.assign(new Error(`cannot delete checkpoint object '${keys[0]}': AccessDenied: Access Denied`), { name: 'AccessDenied' });
        return local.delete(keys);
      },
    });
    const ms = new MetadataStore(store, 2);
    const files = (): string[] => fs.readdirSync(path.join(dir, 'metadata')).sort();
    await ms.write(md(1000));
    await ms.write(md(2000));
    refuse = 'errno';
    const w = await ms.write(md(3000));
    assert.match(w.notDeleted?.message ?? '', /EACCES/);
    assert.deepEqual(files(), ['checkpoint-000000000001', 'checkpoint-000000000002', 'checkpoint-000000000003'], 'written, the oldest kept');
    assert.equal((await ms.readLatest())?.metadata.batchTime, 3000);
    refuse = 'object store';
    const denied = await ms.write(md(4000));
    assert.match(denied.notDeleted?.message ?? '', /AccessDenied/);
    assert.deepEqual(files(), ['checkpoint-000000000001', 'checkpoint-000000000002', 'checkpoint-000000000003', 'checkpoint-000000000004'], 'written though no errno says why the deletes failed');
    assert.equal((await ms.readLatest())?.metadata.batchTime, 4000);
    refuse = 'no';
    const next = await ms.write(md(5000));
    assert.equal(next.notDeleted, undefined);
    assert.deepEqual(files(), ['checkpoint-000000000004', 'checkpoint-000000000005'], 'the older ones deleted by the next write');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
