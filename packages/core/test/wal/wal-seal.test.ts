import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fenceFileName, readWalSeal, sealWriter } from '../../src/wal/wal-seal.js';

// A receiver placement that ended before it logged anything (a slow start under load, a
// graceful stop soon after the start) has no log directory yet: sealing it must still fence it
// and seal it empty, not fail the driver's batch (the mid-session CI's receiver-spark-suites
// failure, 'cannot fence write-ahead log writer ... ENOENT', a graceful stop that threw).
test('sealWriter fences and seals a writer whose log directory does not exist yet', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-seal-'));
  try {
    const dir = path.join(root, 'receivedData', '0');
    const seal = await sealWriter(dir, 'wabc-0-1', []);
    assert.deepEqual(seal, { segments: {} });
    assert.ok(fs.existsSync(path.join(dir, fenceFileName('wabc-0-1'))), 'the fence is written');
    assert.deepEqual(await readWalSeal(dir, 'wabc-0-1'), { segments: {} }, 'the seal is read back');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
