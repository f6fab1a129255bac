// Metadata checkpoints refused for want of space while a receiver's blocks still go into the
// write-ahead log, on real processes (a `sluice driver` and 2 `sluice worker` processes on
// loopback; the reliable receiver of fixtures/stream-receiver-recovery.ts over the test's
// replayable TCP source, each line's number its position, the log on; updateStateByKey
// checkpointed every 2 batches). Only `<ckpt>/metadata` is a small tmpfs, and it is filled and
// kept full: the log and the state checkpoints have room, as on the disk a user filled to 8 KiB
// short (a metadata file of 70 KB refused, a log record of 120 bytes taken). The batch output
// skips a batch time it wrote before (control/skip-committed: the marker pattern, as
// saveToPostgres's markers).
//
// Found (Kinesis and Flume, reduceByKeyAndWindow and mapWithState into Postgres; 9-14 Kinesis
// records lost a time, 3 times in 3): a batch whose `generated` metadata was refused ran all
// the same, its output committed; the job then failed and, submitted again, recovered from the
// metadata before it, so that batch time ran again with every logged block no recorded batch
// took, more than the first time; the output skipped it, and the records logged after the
// first run's allocation were counted (their positions) and in no output. Now a batch with
// logged blocks waits until a metadata checkpoint records them (a warning names it).
//
// The driver and workers are killed with -9 while the metadata is full (after 6 batch
// intervals and a batch's metadata refused), space is freed, the cluster started again and the job
// submitted again: every line the source generated must be in exactly one batch's output.
// Mounting needs root: outside CI the file skips without it; under CI it fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newestMetadata } from './recovery-support.js';
import { assertEachLineReadOnce, batchOutputs, fullDiskReceiverPaths, killAll, metadataFullReceiverFile, parseLog, recoverAndStop, restartReceiverCluster, untilGeneratedRefused } from './receiver-fault-support.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches

const paths = fullDiskReceiverPaths('md-full', 61, 'metadata');
const { ckpt, mount: metadataDir, out, control, secret, procs, source } = paths;

/** The first job's driver log, up to the kill. */
let fullLog: Record<string, unknown>[] = [];
/** Batch outputs written up to the kill of batch times the newest metadata file does not record. */
let unrecordedOutputs: number[] = [];
/** The newest metadata file at the kill (the metadata full): its batch time and the first batch time it does not record. */
let newestWhenFull = { batchTime: 0, nextBatchTime: 0 };
/** Lines unread when the recovered job was stopped (none when every line was read). */
let unread = 0;
/** How long the recovered job took, once the source stopped, to read every line (or to catch up). */
let readInMs = 0;

/**
 * The newest complete metadata file's batch time and the first batch time it does not record:
 * it records every batch generated before (a batch's completion is written with the batches
 * generated since, so a batch after its own time may be recorded, and may run).
 */
function newestRecorded(): { batchTime: number; nextBatchTime: number } {
  const { batchTime, nextBatchTime } = newestMetadata<{ batchTime: number; nextBatchTime: number }>(metadataDir) ?? assert.fail(`no metadata file in ${metadataDir}`);
  return { batchTime, nextBatchTime };
}

const ready = metadataFullReceiverFile(paths, { batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY, stateBatches: 3 * CHECKPOINT_EVERY }, async ({ cluster, args, jobs, fill, release }) => {
  const { address, driver, workers } = cluster;

  // 1. The metadata directory full (and kept full) for 6 batch intervals, and until the
  // metadata of a batch generated was refused (a condition: at load 35 no batch may be
  // generated in 3 s); the log has room.
  fill();
  await untilGeneratedRefused(driver, Date.now(), 6, BATCH_MS);
  fullLog = parseLog(driver.logLines);

  // 2. Killed -9 with the metadata still full, then space back, the cluster started again on
  // the same port and the job submitted again: it recovers from the newest metadata written.
  await killAll([driver, ...workers]);
  // What the recovery reads, read once no process can write: the newest metadata file, and
  // every output a batch it does not record wrote. Read 1 s after the fill before, the newest
  // file could be older than one still under way then, which landed later (a driver slowed by
  // load) and released the batches it records: their outputs counted as unrecorded.
  newestWhenFull = newestRecorded();
  unrecordedOutputs = [...batchOutputs(out, 'input').keys()].filter((t) => t >= newestWhenFull.nextBatchTime).sort((a, b) => a - b);
  release();
  await restartReceiverCluster(cluster, secret, procs);
  ({ unread, readInMs } = await recoverAndStop({ address, secret, args, jobs, out, control, source, batchMs: BATCH_MS }));
  console.log(`# ${source.lines.length} lines; batch outputs written while the metadata was full: ${unrecordedOutputs.length}; unread at the stop: ${unread} (waited ${readInMs} ms)`);
});

test('a batch whose logged blocks no metadata checkpoint records is held, with a warning naming it; none runs its output unrecorded', (t) => {
  if (!ready(t)) return;
  const refused = fullLog.filter((r) => r.code === 'SLUICE_DISK_FULL' && String(r.msg).startsWith('metadata checkpoint not written'));
  assert.ok(refused.length > 0, 'metadata checkpoints were refused');
  const held = fullLog.filter((r) => String(r.msg).startsWith('batch held: no metadata checkpoint records its input'));
  assert.ok(held.length > 0, 'a held batch is named');
  assert.equal(held[0]!.level, 40, 'at warn');
  assert.deepEqual(held[0]!.streams, [0]);
  assert.equal(held[0]!.dir, ckpt);
  assert.deepEqual(unrecordedOutputs, [], `batch outputs written while no metadata recorded their batch (the newest metadata file once full: batch ${newestWhenFull.batchTime}, recording batches before ${newestWhenFull.nextBatchTime})`);
});

test('every line the source generated is in exactly one batch output after the recovery: none lost, none twice', (t) => {
  if (!ready(t)) return;
  assert.equal(unread, 0, 'lines never in a batch output');
  assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
});
