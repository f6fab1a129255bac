// A full disk on a real cluster (driver + 2 worker processes on loopback): a 16 MiB tmpfs,
// mounted once for the file, filled with a filler file until the kernel answers ENOSPC.
// The workers' --local-dir is on it, with --memory 1 (MiB): their shuffle outputs spill.
// - a shuffle while it is full: the map tasks cannot spill, the job fails with
//   SLUICE_DISK_FULL naming the worker's local directory and --local-dir; once space is
//   back the same job gives the right groups.
// - saveAsTextFile into it: the tasks' writes fail (retried as task failures), then the
//   job fails with SLUICE_DISK_FULL naming the part file's path and what to do; nothing
//   is left in the directory (no output directory, no half-written part).
// - ssc.checkpoint(dir) on it: while it is full each metadata checkpoint is logged as a
//   warning with SLUICE_DISK_FULL and the file stream's batches are held (run unrecorded, a
//   recovery would make them again with other files: file-stream-metadata-full); once space is
//   back the next batch's checkpoint is written and they run; every line of every file is
//   counted once.
// - the receiver write-ahead log on it: a block that cannot be logged is not acknowledged
//   (store() rejects with SLUICE_DISK_FULL's words, the receiver's error names it); the
//   blocks stored before and after, once space is back, are counted once each.
// - a receiver without the log whose block, put in a worker's memory, pushes an older one
//   out to the full --local-dir: store() rejects with SLUICE_DISK_FULL naming the local
//   directory (it does not wait forever), the driver hears the receiver's error, and the
//   blocks stored before and after are counted once each.
// - a cached MEMORY_AND_DISK RDD past --memory while the disk is full: a partition that
//   cannot spill fails its task (as Spark's DiskStore), the job fails with SLUICE_DISK_FULL
//   naming the partition and --local-dir, no worker dies; with space back it runs right.
// - a stateful stream (updateStateByKey, reduceByKeyAndWindow with an inverse) checkpointing
//   into it: its metadata checkpoints are warnings, but a state checkpoint that cannot be
//   written fails its task, the batch and the job (SLUICE_DISK_FULL naming it), as Spark's
//   RDD checkpoint fails its job; with space back the job started again recovers from the
//   checkpoint, every line read once and every state and window exact.
// Mounting needs root: outside CI the test skips without it; under CI it fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { fillDisk, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { LocalCluster } from '../src/local-cluster.js';
import { bigReceiverLines, receiverLines } from './fixtures/disk-full.js';
import { fixture, jsonLines, mulberry32, pollUntil, sleep, startJob, within } from './harness.js';
import { Feeder, RECOVERY_JOB, expectedStates, expectedWindows, jobArgs, jobDirs, newestMetadata, readOutputs } from './recovery-support.js';

type LogRecord = Record<string, unknown> & { msg: string; level: number };

let cluster: LocalCluster | undefined;
let tmp: string;
let disk: string;
let mounted = false;
let cannotMount = '';
const driverLog: LogRecord[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-disk-full-'));
  disk = path.join(tmp, 'disk');
  cannotMount = mountTmpfs(disk) ?? '';
  if (cannotMount) return;
  mounted = true;
  const localDir = path.join(disk, 'local');
  fs.mkdirSync(localDir);
  let rest = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const l of parts) {
        try {
          driverLog.push(JSON.parse(l) as LogRecord);
        } catch {
          // not a log record
        }
      }
      cb();
    },
  });
  cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: 'error', log: pino({ level: 'info' }, sink), workerArgs: ['--local-dir', localDir, '--memory', '1'] });
  await cluster.start();
  // Put the fixture's bundle on both workers while there is space (a job whose bundle
  // cannot be written fails as SLUICE_DISK_FULL too, before its tasks write anything).
  const warm = await startJob(cluster, fixture('disk-full.ts'), ['shuffle', '1000']);
  const run = await within(warm.done, 60_000, 'the warm-up job');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  for (const w of fs.readdirSync(localDir)) assert.ok(fs.existsSync(path.join(localDir, w, 'bundles')), `worker scratch ${w} holds the bundle`);
});

