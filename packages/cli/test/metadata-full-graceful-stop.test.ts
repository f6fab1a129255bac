// A graceful stop while batches are held for want of a metadata checkpoint (see
// metadata-full-wal-batches.test.ts: a batch with blocks in the write-ahead log waits until a
// metadata checkpoint records it), on real processes (a `sluice driver` and 2 `sluice worker`
// processes; the reliable receiver of fixtures/stream-receiver-recovery.ts over the replayable
// TCP source, each line's number its position, the log on; `<ckpt>/metadata` alone a 1 MiB tmpfs,
// filled and kept full; the batch output skipping a batch time it wrote before). The stop waited
// for its last batch, which a held batch never lets run (no later batch asks for a metadata
// write), so the program never ended, even with space back. Now the stop does not wait for held
// batches, which do not run (a warning names them); with space back the job submitted again
// recovers them from the log: every line the source generated in exactly one batch output.
// Mounting needs root: outside CI the file skips without it; under CI it fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pollUntil } from './sluice-processes.js';
import { assertEachLineReadOnce, batchOutputs, fullDiskReceiverPaths, metadataFullReceiverFile, parseLog, recoverAndStop } from './receiver-fault-support.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches

const paths = fullDiskReceiverPaths('md-full-stop', 62, 'metadata');
const { ckpt, out, control, secret, source } = paths;

/** Whether the first job ended within 30 s of its graceful stop, with the metadata full. */
let stoppedWhileFull = false;
/** The first job's driver log, up to its stop. */
let fullLog: Record<string, unknown>[] = [];
/** Lines unread when the recovered job was stopped. */
let unread = 0;

const ready = metadataFullReceiverFile(paths, { batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY, stateBatches: 3 * CHECKPOINT_EVERY }, async ({ cluster, args, jobs, fill, release }) => {
  const { address, driver } = cluster;

  // 1. The metadata full until a batch is held, then the job stopped gracefully (control/stop).
  fill();
  await pollUntil(() => (parseLog(driver.logLines).some((r) => String(r.msg).startsWith('batch held:')) ? true : undefined), 30_000, 'a batch held');
  fs.writeFileSync(path.join(control, 'stop'), '');
  stoppedWhileFull = await pollUntil(() => (fs.existsSync(path.join(out, `done-${jobs[0]}.json`)) ? true : undefined), 30_000, 'the stopped job to end').catch(() => false);
  fullLog = parseLog(driver.logLines);

  // 2. Space back; the job submitted again on the same cluster recovers the held batches from the log.
  release();
  if (!stoppedWhileFull) await pollUntil(() => (fs.existsSync(path.join(out, `done-${jobs[0]}.json`)) ? true : undefined), 30_000, 'the stopped job to end once space is back');
  fs.rmSync(path.join(control, 'stop'));
  ({ unread } = await recoverAndStop({ address, secret, args, jobs, out, control, source, batchMs: BATCH_MS }));
  console.log(`# ${source.lines.length} lines; stopped while full: ${stoppedWhileFull}; unread at the stop: ${unread}`);
});

test('a graceful stop with batches held for want of a metadata checkpoint ends, a warning naming them', (t) => {
  if (!ready(t)) return;
  assert.equal(stoppedWhileFull, true, 'the job ended within 30 s of its graceful stop, the metadata still full');
  const left = fullLog.find((r) => String(r.msg).startsWith('graceful stop: batches held for want of a metadata checkpoint do not run'));
  assert.ok(left !== undefined, 'the warning');
  assert.equal(left.level, 40);
  assert.equal(left.dir, ckpt);
  const held = fullLog.filter((r) => String(r.msg).startsWith('batch held:')).map((r) => r.batchTime);
  assert.ok((left.batchTimes as number[]).length > 0);
  for (const t of left.batchTimes as number[]) assert.ok(held.includes(t), `batch ${t} was held`);
});

test('every line the source generated is in exactly one batch output after the recovery: none lost, none twice', (t) => {
  if (!ready(t)) return;
  assert.equal(unread, 0, 'lines never in a batch output');
  assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
});
