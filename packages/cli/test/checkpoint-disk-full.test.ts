// The driver's checkpoint directory filling up under a running stream, on real processes (a
// `sluice driver` and 2 `sluice worker` processes on loopback; the reliable receiver of
// fixtures/stream-receiver-recovery.ts over the test's replayable TCP source, acknowledged only
// after `await store()`, the write-ahead log on and rolled every 500 ms, into updateStateByKey
// checkpointed every 2 batches and a reduceByKeyAndWindow with an inverse over 3 batches). The
// checkpoint directory is a 32 MiB tmpfs; it is filled, and kept full, the moment a new state
// checkpoint's directory appears (its parts being written), so the write-ahead log, the metadata
// checkpoints and the state checkpoint all meet the full disk:
// - the job fails with SLUICE_DISK_FULL naming the state checkpoint's path and what to do (as
//   Spark's RDD checkpoint fails its job) when the batch writing it meets the full disk; when its
//   parts were all written first, the next batch, whose blocks no metadata checkpoint can record,
//   is held instead (since 7 December 2026: run unrecorded, its recovery ran that batch time with
//   other blocks; metadata-full-wal-batches) and the stream waits, a warning naming the batch and
//   the directory; the log's refusals and the metadata warnings name
//   their paths too, no metadata file records a state checkpoint with a part missing, and the
//   log's segments end at their last logged block (a refused append cut off, none empty), so the
//   recovery warns of no torn record (found: the part of a record a full tmpfs took, up to its
//   page's end, stayed, and the recovery said its writer died while appending);
// - the driver and the workers are then killed with -9, space freed, the driver and 2 fresh
//   workers started again and the job submitted again: it recovers from the checkpoint, and every line the source generated is
//   read by exactly one batch, every state and every window equal to a failure-free computation
//   from the batches' own inputs.
// Mounting needs root: outside CI the file skips without it; under CI it fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { sleep } from './harness.js';
import { pollUntil } from './sluice-processes.js';
import { expectedWindows, type Pairs } from './recovery-support.js';
import { assertEachLineReadOnce, assertStatesFailureFree, batchOutputs, fullDiskReceiverFile, fullDiskReceiverPaths, killAll, parseLog, restartReceiverCluster, resubmitUntilRecovered, stopWhenEveryLineRead } from './receiver-fault-support.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches
const WINDOW = 3; // batches

const paths = fullDiskReceiverPaths('ckpt-full', 50, 'checkpoint');
const { out, control, ckpt, secret, procs, source } = paths;
const stateDir = path.join(ckpt, 'state');

/** The first job's driver log, up to its kill; and the failure it logged, or the batch it held for want of a metadata checkpoint. */
let fullLog: Record<string, unknown>[] = [];
let failure: Record<string, unknown> | undefined;
let held: Record<string, unknown> | undefined;
/** Each metadata file's recorded state checkpoints with the parts they lack, at the kill. */
let recordedMissing: string[] = [];
let recorded = 0;
let halfWritten: string[] = [];
/** Log segments ending in an incomplete record (with their complete end and size), or empty, at the kill. */
let tornSegments: string[] = [];
let segmentCount = 0;
/** The restarted driver's log. */
let recoveredLog: Record<string, unknown>[] = [];

const stateDirs = (): string[] => (fs.existsSync(stateDir) ? fs.readdirSync(stateDir).filter((n) => n.startsWith('stream-')) : []);

interface Ref {
  readonly dir: string;
  readonly numPartitions: number;
}

/** Where a log segment's complete records end (walked by their headers: u32 magic, u32 body length, u32 crc), and its size. */
function completeEnd(file: string): { end: number; size: number } {
  const buf = fs.readFileSync(file);
  let at = 0;
  while (at + 12 <= buf.length && buf.readUInt32BE(at) === 0x534c574c && at + 12 + buf.readUInt32BE(at + 4) <= buf.length) at += 12 + buf.readUInt32BE(at + 4);
  return { end: at, size: buf.length };
}