after(async () => {
  await cluster?.stop();
  if (mounted) unmountTmpfs(disk);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const filler = (): string => path.join(disk, 'filler');

/** Polls `done` every 20 ms until it holds (the shared pollUntil: it stops at its deadline, so a failed wait does not keep the file's process alive). */
const until = (done: () => boolean, ms: number, what: string): Promise<true> => pollUntil(() => done() || undefined, ms, what, 20);

/** Have the fixture's receiver store step `n` (a `recv-<n>` file in `ctl`); what its store() said: 'ok' or the error's code and message. */
async function receive(ctl: string, n: number): Promise<string> {
  fs.writeFileSync(path.join(ctl, `recv-${n}`), '');
  const done = path.join(ctl, `recv-${n}.done`);
  await until(() => fs.existsSync(done), 30_000, `store ${n} to settle`);
  return fs.readFileSync(done, 'utf8');
}

/** Fill the tmpfs (fillDisk: until not a byte more fits). */
const fill = (): void => fillDisk(filler());

/** Every file under `dir`, relative. */
const filesUnder = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();

test('saveAsTextFile into a full disk: the job fails with SLUICE_DISK_FULL naming the part file and the fix; nothing is left there', { timeout: 60_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const out = path.join(disk, 'out');
  fill();
  try {
    const job = await startJob(cluster, fixture('disk-full.ts'), ['save', out, '2000']);
    const run = await within(job.done, 40_000, 'the save job to end');
    assert.equal(run.ok, false, 'the job failed');
    const f = run.failure!;
    assert.equal(f.code, 'SLUICE_DISK_FULL', JSON.stringify(f));
    assert.match(f.message, /^Job aborted due to stage failure: Task \d in stage \d+\.\d+ failed \d+ times, most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): disk full: /, 'a task failure, retried before the job fails');
    assert.match(f.message, new RegExp(`disk full: cannot write part \\d of saveAsTextFile to '${disk}/\\.out\\.sluice-tmp-[^/']+/part-0000\\d'`), f.message);
    assert.match(f.message, /no space left on its device\. Free space there, or give saveAsTextFile a directory on a larger disk\./, f.message);
    assert.deepEqual(filesUnder(disk).filter((f) => !f.startsWith('local/')), ['filler'], 'no output directory and no half-written part are left');
  } finally {
    fs.rmSync(filler(), { force: true });
  }
});

test('a full checkpoint directory: each metadata checkpoint is a SLUICE_DISK_FULL warning, the file stream batches held, written again once space is back, and every line counted once', { timeout: 90_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const input = path.join(tmp, 'input');
  const ctl = path.join(tmp, 'ctl');
  const ckpt = path.join(disk, 'ckpt');
  fs.mkdirSync(input);
  fs.mkdirSync(ctl);
  const job = await startJob(cluster, fixture('disk-full.ts'), ['stream', input, ctl, ckpt]);
  await job.waitLine('STARTED', 30_000);
  const written: string[] = [];
  let n = 0;
  const step = async (): Promise<number> => {
    n++;
    // A file of n*50 lines, old enough to be settled at once.
    const lines = Array.from({ length: n * 50 }, (_, i) => `f${n}:${i}`);
    const file = path.join(input, `f${n}.txt`);
    fs.writeFileSync(file, lines.map((l) => l + '\n').join(''));
    fs.utimesSync(file, 0, 0);
    written.push(...lines);
    fs.writeFileSync(path.join(ctl, `step-${n}`), '');
    const line = await job.waitLine('STEP ', 30_000, (l) => (JSON.parse(l.slice(5)) as { n: number }).n === n);
    return (JSON.parse(line.slice(5)) as { time: number }).time;
  };
  const metadata = (): string[] => (fs.existsSync(path.join(ckpt, 'metadata')) ? fs.readdirSync(path.join(ckpt, 'metadata')).sort() : []);
  /** The batch of the newest metadata checkpoint written: complete files only (one being written is a temporary file beside them, renamed once whole). */
  const newestBatch = (): number | undefined => newestMetadata<{ batchTime: number }>(path.join(ckpt, 'metadata'))?.batchTime;

  const t1 = await step();
  assert.equal(newestBatch(), t1, 'batch 1 checkpointed while there is space');
  fill();
  const warnings = (): LogRecord[] => driverLog.filter((r) => r.code === 'SLUICE_DISK_FULL' && r.jobId === job.id);
  let full: number[];
  const held = (): LogRecord[] => driverLog.filter((r) => String(r.msg).startsWith('batch held:') && r.jobId === job.id);
  const ran = (): number[] => jsonLines<{ time: number }>(job.lines, 'BATCH ').map((b) => b.time);
  try {
    // Held batches run later: the steps do not wait for them.
    fs.writeFileSync(path.join(ctl, 'nowait'), '');
    const t2 = await step();
    const t3 = await step();
    full = [t2, t3];
    await until(() => held().some((r) => r.batchTime === t3), 20_000, 'batch 3 held');
    assert.deepEqual(
      held().map((r) => r.batchTime),
      [t2, t3],
      'both batches held',
    );
    assert.deepEqual(
      ran().filter((t) => full.includes(t)),
      [],
      'no held batch ran while the disk was full',
    );
    // The first refused write of a held batch's snapshot: batch 2's, or a later one's when the
    // checkpointer wrote several as one (snapshots asked for while a write is under way are
    // coalesced into one write of the newest: the fresh-clone CI at 17461cd5 saw none naming batch 2).
    const w = warnings().find((r) => typeof r.batchTime === 'number' && r.batchTime >= t2);
    assert.ok(w, `a SLUICE_DISK_FULL warning for batch ${t2} or later: ${JSON.stringify(warnings().map((r) => [r.batchTime, r.msg]))}`);
    assert.equal(w.level, 40, 'logged at warn');
    // What happens, not "the stream goes on": the batch is held (a file stream's input must be recorded).
    assert.match(w.msg, new RegExp(`^metadata checkpoint not written; batch ${String(w.batchTime)} is held, no output running for it, until a metadata checkpoint records its input( \\(with the \\d+ held before it\\))?; batch generation pauses once 10 are held; the next one is written when space is back: disk full: cannot write the metadata checkpoint of batch \\d+ \\(generated\\) to '`), w.msg);
    assert.ok(w.msg.includes(`'${ckpt}/metadata/checkpoint-`), w.msg);
    assert.match(w.msg, /Free space there, or point the checkpoint directory \(ssc\.checkpoint\(dir\), or sluice --state-dir\) at a larger disk\./, w.msg);
    assert.equal(newestBatch(), t1, 'nothing newer was written while the disk was full');
    assert.deepEqual(
      metadata().filter((f) => !/^checkpoint-\d+$/.test(f)),
      [],
      'no half-written metadata file is left',
    );
  } finally {
    fs.rmSync(filler(), { force: true });
  }
  fs.rmSync(path.join(ctl, 'nowait'));
  const t4 = await step();
  await until(() => newestBatch() === t4, 20_000, 'the checkpoint of batch 4 once space is back');
  fs.writeFileSync(path.join(ctl, 'stop'), '');
  const run = await within(job.done, 30_000, 'the stream to stop');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  const batches = jsonLines<{ time: number; lines: string[] }>(job.lines, 'BATCH ');
  for (const t of full) assert.ok(batches.some((b) => b.time === t && b.lines.length > 0), `batch ${t}, held while the disk was full, ran once space was back`);
  assert.deepEqual(batches.flatMap((b) => b.lines).sort(), [...written].sort(), 'every line of every file counted once');
});

test('a shuffle whose map outputs cannot spill to a full --local-dir fails with SLUICE_DISK_FULL naming it; with space back the same job gives the right groups', { timeout: 90_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const records = 24_000; // 8 map outputs of ~600 KiB each: past --memory 1 on either worker
  fill();
  try {
    const job = await startJob(cluster, fixture('disk-full.ts'), ['shuffle', String(records)]);
    const run = await within(job.done, 60_000, 'the shuffle job to end');
    assert.equal(run.ok, false, 'the job failed');
    const f = run.failure!;
    assert.equal(f.code, 'SLUICE_DISK_FULL', JSON.stringify(f));
    assert.match(f.message, /^Job aborted due to stage failure: Task \d in stage \d+\.\d+ failed \d+ times, most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): disk full: cannot write the shuffle output of shuffle \d+, map task \d \(block shuffle_[^)]+\), moved out of memory to make room for the shuffle output of shuffle \d+, map task \d \(block shuffle_[^)]+\), to '/, f.message);
    assert.ok(f.message.includes(`'${path.join(disk, 'local')}/`), f.message);
    assert.match(f.message, /local directory\): no space left on its device\. Free space there, or start the worker with --local-dir on a larger disk\./, f.message);
  } finally {
    fs.rmSync(filler(), { force: true });
  }
  const job = await startJob(cluster, fixture('disk-full.ts'), ['shuffle', String(records)]);
  const run = await within(job.done, 60_000, 'the shuffle job to end');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  const groups = jsonLines<{ keys: number; values: number }>(job.lines, 'GROUPS ');
  assert.deepEqual(groups, [{ keys: 500, values: records }], 'every value in its group once');
});

