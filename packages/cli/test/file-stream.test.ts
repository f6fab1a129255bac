// textFileStream on a real cluster (driver + 2 worker processes on loopback), stepped
// batch by batch on a manual clock: a file still being written is skipped until it is
// settled and then read whole; a file moved in is read once settled; an append to a
// file already read is ignored with a warning in the driver's log; a file deleted right
// after its batch was cut fails the stream with an error naming it and the option, or,
// with ignoreMissingFiles, is skipped with a warning in the worker's log while the batch
// succeeds with the other files and the stream goes on.
//
// File times: batches fall at 1000, 2000, ... ms of the manual clock; a file whose mtime
// is set to the epoch (utimes 0) is older than any batch interval, so it is settled at
// once; a file written now has an mtime far after the manual clock's time, so it settles
// only by being unchanged across two listings.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { LocalCluster } from '../src/local-cluster.js';
import { fixture, jsonLines, startJob, within, type RunningJob } from './harness.js';

type LogRecord = Record<string, unknown> & { msg: string; level: number };

let cluster: LocalCluster;
let tmp: string;
const driverLog: LogRecord[] = [];
const workerLog: LogRecord[] = [];

function collector(into: LogRecord[]): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) {
      try {
        into.push(JSON.parse(l) as LogRecord);
      } catch {
        // not a log record
      }
    }
  };
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-file-stream-'));
  const onDriver = collector(driverLog);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      onDriver(chunk);
      cb();
    },
  });
  cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'warn', log: pino({ level: 'info' }, sink), workerStderr: 'pipe' });
  await cluster.start();
  for (const w of cluster.workerProcesses) w.stderr!.on('data', collector(workerLog));
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Stepper {
  readonly job: RunningJob;
  /** Advance one batch; resolves with that batch's lines once it is processed. */
  step(): Promise<{ time: number; lines: string[] }>;
  stop(): void;
}

async function stepped(name: string, ignoreMissing: boolean): Promise<{ dir: string; stepper: Stepper }> {
  const dir = path.join(tmp, name);
  const ctl = path.join(tmp, `${name}-ctl`);
  fs.mkdirSync(dir);
  fs.mkdirSync(ctl);
  fs.writeFileSync(path.join(dir, 'there-before.txt'), 'before:0\n');
  const job = await startJob(cluster, fixture('stream-files-steps.ts'), [dir, ctl, String(ignoreMissing)]);
  await job.waitLine('STARTED', 30_000);
  let n = 0;
  return {
    dir,
    stepper: {
      job,
      async step() {
        n++;
        fs.writeFileSync(path.join(ctl, `step-${n}`), '');
        const line = await job.waitLine('STEP ', 30_000, (l) => JSON.parse(l.slice(5)).n === n);
        const { time } = JSON.parse(line.slice(5)) as { time: number };
        const batch = jsonLines<{ time: number; lines: string[] }>(job.lines, 'BATCH ').find((b) => b.time === time);
        assert.ok(batch, `batch ${time} printed its lines`);
        return batch;
      },
      stop() {
        fs.writeFileSync(path.join(ctl, 'stop'), '');
      },
    },
  };
}