/** Every state checkpoint a metadata file in `ckpt` records (latest and remembered), with its file. */
function recordedCheckpoints(): { file: string; ref: Ref }[] {
  const mdDir = path.join(ckpt, 'metadata');
  return fs
    .readdirSync(mdDir)
    .filter((f) => /^checkpoint-\d+$/.test(f))
    .flatMap((file) => {
      const text = fs.readFileSync(path.join(mdDir, file), 'utf8');
      const md = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { stateCheckpoints: Record<string, Ref>; rememberedStateCheckpoints?: Record<string, Ref[]> };
      const refs = [...Object.values(md.stateCheckpoints), ...Object.values(md.rememberedStateCheckpoints ?? {}).flat()];
      return refs.map((ref) => ({ file, ref }));
    });
}

const ready = fullDiskReceiverFile({
  ...paths,
  size: '32m',
  batchMs: BATCH_MS,
  checkpointEvery: CHECKPOINT_EVERY,
  extraArgs: ['', String(WINDOW)],
  async run({ cluster, args, jobs, fill, release }) {
    const { address, workers } = cluster;
    let driver = cluster.driver;
    source.start(40, 25); // 1,600 lines/s: a block's record (~4 KB) is larger than what a full tmpfs's last page takes

    // 1. Full as a new state checkpoint's directory appears (its parts being written), and kept full.
    await pollUntil(() => (batchOutputs(out, 'state').size >= 3 * CHECKPOINT_EVERY && stateDirs().length > 0 ? true : undefined), 60_000, 'batches past a state checkpoint');
    const before = new Set(stateDirs());
    await pollUntil(() => (stateDirs().some((d) => !before.has(d)) ? true : undefined), 30_000, 'a new state checkpoint directory', 2);
    fill();
    const ended = await pollUntil(() => parseLog(driver.logLines).find((r) => r.msg === 'job failed' || String(r.msg).startsWith('batch held:')), 90_000, 'the job to fail on the full disk, or a batch held');
    // Held: the refusals of the log and the metadata come meanwhile (the receiver keeps storing).
    await sleep(ended.msg === 'job failed' ? 500 : 3000);
    fullLog = parseLog(driver.logLines);
    failure = fullLog.find((r) => r.msg === 'job failed');
    held = fullLog.find((r) => String(r.msg).startsWith('batch held:'));

    // 2. The driver and the workers killed -9 with the disk still full (nothing writes there
    // any more: a receiver restarting on a worker that has not yet heard of the failure would
    // open a segment); what the metadata files record and how the log segments end.
    await killAll([driver, ...workers]);
    const refs = recordedCheckpoints();
    recorded = refs.length;
    for (const { file, ref } of refs) {
      const dir = path.join(ckpt, ref.dir);
      const present = new Set(fs.existsSync(dir) ? fs.readdirSync(dir) : []);
      for (let i = 0; i < ref.numPartitions; i++) if (!present.has(`part-${i}`)) recordedMissing.push(`${file} records ${ref.dir} without part-${i}`);
    }
    const listed = new Set(refs.map((r) => path.basename(r.ref.dir)));
    halfWritten = stateDirs().filter((d) => !listed.has(d));
    const logDir = path.join(ckpt, 'receivedData', '0');
    const segments = fs.readdirSync(logDir).filter((n) => n.endsWith('.wal'));
    segmentCount = segments.length;
    for (const n of segments) {
      const c = completeEnd(path.join(logDir, n));
      if (c.end !== c.size) tornSegments.push(`${n}: complete records end at ${c.end} of ${c.size} bytes`);
      else if (c.size === 0) tornSegments.push(`${n}: empty`);
    }

    // 3. Space back; the driver started again on the same port, the job submitted again: recovered from the checkpoint.
    release();
    driver = await restartReceiverCluster(cluster, secret, procs);
    await resubmitUntilRecovered({ address, secret, args, jobs, out, source, batchMs: BATCH_MS });
    await stopWhenEveryLineRead({ out, control, source, job: jobs[1] });
    recoveredLog = parseLog(driver.logLines);
    console.log(`# ${source.lines.length} lines; ${failure ? 'the job failed' : 'a batch held'} on the full disk; ${recorded} state checkpoints recorded at the kill; not recorded: ${halfWritten.join(', ') || 'none'}`);
  },
});