test('a full write-ahead log directory: the block is not acknowledged (store() rejects naming the log and the fix); blocks before and after space is back are counted once', { timeout: 90_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const ctl = path.join(tmp, 'recv-ctl');
  fs.mkdirSync(ctl);
  const ckpt = path.join(disk, 'wal-ckpt');
  const job = await startJob(cluster, fixture('disk-full.ts'), ['receiver', ctl, ckpt]);
  await job.waitLine('STARTED', 30_000);
  assert.equal(await receive(ctl, 1), 'ok');
  fill();
  let refused: string;
  try {
    refused = await receive(ctl, 2);
  } finally {
    fs.rmSync(filler(), { force: true });
  }
  assert.match(refused, /^SLUICE_DISK_FULL block \S+ was not stored: disk full: cannot write received block \S+ \(write-ahead log\) to '/, refused);
  assert.ok(refused.includes(`'${ckpt}/receivedData/`), refused);
  assert.match(refused, /the block is not acknowledged\): no space left on its device\. Free space there, or point the checkpoint directory \(ssc\.checkpoint\(dir\)\), which holds the log, at a larger disk\./, refused);
  await job.waitLine('RECEIVER error ', 30_000, (l) => l.includes('disk full: cannot write received block'));
  assert.equal(await receive(ctl, 3), 'ok');
  const want = [1, 3].flatMap(receiverLines).sort();
  const seen = (): string[] => jsonLines<string[]>(job.lines, 'LINES ').flat().sort();
  await until(() => seen().length >= want.length, 30_000, 'the stored lines in batches');
  fs.writeFileSync(path.join(ctl, 'stop'), '');
  const run = await within(job.done, 30_000, 'the stream to stop');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  assert.deepEqual(seen(), want, 'the stored blocks counted once each; the refused one not at all');
});

