// Metadata checkpoints refused for want of space while a receiver with the write-ahead log on
// receives nothing, then receives again: the empty batches of the quiet spell, on real
// processes (a `sluice driver` and 2 `sluice worker` processes on loopback; the reliable
// receiver of fixtures/stream-receiver-recovery.ts over the test's replayable TCP source, each
// line's number its position, the log on). Only `<ckpt>/metadata` is a small tmpfs, filled and
// kept full; the log has room. The batch output skips a batch time it wrote before
// (control/skip-committed: the marker pattern, as saveToPostgres's markers).
//
// walloss2 held a receiver's batch with logged blocks until a metadata checkpoint records it;
// one without blocks still ran unrecorded, its output committing an empty batch time. A
// recovery from the metadata before it makes that batch time again and gives it every logged
// block no recorded batch took (those of the batches held after it): the output skipped it, and
// those lines were in no output (found 2026-12-07 by this test before the fix). Now every batch
// of a receiver stream with the log on waits until a metadata checkpoint records it.
//
// The source stops, every line read, the metadata filled for 5 batch intervals (empty
// batches, one's metadata refused at least), the source goes on for 4 more (batches with blocks), then the
// driver and workers are killed with -9, space freed, the cluster started again and the job
// submitted again: every line the source generated must be in exactly one batch's output.
// Mounting needs root: outside CI the file skips without it; under CI it fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep } from './harness.js';
import { newestMetadata } from './recovery-support.js';
import { assertEachLineReadOnce, batchOutputs, fullDiskReceiverPaths, killAll, metadataFullReceiverFile, parseLog, recoverAndStop, restartReceiverCluster, unreadAfter, untilGeneratedRefused } from './receiver-fault-support.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches

const paths = fullDiskReceiverPaths('md-full-empty', 67, 'metadata');
const { mount: metadataDir, out, control, secret, procs, source } = paths;

/** The first job's driver log, up to the kill. */
let fullLog: Record<string, unknown>[] = [];
/** Batch outputs written up to the kill of batch times the newest metadata file does not record, with their line counts. */
let unrecordedOutputs: [number, number][] = [];
/** Lines unread when the recovered job was stopped (none when every line was read). */
let unread = 0;

/** The first batch time the newest complete metadata file does not record (it records every batch generated before). */
function firstUnrecorded(): number {
  return (newestMetadata<{ nextBatchTime: number }>(metadataDir) ?? assert.fail(`no metadata file in ${metadataDir}`)).nextBatchTime;
}

const ready = metadataFullReceiverFile(paths, { batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY, stateBatches: 2 * CHECKPOINT_EVERY }, async ({ cluster, args, jobs, fill, release }) => {
  const { address, driver, workers } = cluster;

  // 1. The source quiet, every line read: the batches from now are empty.
  source.stop();
  assert.equal(await unreadAfter(out, source.lines, 30_000), 0, 'every line read before the metadata fills');
  await sleep(2 * BATCH_MS);

  // 2. The metadata directory full (and kept full) for 5 empty batch intervals, and until the
  // metadata of a batch generated was refused (a condition: at load 35 none may be generated
  // in 2.5 s), then lines again for 4.
  fill();
  await untilGeneratedRefused(driver, Date.now(), 5, BATCH_MS);
  source.start(10, 25);
  await sleep(4 * BATCH_MS);
  source.stop();
  fullLog = parseLog(driver.logLines);

  // 3. Killed -9 with the metadata still full, then space back, the cluster started again on
  // the same port and the job submitted again: it recovers from the newest metadata written.
  await killAll([driver, ...workers]);
  // What the recovery reads, read once no process can write: the newest metadata file, and
  // every output a batch it does not record wrote (read 1 s after the fill before, the newest
  // file could be older than one under way then that landed later, under load).
  const unrecordedFrom = firstUnrecorded();
  unrecordedOutputs = [...batchOutputs<string[]>(out, 'input')].filter(([t]) => t >= unrecordedFrom).map(([t, ls]): [number, number] => [t, ls.length]).sort((a, b) => a[0] - b[0]);
  release();
  await restartReceiverCluster(cluster, secret, procs);
  ({ unread } = await recoverAndStop({ address, secret, args, jobs, out, control, source, batchMs: BATCH_MS }));
  console.log(`# ${source.lines.length} lines; batch outputs written while the metadata was full: ${JSON.stringify(unrecordedOutputs)}; unread at the stop: ${unread}`);
});

test('an empty batch of a receiver with the log on is held while no metadata checkpoint records it; none runs its output unrecorded', (t) => {
  if (!ready(t)) return;
  const refused = fullLog.filter((r) => r.code === 'SLUICE_DISK_FULL' && String(r.msg).startsWith('metadata checkpoint not written'));
  assert.ok(refused.length > 0, 'metadata checkpoints were refused');
  assert.ok(fullLog.some((r) => String(r.msg).startsWith('batch held: ')), 'a held batch is named');
  // What the user reads in the driver's log says what happens: each refused write of a batch
  // generated names it held (or generation paused), never "the stream goes on".
  for (const r of refused) {
    const msg = String(r.msg);
    assert.ok(!msg.includes('the stream goes on'), msg);
    if (r.reason === 'generated') assert.match(msg, new RegExp(`^metadata checkpoint not written; (batch ${String(r.batchTime)} is held, no output running for it, until a metadata checkpoint records its input|batch generation is paused: \\d+ batches are held)`), msg);
  }
  assert.deepEqual(unrecordedOutputs, [], 'batch outputs (time, lines) written while no metadata recorded their batch');
});

test('every line the source generated is in exactly one batch output after the recovery: none lost, none twice', (t) => {
  if (!ready(t)) return;
  assert.equal(unread, 0, 'lines never in a batch output');
  assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
});