test('the job fails with SLUICE_DISK_FULL naming the state checkpoint being written and what to do, or holds the batch no metadata checkpoint can record', (t) => {
  if (!ready(t)) return;
  if (failure === undefined) {
    assert.ok(held !== undefined, 'neither failed nor held');
    assert.equal(held.level, 40, 'at warn');
    assert.equal(held.dir, ckpt);
    assert.deepEqual(held.streams, [0]);
    return;
  }
  assert.equal(failure!.code, 'SLUICE_DISK_FULL', JSON.stringify(failure));
  const message = String(failure!.message);
  assert.match(message, /disk full: cannot write checkpoint file part-\d+ to '/, message);
  assert.ok(message.includes(`'${stateDir}/stream-`), message);
  assert.match(message, /no space left on its device\. Free space there, or point the checkpoint directory \(ssc\.checkpoint\(dir\)/, message);
});

test('the write-ahead log and the metadata checkpoints refused by the full disk say so, naming their paths', (t) => {
  if (!ready(t)) return;
  const receiver = fullLog.filter((r) => r.msg === 'receiver reported an error' && String(r.reason).includes('disk full'));
  assert.ok(receiver.length > 0, 'the receiver reported a block the log refused');
  assert.match(String(receiver[0].reason), new RegExp(`cannot write received block \\S+ \\(write-ahead log\\) to '${path.join(ckpt, 'receivedData', '0')}/`), String(receiver[0].reason));
  assert.match(String(receiver[0].reason), /the block is not acknowledged\): no space left on its device\. Free space there, or point the checkpoint directory/, String(receiver[0].reason));
  const metadata = fullLog.filter((r) => r.code === 'SLUICE_DISK_FULL' && String(r.msg).startsWith('metadata checkpoint not written'));
  assert.ok(metadata.length > 0, 'a metadata checkpoint refused');
  assert.ok(String(metadata[0].msg).includes(`'${ckpt}/metadata/checkpoint-`), String(metadata[0].msg));
});

test('the log segments end at their last logged block, none empty (a refused append is cut off, a segment it opened removed): the recovery warns of no torn record', (t) => {
  if (!ready(t)) return;
  assert.ok(segmentCount > 0);
  assert.deepEqual(tornSegments, []);
  assert.deepEqual(recoveredLog.filter((r) => String(r.msg).includes('torn record')).map((r) => r.msg), []);
});

test('no metadata file records a state checkpoint with a part missing', (t) => {
  if (!ready(t)) return;
  assert.ok(recorded > 0, 'the metadata files record state checkpoints');
  assert.deepEqual(recordedMissing, []);
});

test('every window (reduceByKeyAndWindow with an inverse) equals the failure-free computation from the batches\' input', (t) => {
  if (!ready(t)) return;
  const input = batchOutputs<string[]>(out, 'input');
  const words = new Map([...input].map(([time, ls]) => [time, ls.flatMap((l) => l.split(' ').slice(1)).map((w) => `${w} 1`)]));
  const got = batchOutputs<Pairs>(out, 'window');
  const want = expectedWindows(words, BATCH_MS, WINDOW);
  assert.ok(got.size >= input.size - 1, `${got.size} windows for ${input.size} batches`);
  for (const [time, w] of want) assert.deepEqual(got.get(time), w, `window of batch ${time}`);
});

test('every line the source generated was read by exactly one batch: none lost, none twice', (t) => {
  if (!ready(t)) return;
  assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
});

test("every batch state (updateStateByKey) equals the failure-free computation from the batches' input, no batch time missing", (t) => {
  if (!ready(t)) return;
  assertStatesFailureFree(out, BATCH_MS);
});