test('a receiver block that pushes an older one out to a full --local-dir: store() rejects with SLUICE_DISK_FULL naming it, the driver hears it; blocks before and after are counted once', { timeout: 90_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const ctl = path.join(tmp, 'recv-memory-ctl');
  fs.mkdirSync(ctl);
  const job = await startJob(cluster, fixture('disk-full.ts'), ['receiver-memory', ctl]);
  const want = [1, 3].flatMap(bigReceiverLines).sort();
  const seen = (): string[] => jsonLines<string[]>(job.lines, 'LINES ').flat().sort();
  // A failure below must still end the job (its program waits for `stop`), or the file's
  // cluster would not stop.
  try {
    await job.waitLine('STARTED', 30_000);
    assert.equal(await receive(ctl, 1), 'ok');
    fill();
    let refused: string;
    try {
      refused = await receive(ctl, 2);
    } finally {
      fs.rmSync(filler(), { force: true });
    }
    // The block pushed out is the oldest in memory: the first block, or, where the start's
    // warm-up job ended but its shuffle's removal has not reached the worker yet (seen at CI
    // load), that job's map output. Either names what could not be written, and where.
    assert.match(refused, /^SLUICE_DISK_FULL block input_\S+ was not stored: disk full: cannot write (block input_\S+|the shuffle output of shuffle \d+, map task \d+ \(block shuffle_\S+\)), moved out of memory to make room for block (input_\S+), to '/, refused);
    assert.equal(/make room for block (input_\S+),/.exec(refused)?.[1], /^SLUICE_DISK_FULL block (input_\S+) was not stored/.exec(refused)?.[1], 'the block made room for is the one refused');
    assert.ok(refused.includes(`'${path.join(disk, 'local')}/`), refused);
    assert.match(refused, /local directory\): no space left on its device\. Free space there, or start the worker with --local-dir on a larger disk\./, refused);
    await job.waitLine('RECEIVER error ', 30_000, (l) => l.includes('disk full: cannot write '));
    assert.equal(await receive(ctl, 3), 'ok');
    fs.writeFileSync(path.join(ctl, 'go'), '');
    await until(() => seen().length >= want.length, 30_000, 'the stored lines in batches');
  } finally {
    fs.writeFileSync(path.join(ctl, 'go'), '');
    fs.writeFileSync(path.join(ctl, 'stop'), '');
  }
  const run = await within(job.done, 30_000, 'the stream to stop');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  assert.deepEqual(seen(), want, 'the stored blocks counted once each; the refused one not at all');
});

