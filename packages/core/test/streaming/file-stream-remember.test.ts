// The file stream's remember window (minRememberDuration, as Spark's FileInputDStream), in
// process: batches are generated directly (prepareBatch) at batch times the test chooses,
// and file modification times are set relative to them. While the directory grows by a
// file a batch, what the stream checkpoints stays bounded by the files of one window, every
// file is taken by exactly one batch (across a recovery from checkpoint data too), and a
// file moved in already older than the window is ignored with a warning.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SluiceContext } from '../../src/context.js';
import { FileInputDStream } from '../../src/dstream/file-input-dstream.js';
import type { Duration } from '../../src/streaming/duration.js';
import { StreamingContext } from '../../src/streaming/streaming-context.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-file-remember-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const BATCH_MS = 1000;
const WINDOW_MS = 5000;

interface Checkpoint {
  batches: [number, { file: string; size: number }[]][];
  read: [string, unknown][];
  preexisting: unknown[];
  unsettled: unknown[];
}

function stream(dir: string, warnings: Record<string, unknown>[], minRememberDuration: Duration | string = WINDOW_MS): FileInputDStream {
  const sc = new SluiceContext({
    jobId: 'j',
    defaultParallelism: () => 2,
    runJob: () => Promise.reject(new Error('no cluster')),
    removeRdd: async () => undefined,
    log: (level, message, fields) => {
      if (level === 'warn') warnings.push({ message, ...fields });
    },
  });
  const ssc = new StreamingContext(sc, BATCH_MS, { clock: 'manual' });
  const s = ssc.textFileStream(dir, { minRememberDuration: minRememberDuration as Duration }) as unknown as FileInputDStream;
  assert.ok(s instanceof FileInputDStream);
  return s;
}

/** A file moved into `dir`, modified `ageMs` before `time`. */
function moveIn(dir: string, name: string, time: number, ageMs: number): void {
  const tmp = path.join(root, `.${name}`);
  fs.writeFileSync(tmp, `${name}\n`);
  const t = new Date(time - ageMs);
  fs.utimesSync(tmp, t, t);
  fs.renameSync(tmp, path.join(dir, name));
}

test('the checkpoint data stays bounded while the directory grows, and no file is taken twice, across a recovery', async () => {
  const dir = path.join(root, 'grow');
  fs.mkdirSync(dir);
  const warnings: Record<string, unknown>[] = [];
  const t0 = Math.floor(Date.now() / BATCH_MS) * BATCH_MS;
  // Two files there before start: ignored (newFilesOnly), and forgotten once out of the window.
  moveIn(dir, 'pre-a.txt', t0, 1500);
  moveIn(dir, 'pre-b.txt', t0, 2500);
  let s = stream(dir, warnings);
  s.start();
  const takenBy = new Map<string, number[]>();
  const sizes: number[] = [];
  const BATCHES = 40;
  for (let i = 1; i <= BATCHES; i++) {
    const time = t0 + i * BATCH_MS;
    // One new file a batch, settled (older than a batch interval, inside the window).
    moveIn(dir, `f${String(i).padStart(3, '0')}.txt`, time, 1500);
    if (i === 20) {
      // Recovery: a new stream restored from the checkpoint data (as JSON) goes on.
      const data = JSON.parse(JSON.stringify(s.checkpointData())) as unknown;
      s = stream(dir, warnings);
      s.restoreCheckpointData(data);
      s.start();
    }
    await s.prepareBatch(time);
    const cp = s.checkpointData() as unknown as Checkpoint;
    for (const f of cp.batches.find(([t]) => t === time)?.[1] ?? []) takenBy.set(path.basename(f.file), [...(takenBy.get(path.basename(f.file)) ?? []), i]);
    sizes.push(cp.read.length + cp.preexisting.length + cp.unsettled.length);
    if (i === 1) assert.equal(cp.preexisting.length, 2, 'the pre-existing files are remembered while inside the window');
  }
  assert.equal(fs.readdirSync(dir).length, BATCHES + 2, 'the directory grew by a file a batch');
  // Every file taken, by exactly one batch: the batch it arrived for.
  const expected = new Map(Array.from({ length: BATCHES }, (_, k) => [`f${String(k + 1).padStart(3, '0')}.txt`, [k + 1]]));
  assert.deepEqual(new Map([...takenBy].sort()), expected);
  // Files stay remembered until their modification time leaves the window: about WINDOW_MS / BATCH_MS of them.
  const most = Math.max(...sizes.slice(10));
  console.log(`# files remembered after each of ${BATCHES} batches: ${sizes.join(' ')}; checkpoint data ${JSON.stringify(s.checkpointData()).length} characters`);
  assert.ok(most <= WINDOW_MS / BATCH_MS + 1, `files remembered at once: ${sizes.join(' ')}`);
  const last = s.checkpointData() as unknown as Checkpoint;
  assert.ok(last.read.length >= 3, `the files inside the window are still remembered: ${last.read.length}`);
  assert.equal(last.preexisting.length, 0, 'pre-existing files past the window are forgotten');
  assert.deepEqual(warnings, []);
});

test('a file moved in with a modification time before the window is ignored, with one warning naming it', async () => {
  const dir = path.join(root, 'old');
  fs.mkdirSync(dir);
  const warnings: Record<string, unknown>[] = [];
  const t0 = Math.floor(Date.now() / BATCH_MS) * BATCH_MS;
  const s = stream(dir, warnings, '5s');
  s.start();
  await s.prepareBatch(t0 + BATCH_MS);
  moveIn(dir, 'old.txt', t0 + 2 * BATCH_MS, WINDOW_MS + 1000);
  moveIn(dir, 'new.txt', t0 + 2 * BATCH_MS, 1500);
  for (let i = 2; i <= 4; i++) await s.prepareBatch(t0 + i * BATCH_MS);
  const cp = s.checkpointData() as unknown as Checkpoint;
  const taken = cp.batches.flatMap(([, fs]) => fs.map((f) => path.basename(f.file)));
  assert.deepEqual(taken, ['new.txt']);
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.equal(warnings[0].file, path.join(dir, 'old.txt'));
  assert.match(String(warnings[0].message), /remember window.*minRememberDuration/);
});

test('minRememberDuration is rounded up to whole batch intervals, and a bad one is refused naming it', () => {
  const dir = path.join(root, 'opts');
  assert.equal(stream(dir, [], 2500).rememberWindowMs, 3000);
  assert.equal(stream(dir, [], 1).rememberWindowMs, BATCH_MS, 'at least one batch interval');
  assert.throws(() => stream(dir, [], 'soon'), (err: Error & { code?: string }) => err.code === 'SLUICE_BAD_ARGUMENT' && /minRememberDuration: 'soon' is not a duration/.test(err.message));
});

test('a watched directory that does not exist is made, empty, with one warning naming it; one that exists gives none', async () => {
  const missing = path.join(root, 'not-yet', 'in');
  const warnings: Record<string, unknown>[] = [];
  const s = stream(missing, warnings);
  s.start();
  assert.ok(fs.statSync(missing).isDirectory(), 'the directory was made');
  assert.deepEqual(fs.readdirSync(missing), []);
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.equal(warnings[0].message, `file stream: the directory '${missing}' did not exist; it was made, empty: files moved into it are read from the next batch on (check the path if you expected files there)`);
  assert.equal(warnings[0].directory, missing);
  const again: Record<string, unknown>[] = [];
  stream(missing, again).start();
  assert.deepEqual(again, [], 'no warning for a directory that exists');
});
