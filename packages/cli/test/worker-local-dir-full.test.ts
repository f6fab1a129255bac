// One worker's --local-dir full under a running stream, on real processes (the driver in the
// test's process, 2 worker processes on loopback, each with --memory 1 so a batch's shuffle
// outputs spill to its local directory): worker A's on a 16 MiB tmpfs, worker B's on the
// ordinary disk. Every batch of fixtures/local-dir-full-stream.ts shuffles 24,000 200-byte
// values (8 map outputs of ~600 KiB). The tmpfs is filled, and kept full, for 3 batches:
// - each map task run on A fails with SLUICE_DISK_FULL naming A's local directory and the fix
//   (start the worker with --local-dir on a larger disk), and none on B;
// - each batch runs its failed tasks again on B (a failed task avoids the worker it failed on)
//   and completes: every batch's groups exact (500 keys, every value once, the key sum computed
//   here), no batch failed, the stream goes on; with space back A takes tasks again.
// Mounting needs root: outside CI the file skips without it; under CI it fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { holdDiskFull, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { LocalCluster } from '../src/local-cluster.js';
import { fixture, jsonLines, pollUntil, startJob, within } from './harness.js';

const RECORDS = 24_000;
const KEY_SUM = Array.from({ length: RECORDS }, (_, i) => i % 500).reduce((a, b) => a + b, 0);

let cluster: LocalCluster | undefined;
let cannotMount: string | undefined;
let mounted = false;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-local-dir-full-'));
const disk = path.join(root, 'disk');
const aLocal = path.join(disk, 'local');
const bLocal = path.join(root, 'local-b');
const filler = path.join(disk, 'filler');

interface Batch {
  readonly time: number;
  readonly keys: number;
  readonly values: number;
  readonly keySum: number;
}
interface TaskFail {
  readonly stageId: number;
  readonly partition: number;
  readonly executorId: string;
  readonly error: string;
}

before(async () => {
  cannotMount = mountTmpfs(disk, '16m');
  if (cannotMount !== undefined) return;
  mounted = true;
  fs.mkdirSync(aLocal);
  fs.mkdirSync(bLocal);
  cluster = new LocalCluster({ workers: 0, coresPerWorker: 1, logLevel: 'error', log: pino({ level: 'silent' }), workerArgs: ['--memory', '1'] });
  await cluster.start();
  cluster.addWorker(['--local-dir', aLocal]);
  cluster.addWorker(['--local-dir', bLocal]);
  await pollUntil(() => (cluster!.driver.registry.all().length === 2 ? true : undefined), 30_000, 'both workers to register');
});

after(async () => {
  await cluster?.stop();
  if (mounted) unmountTmpfs(disk);
  fs.rmSync(root, { recursive: true, force: true });
});

test("a full --local-dir on one worker: its map tasks fail naming it, each batch runs them again on the other worker and completes exact; the stream goes on", { timeout: 180_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const control = path.join(root, 'control');
  fs.mkdirSync(control);
  const job = await startJob(cluster, fixture('local-dir-full-stream.ts'), [control, String(RECORDS)]);
  let hold: { stop(): void } | undefined;
  try {
    const batches = (): Batch[] => jsonLines<Batch>(job.lines, 'BATCH ');
    const fails = (): TaskFail[] => jsonLines<TaskFail>(job.lines, 'TASKFAIL ');
    /** A stream that failed (a batch's tasks failed 4 times) ends the waits below with its failure. */
    const untilBatches = (n: number, after: number, ms: number, what: string, more: () => boolean = () => true): Promise<true> =>
      pollUntil(() => {
        if (job.ended) throw new Error(`the stream ended waiting for ${what}:\n${job.lines.slice(-20).join('\n')}`);
        return batches().filter((b) => b.time > after).length >= n && more() ? true : undefined;
      }, ms, what);
    await untilBatches(1, 0, 60_000, 'a batch with both disks free');
    assert.deepEqual(fails(), [], 'no task failed while both disks had space');
    // Full from the next batch on (the bundle and every earlier output written while there was space).
    const fullFrom = Math.max(...batches().map((b) => b.time));
    hold = holdDiskFull(filler);
    await untilBatches(3, fullFrom, 90_000, '3 batches with A full', () => fails().length > 0);
    const failedWhileFull = fails();
    const lastFull = Math.max(...batches().map((b) => b.time));
    hold.stop();
    hold = undefined;
    fs.rmSync(filler, { force: true });
    await untilBatches(2, lastFull, 60_000, '2 batches with space back');
    fs.writeFileSync(path.join(control, 'stop'), '');
    const run = await within(job.done, 60_000, 'the stream to stop');
    assert.equal(run.ok, true, JSON.stringify(run.failure));

    for (const b of batches()) assert.deepEqual(b, { time: b.time, keys: 500, values: RECORDS, keySum: KEY_SUM }, `batch ${b.time}'s groups`);
    const times = batches().map((b) => b.time);
    for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], 1000, `no batch missing after ${times[i - 1]}`);
    assert.ok(failedWhileFull.length > 0);
    for (const f of failedWhileFull) {
      // The task's own output, or an older one moved out of memory to make room for it (both named, since 071210cc).
      assert.match(f.error, /^disk full: cannot write the shuffle output of shuffle \d+, map task \d+ \(block shuffle_[^)]+\)(, moved out of memory to make room for the shuffle output of shuffle \d+, map task \d+ \(block shuffle_[^)]+\),)? to '/, f.error);
      assert.ok(f.error.includes(`'${aLocal}/`), f.error);
      assert.match(f.error, /no space left on its device\. Free space there, or start the worker with --local-dir on a larger disk\./, f.error);
    }
    assert.equal(new Set(failedWhileFull.map((f) => f.executorId)).size, 1, 'every failure on the worker whose disk is full');
    console.log(`# ${batches().length} batches, ${failedWhileFull.length} task attempts failed on the full worker (${fails().length} in all)`);
  } finally {
    hold?.stop();
    fs.rmSync(filler, { force: true });
    if (!job.ended) fs.writeFileSync(path.join(control, 'stop'), '');
  }
});