test('a MEMORY_AND_DISK cache past --memory on a full --local-dir fails with SLUICE_DISK_FULL naming the partition and --local-dir, no worker lost; with space back the same job gives the right answer', { timeout: 120_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const records = 24_000; // 8 partitions of ~600 KiB: past --memory 1 on either worker
  const workers = cluster.workerProcesses.filter((w) => w.exitCode === null && w.signalCode === null);
  fill();
  try {
    const job = await startJob(cluster, fixture('disk-full.ts'), ['cache', String(records)]);
    const run = await within(job.done, 60_000, 'the cache job to end');
    assert.equal(run.ok, false, 'the job failed');
    const f = run.failure!;
    assert.equal(f.code, 'SLUICE_DISK_FULL', JSON.stringify(f));
    assert.match(f.message, /^Job aborted due to stage failure: Task \d in stage \d+\.\d+ failed \d+ times, most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): worker error serving the task's cachePut: disk full: cannot write the cached partition \d of RDD \d+ \(block rdd_[^)]+\), moved out of memory to make room for the cached partition \d of RDD \d+ \(block rdd_[^)]+\), to '/, f.message);
    assert.ok(f.message.includes(`'${path.join(disk, 'local')}/`), f.message);
    assert.match(f.message, /Free space there, or start the worker with --local-dir on a larger disk\./, f.message);
  } finally {
    fs.rmSync(filler(), { force: true });
  }
  for (const w of workers) assert.ok(w.exitCode === null && w.signalCode === null, `worker ${w.pid} still runs (exit ${w.exitCode}, signal ${w.signalCode})`);
  const job = await startJob(cluster, fixture('disk-full.ts'), ['cache', String(records)]);
  const run = await within(job.done, 60_000, 'the cache job to end');
  assert.equal(run.ok, true, JSON.stringify(run.failure));
  assert.deepEqual(jsonLines(job.lines, 'CACHED '), [{ first: records, second: records, sum: (records * (records - 1)) / 2 }]);
});

