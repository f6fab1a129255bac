// A damaged write-ahead log record of a batch the metadata checkpoint holds as pending (the
// leftover of receiver-wal-damage, which damages records no batch took yet), on real processes:
// a driver and 2 worker processes; the reliable receiver of fixtures/stream-receiver-recovery.ts
// over the test's replayable TCP source (each line's number its position), the log on. The
// driver is frozen (SIGSTOP) until its newest metadata checkpoint lists a pending batch whose
// blocks are in the log, then killed with -9 with both workers (so no worker holds the blocks:
// the re-run reads them from the log), and 4 bytes in the middle of one such block's record are
// flipped, the segment copied aside first.
// - Started again (driver, 2 fresh workers, the job submitted again), the re-run batch cannot
//   read the block: its tasks fail and the job fails before that batch's outputs, naming the
//   block, the segment, the offset, the batch and what to do (restore the segment from a backup
//   and submit again; or move the checkpoint directory away, losing the state), as Spark's
//   WriteAheadLogBackedBlockRDD fails its task ("Could not read data from write ahead log
//   record"), with no way to skip it.
// - The segment put back from the copy and the job submitted again on the same checkpoint
//   directory: nothing is lost: every line the source generated read by exactly one batch,
//   every state failure-free.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sleep } from './harness.js';
import { pollUntil, randomSecret, type SluiceProcess } from './sluice-processes.js';
import { newestMetadata, pendingBatchTimes } from './recovery-support.js';
import { assertEachLineReadOnce, assertStatesFailureFree, batchOutputs, killAll, restartReceiverCluster, resubmitUntilRecovered, startReceiverCluster, stopWhenEveryLineRead, submitReceiverJob } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-damage-pending-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(52);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');

interface Place {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}
interface Metadata {
  readonly batchIntervalMs: number;
  readonly pendingRuns?: [number, number][];
  readonly inputs: Record<string, { kind?: string; batches?: [number, { blockId: string; wal?: Place }[]][] }>;
}

/** The newest metadata checkpoint's pending batches that took blocks with places in the log, oldest first. */
function pendingLogged(): { time: number; blockId: string; wal: Place }[] {
  const md = newestMetadata<Metadata>(path.join(ckpt, 'metadata'));
  if (md === undefined) return [];
  const pending = new Set(pendingBatchTimes(md));
  const stream = Object.values(md.inputs).find((i) => i.kind === 'receiverStream');
  return (stream?.batches ?? [])
    .filter(([t]) => pending.has(t))
    .flatMap(([time, blocks]) => blocks.filter((b) => b.wal !== undefined).map((b) => ({ time, blockId: b.blockId, wal: b.wal! })));
}

let setupError: unknown;
let damaged: { time: number; blockId: string; wal: Place } | undefined;
let failure: Record<string, unknown> | undefined;
/** Batch times whose outputs the failed job wrote. */
let failedJobBatches: number[] = [];

before(async () => {
  try {
    const cluster = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY });
    const { address, workers, args } = cluster;
    let driver = cluster.driver;
    const jobs = [await submitReceiverJob(address, secret, args)];
    const firstOf = (job: string): string => path.join(out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    source.start(20, 25); // 800 lines/s
    await pollUntil(() => (batchOutputs(out, 'state').size >= 2 * CHECKPOINT_EVERY ? true : undefined), 60_000, 'batches past a state checkpoint');

    // 1. The driver frozen until its newest metadata lists a pending batch with logged blocks; then it and the workers killed.
    const found = await pollUntil(
      async () => {
        driver.child.kill('SIGSTOP');
        const p = pendingLogged();
        if (p.length > 0) return p[0];
        driver.child.kill('SIGCONT');
        await sleep(30);
        return undefined;
      },
      60_000,
      'a metadata checkpoint with a pending batch whose blocks are logged',
      5,
    );
    await killAll([driver, ...workers]);
    damaged = found;
    fs.copyFileSync(found.wal.path, path.join(root, 'segment-backup'));
    const fd = fs.openSync(found.wal.path, 'r+');
    try {
      const mid = found.wal.offset + Math.floor(found.wal.length / 2);
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, mid);
      for (let i = 0; i < 4; i++) b[i] ^= 0xff;
      fs.writeSync(fd, b, 0, 4, mid);
    } finally {
      fs.closeSync(fd);
    }

    // 2. Started again: the re-run batch cannot read the block and the job fails, naming it.
    driver = await restartReceiverCluster(cluster, secret, procs);
    const before = new Set(batchOutputs(out, 'state').keys());
    jobs.push(await submitReceiverJob(address, secret, args));
    const line = await pollUntil(() => driver.logLines.find((l) => l.includes(jobs[1]) && l.includes('"job failed"')), 120_000, 'the recovered job to fail on the damaged block');
    failure = JSON.parse(line) as Record<string, unknown>;
    failedJobBatches = [...batchOutputs(out, 'state').keys()].filter((t) => !before.has(t));

    // 3. The segment put back from the copy, the job submitted again on the same checkpoint directory.
    fs.copyFileSync(path.join(root, 'segment-backup'), found.wal.path);
    await resubmitUntilRecovered({ address, secret, args, jobs, out, source, batchMs: BATCH_MS, what: 'the first batch of the job submitted again' });
    await stopWhenEveryLineRead({ out, control, source, job: jobs[2] });
    console.log(`# ${source.lines.length} lines; damaged block ${found.blockId} of pending batch ${found.time}; the failed job wrote ${failedJobBatches.length} batches' states`);
  } catch (err) {
    const logs = procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-30).map((l) => `[${i}] ${l}`));
    setupError = new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  } finally {
    source.stop();
  }
});

after(async () => {
  for (const p of [...procs].reverse()) {
    if (p.child.signalCode === null && p.child.exitCode === null) p.child.kill('SIGCONT');
    await p.stop();
  }
  await source.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

test('the re-run batch fails before its outputs, naming the block, the segment, the offset, the batch and what to do', () => {
  ready();
  const message = String(failure!.message);
  assert.equal(failure!.code, 'SLUICE_CHECKPOINT', message);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(message, new RegExp(`received block ${esc(damaged!.blockId)}: write-ahead log segment '${esc(damaged!.wal.path)}' is corrupt at offset ${damaged!.wal.offset} \\(CRC [0-9a-f]+ differs from the stored [0-9a-f]+\\)`), message);
  assert.match(message, /restore it from a backup and submit the job again on the same checkpoint directory \(the batches not completed run again from it, nothing lost\); or, with no backup, move the checkpoint directory away and submit the job again to start afresh \(every stream's state starts over/, message);
  assert.ok(message.includes(`in the streaming batch of ${damaged!.time} ms`), message);
  assert.ok(!failedJobBatches.includes(damaged!.time), `the damaged batch wrote no state (the failed job wrote ${failedJobBatches.join(', ')})`);
});

test('the segment put back and the job submitted again: every line the source generated read by exactly one batch, every state failure-free', () => {
  ready();
  assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
  assertStatesFailureFree(out, BATCH_MS);
});