const linesOf = (name: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${name}:${from + i}`);
const text = (lines: readonly string[]): string => lines.map((l) => l + '\n').join('');
const old = (file: string): void => fs.utimesSync(file, 0, 0);
const logged = (log: readonly LogRecord[], msg: string, file: string): LogRecord[] => log.filter((r) => r.msg.startsWith(msg) && r.file === file);

test('a file being written is read whole once settled; an append after the read is ignored with a warning; a file deleted after its batch was cut fails the stream, naming it and the fix', { timeout: 90_000 }, async () => {
  const { dir, stepper } = await stepped('strict', false);
  const staging = path.join(tmp, 'strict-staging');
  fs.mkdirSync(staging);
  const a = path.join(dir, 'a.txt');
  const growing = path.join(dir, 'growing.txt');
  const moved = path.join(dir, 'moved.txt');

  // Batch 1000: a.txt is settled by age; growing.txt (a partial last line) was just written.
  fs.writeFileSync(a, text(linesOf('a', 0, 3)));
  old(a);
  fs.writeFileSync(growing, text(linesOf('g', 0, 2)) + 'g:2-part');
  const b1 = await stepper.step();
  assert.deepEqual(b1, { time: 1000, lines: linesOf('a', 0, 3) }, 'only the settled file is read; the one being written is not read part-way');

  // Batch 2000: growing.txt changed since the last listing; moved.txt was just moved in.
  fs.appendFileSync(growing, '-done\n' + text(linesOf('g', 3, 5)));
  fs.writeFileSync(path.join(staging, 'moved.txt'), text(linesOf('m', 0, 4)));
  fs.renameSync(path.join(staging, 'moved.txt'), moved);
  const b2 = await stepper.step();
  assert.deepEqual(b2, { time: 2000, lines: [] }, 'a file still changing is skipped again; a file just moved in waits one listing');

  // Batch 3000: both unchanged since 2000, so settled and read whole. a.txt, read in
  // 1000, gets an append: ignored, with a warning. grows-1.txt gets 'late\n' appended
  // after the batch was cut: the batch reads what the listing saw.
  fs.appendFileSync(a, text(linesOf('a', 3, 5)));
  const grows = path.join(dir, 'grows-1.txt');
  fs.writeFileSync(grows, text(linesOf('r', 0, 2)) + 'r:2');
  old(grows);
  const b3 = await stepper.step();
  assert.deepEqual(b3, { time: 3000, lines: [...linesOf('g', 0, 2), 'g:2-part-done', ...linesOf('g', 3, 5), ...linesOf('m', 0, 4), ...linesOf('r', 0, 3)].sort() });

  // Batch 4000: doomed-1.txt is chosen, then deleted before the batch reads it.
  const doomed = path.join(dir, 'doomed-1.txt');
  fs.writeFileSync(doomed, text(linesOf('d', 0, 2)));
  old(doomed);
  fs.writeFileSync(path.join(dir, 'b.txt'), text(linesOf('b', 0, 2)));
  old(path.join(dir, 'b.txt'));
  fs.writeFileSync(path.join(tmp, 'strict-ctl', 'step-4'), '');
  const run = await within(stepper.job.done, 60_000, 'the stream to fail').catch((err: Error) => {
    throw new Error(`${err.message}\n${stepper.job.lines.join('\n')}\n${driverLog.slice(-10).map((r) => JSON.stringify(r)).join('\n')}`);
  });
  assert.equal(run.ok, false, 'the batch with the deleted file fails the stream');
  assert.equal(run.failure?.code, 'SLUICE_TASK_FAILED', JSON.stringify(run.failure));
  assert.match(run.failure!.message, new RegExp(`textFileStream\\(${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): '.*doomed-1\\.txt' was chosen for this batch but is gone`));
  assert.match(run.failure!.message, /ssc\.textFileStream\(dir, \{ ignoreMissingFiles: true \}\)/);

  const all = jsonLines<{ time: number; lines: string[] }>(run.lines, 'BATCH ').flatMap((b) => b.lines);
  assert.ok(!all.includes('before:0'), 'a file there before start is not read');
  for (const l of linesOf('a', 3, 5)) assert.ok(!all.includes(l), `'${l}', appended after a.txt was read, is not read`);
  assert.equal(new Set(all).size, all.length, 'no line is read twice');

  // The driver's log says what was skipped and which file changed after its read.
  const skipped = 'file stream: skipping a file modified within the last batch interval';
  assert.deepEqual(
    logged(driverLog, skipped, growing).map((r) => r.batchTime),
    [1000, 2000],
  );
  assert.deepEqual(
    logged(driverLog, skipped, moved).map((r) => r.batchTime),
    [2000],
  );
  assert.deepEqual(logged(driverLog, skipped, a), []);
  const changed = logged(driverLog, 'file stream: a file changed after it was read', a);
  assert.equal(changed.length, 1, JSON.stringify(changed));
  assert.equal(changed[0].level, 40, 'a warning');
  assert.deepEqual([changed[0].readInBatch, changed[0].sizeRead, changed[0].sizeNow, changed[0].batchTime], [1000, text(linesOf('a', 0, 3)).length, text(linesOf('a', 0, 5)).length, 3000]);
  const grew = logged(driverLog, 'file stream: a file changed after it was read', grows);
  assert.deepEqual(
    grew.map((r) => [r.readInBatch, r.sizeRead, r.sizeNow, r.batchTime]),
    [[3000, 'r:0\nr:1\nr:2'.length, 'r:0\nr:1\nr:2late\n'.length, 4000]],
  );
});

test('with ignoreMissingFiles, a file deleted after its batch was cut is skipped with a warning on the worker; the batch succeeds with the rest and the stream goes on', { timeout: 60_000 }, async () => {
  const { dir, stepper } = await stepped('lenient', true);
  const put = (name: string, lines: string[]): void => {
    fs.writeFileSync(path.join(dir, name), text(lines));
    old(path.join(dir, name));
  };
  put('doomed-2.txt', linesOf('x', 0, 3));
  put('c.txt', linesOf('c', 0, 3));
  assert.deepEqual(await stepper.step(), { time: 1000, lines: linesOf('c', 0, 3) });
  put('d.txt', linesOf('d', 0, 2));
  assert.deepEqual(await stepper.step(), { time: 2000, lines: linesOf('d', 0, 2) });
  stepper.stop();
  const run = await within(stepper.job.done, 30_000, 'the job to stop');
  assert.equal(run.ok, true, `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`);
  const doomed = path.join(dir, 'doomed-2.txt');
  const warned = logged(workerLog, 'file stream: a file chosen for a batch is gone; skipped (ignoreMissingFiles)', doomed);
  assert.ok(warned.length >= 1, `a worker warned about ${doomed}: ${JSON.stringify(workerLog.slice(-5))}`);
  assert.equal(warned[0].level, 40);
  assert.equal(warned[0].directory, dir);
});