test('a full checkpoint directory under a stateful stream: the state checkpoint that cannot be written fails the job with SLUICE_DISK_FULL naming it (as Spark); started again with space back, the job recovers from the checkpoint: every line once, every state exact', { timeout: 150_000 }, async (t) => {
  if (!cluster) return t.skip(cannotMount);
  const dirs = { ...jobDirs(path.join(tmp, 'stateful')), ckpt: path.join(disk, 'stateful-ckpt') };
  const args = jobArgs(dirs, 500, 4, 'light'); // updateStateByKey and reduceByKeyAndWindow with an inverse, checkpointed every 4 batches
  const feeder = new Feeder(dirs.input, mulberry32(41));
  let feeding = true;
  const feed = async (): Promise<void> => {
    while (feeding) {
      feeder.file();
      await sleep(250);
    }
  };
  let feedDone: Promise<void> | undefined;
  try {
    const first = await startJob(cluster, RECOVERY_JOB, args);
    try {
      await until(() => fs.existsSync(path.join(dirs.out, `first-${first.id}.json`)), 60_000, 'the first batch');
      feedDone = feed();
      // Full once a state checkpoint was written: metadata warnings until the next one is due.
      await until(() => fs.existsSync(path.join(dirs.ckpt, 'state')) && fs.readdirSync(path.join(dirs.ckpt, 'state')).length > 0, 60_000, 'a state checkpoint');
      fill();
      const run = await within(first.done, 60_000, 'the stream to fail on the full disk');
      assert.equal(run.ok, false, 'the job failed');
      const f = run.failure!;
      assert.equal(f.code, 'SLUICE_DISK_FULL', JSON.stringify(f));
      assert.match(f.message, /most recent failure: Lost task \d+\.\d+ in stage \d+\.\d+ \(TID \S+\) \(worker \S+\): disk full: cannot write checkpoint file part-\d+ to '/, f.message);
      assert.ok(f.message.includes(`'${dirs.ckpt}/state/stream-`), f.message);
      assert.match(f.message, /Free space there, or point the checkpoint directory \(ssc\.checkpoint\(dir\)/, f.message);
    } finally {
      if (!first.ended) fs.writeFileSync(path.join(dirs.control, 'stop'), ''); // a failed check: end it, so the cluster stops
      fs.rmSync(filler(), { force: true });
    }
    // Lines keep arriving while no job runs; the job started again goes on from its checkpoint.
    await sleep(1000);
    const second = await startJob(cluster, RECOVERY_JOB, args);
    await until(() => fs.existsSync(path.join(dirs.out, `first-${second.id}.json`)), 60_000, 'the first recovered batch');
    await sleep(2000);
    feeding = false;
    await feedDone;
    const fed = [...feeder.lines];
    await until(() => new Set([...readOutputs(dirs.out).input.values()].flat()).size >= fed.length, 30_000, 'every fed line in some batch').catch(() => undefined);
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    const run = await within(second.done, 60_000, 'the recovered stream to stop');
    assert.equal(run.ok, true, JSON.stringify(run.failure));

    const o = readOutputs(dirs.out);
    const times = [...o.input.keys()].sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], 500, `no batch time missing after ${times[i - 1]}`);
    const read = times.flatMap((x) => o.input.get(x)!);
    assert.equal(read.length, new Set(read).size, 'no line read by two batches');
    assert.deepEqual([...read].sort(), [...fed].sort(), 'every fed line read');
    const states = expectedStates(o.input);
    const windows = expectedWindows(o.input, 500, 3);
    for (const x of times) {
      assert.deepEqual(o.state.get(x), states.get(x), `state at ${x}`);
      assert.deepEqual(o.window.get(x), windows.get(x), `window at ${x}`);
    }
  } finally {
    feeding = false;
    await feedDone;
  }
});
