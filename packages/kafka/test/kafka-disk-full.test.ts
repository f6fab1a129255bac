// A direct Kafka stream whose checkpoint directory fills up, on real processes (`sluice driver`,
// 2 `sluice worker`s, fixtures/recover-job.ts; the test broker in this process, 400 records/s
// produced all along): the checkpoint directory is on a 16 MiB tmpfs mounted for the file,
// filled with a filler file until the kernel answers ENOSPC, and kept full (space freed by the
// rotation of old checkpoints taken back every 5 ms). While it is full each metadata
// checkpoint is a SLUICE_DISK_FULL warning in the driver's log and none is written, and the
// batches wait, a warning naming each (run unrecorded, a recovery would make their batch times
// again with other ranges: kafka-metadata-full-kill); once space is back the next batch's
// checkpoint is written and they run. The driver is then killed with -9, records produced while it is down,
// a driver started again and the job resubmitted: every record counted exactly once, every
// partition's ranges adjacent from 0 to its end within the rate, a batch written by both runs
// the same ranges both times, the group's commits at the ends. Mounting needs root: outside
// CI the test skips without it; under CI it fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { holdDiskFull } from '@sluice/test-disk';
import { fullDiskRecoverJobFile, newestMetadata } from './full-disk-recover-job.js';
import { pollUntil } from './sluice-process.js';
import { assertRecoverJobExact, batchFiles } from './stream-test-support.js';

const file = fullDiskRecoverJobFile('sluice-kafka-disk-full-');

test('a full checkpoint directory under a direct Kafka stream: SLUICE_DISK_FULL warnings, its batches held; space back, checkpoints written again; a driver killed then recovers every record exactly once', { timeout: 150_000 }, async (t) => {
  const started = await file.start(t, { brokers: 2, topic: 'df', partitions: 4, groupId: 'g-df' }); // 400 records/s
  if (started === undefined) return;
  const { kafka, want, producing, out, ckpt, filler, run } = started;
  let full: { stop(): void } | undefined;
  try {
    const driver = run.driver;

    const metadata = (): string[] => fs.readdirSync(path.join(ckpt, 'metadata')).filter((n) => /^checkpoint-\d+$/.test(n)).sort();
    const warnings = (): string[] => driver.logLines.filter((l) => l.includes('"code":"SLUICE_DISK_FULL"'));
    full = holdDiskFull(filler);
    const filledAt = Date.now();
    // The newest checkpoint once a write was refused (one in flight as the disk filled may
    // still have been renamed into place).
    await pollUntil(() => (warnings().length >= 1 ? true : undefined), 30_000, 'a first SLUICE_DISK_FULL warning').catch((err: Error) => {
      throw new Error(`${err.message}: ${batchFiles(out).filter((b) => b.time > filledAt + 500).length} batches after the disk filled`);
    });
    await new Promise((r) => setTimeout(r, 1000)); // a write under way as it filled lands (or not)
    // Every batch time before unrecordedFrom is recorded (generated or completed).
    const { file: newestWhenFull, nextBatchTime: unrecordedFrom } = newestMetadata(path.join(ckpt, 'metadata'));
    const held = (): string[] => driver.logLines.filter((l) => l.includes('"msg":"batch held:'));
    await pollUntil(() => (warnings().length >= 4 && held().length >= 4 ? true : undefined), 30_000, 'SLUICE_DISK_FULL warnings and held batches while the disk is full').catch((err: Error) => {
      const said = driver.logLines.filter((l) => /"level":(40|50)/.test(l)).slice(-15).join('\n');
      throw new Error(`${err.message}: ${warnings().length} warnings, ${held().length} batches held; the driver's last warnings and errors:\n${said}`);
    });
    assert.equal(metadata().at(-1), newestWhenFull, 'no metadata checkpoint written while the disk is full');
    // What happens (it said "the stream goes on" while every direct batch was held): held, or paused.
    for (const w of warnings()) assert.match(w, /metadata checkpoint not written; (batch \d+ is held, no output running for it, until a metadata checkpoint records its input|the \d+ batch(es)? held for want of a metadata checkpoint stay held|batch generation is paused: \d+ batches are held|batches go on, but each whose input must be recorded first \(received blocks with the write-ahead log on, Kafka offset ranges, files\) is held)/);
    assert.ok(!warnings().some((w) => w.includes('the stream goes on')), warnings().join('\n'));
    assert.deepEqual(
      batchFiles(out)
        .filter((b) => b.time >= unrecordedFrom)
        .map((b) => b.time),
      [],
      'batch outputs written while no metadata checkpoint recorded their ranges',
    );
    const whileFull = held().length;
    const warned = warnings().length;

    full.stop();
    fs.rmSync(filler);
    const spaceBackAt = Date.now();
    await pollUntil(() => (metadata().at(-1) !== newestWhenFull ? true : undefined), 30_000, 'a metadata checkpoint written once space is back');
    // The held batches run, and a batch of a time after space came back has written its output: the stream goes on. (Was
    // the newest batch's time within 2 s of the clock, a window a stream lagging 2 s behind
    // under load never enters.)
    await pollUntil(() => (batchFiles(out).at(-1)!.time > spaceBackAt ? true : undefined), 60_000, 'a batch of a time after space came back');
    await driver.kill9();
    await new Promise((r) => setTimeout(r, 1_000)); // records and batch times pass while it is down

    await run.restart();
    await new Promise((r) => setTimeout(r, 2_000));
    await producing.stop();
    const counted = (): number => batchFiles(out).reduce((n, b) => n + b.count, 0);
    await pollUntil(() => (counted() >= want.count ? true : undefined), 60_000, `every record counted (${want.count})`);
    await new Promise((r) => setTimeout(r, 1000)); // a batch counted twice would show up by now

    const { all, events } = await assertRecoverJobExact(kafka, 'df', 'g-df', out, want, 100);
    assert.equal(new Set(events.map((e) => e.job)).size, 2, 'two runs wrote batches');
    console.log(`# ${whileFull} batches held while the checkpoint disk was full (${warned} SLUICE_DISK_FULL warnings in the driver's log); ${want.count} records over ${all.length} batches`);
  } finally {
    full?.stop();
    await producing.stop();
  }
});
