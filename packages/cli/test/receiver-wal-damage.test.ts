// Bytes changed INSIDE a receiver's write-ahead log segment, in acknowledged records that later
// records follow (receiver-wal-torn-tail.test is the neighbour: a torn last record), on real
// processes: a driver and worker processes; the reliable receiver of
// fixtures/stream-receiver-recovery.ts over the test's replayable TCP source, acknowledged only
// after `await store()`, each line's number its source position; the log on. The driver is killed
// with -9, the receiver logs and acknowledges meanwhile, its worker is killed -9 too, and two of
// the records logged after the driver died, each with records after it, are damaged by hand: one's
// bytes flipped in its middle (its CRC no longer matches), one's length field flipped (its framing
// gone: before, the scan took it for a torn tail and skipped the acknowledged records after it,
// or threw on the bytes it landed on). The driver started again reads the log: each damaged
// record is reported once with its segment, offset and the source positions it held (computed
// here by walking the segment's records by hand before the damage), the records after it are
// read, and every other line the source generated is read by exactly one batch; the damaged
// records' lines by none (acknowledged, the source does not send them again).
// Spark's FileBasedWriteAheadLogReader has no checksum: it stops at the first record it cannot
// read and the rest of the file is not read (an EOF logged at debug level).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { processAlive } from './harness.js';
import { pollUntil, randomSecret, type SluiceProcess } from './sluice-processes.js';
import { untilJobDone } from './recovery-support.js';
import { assertStatesFailureFree, batchOutputs, receiverStarts, restartReceiverCluster, resubmitUntilRecovered, startReceiverCluster, submitReceiverJob } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-damage-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(48);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');
const logDir = path.join(ckpt, 'receivedData', '0');

interface Rec {
  segment: string;
  offset: number;
  length: number;
  firstPosition: number;
  numRecords: number;
}

/** A segment's complete records, walked by hand: u32 magic, u32 body length, u32 crc, then u16 id length, id, u32 record count, f64 first position. */
function recordsOf(file: string): Rec[] {
  const buf = fs.readFileSync(file);
  const recs: Rec[] = [];
  let at = 0;
  while (at + 12 <= buf.length && buf.readUInt32BE(at) === 0x534c574c && at + 12 + buf.readUInt32BE(at + 4) <= buf.length) {
    const length = 12 + buf.readUInt32BE(at + 4);
    const idLength = buf.readUInt16BE(at + 12);
    recs.push({ segment: file, offset: at, length, numRecords: buf.readUInt32BE(at + 14 + idLength), firstPosition: buf.readDoubleBE(at + 18 + idLength) });
    at += length;
  }
  return recs;
}

const damaged: Rec[] = [];
let setupError: unknown;
let driverLog: string[] = [];

before(async () => {
  try {
    const cluster = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY });
    const { port, address, workers, args } = cluster;
    let driver = cluster.driver;
    const jobs = [await submitReceiverJob(address, secret, args)];
    const firstOf = (job: string): string => path.join(out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    source.start(40, 25); // 1,600 lines/s

    // The driver killed past a state checkpoint; the receiver logs and acknowledges meanwhile; its worker killed too.
    await pollUntil(() => (batchOutputs(out, 'state').size >= 2 * CHECKPOINT_EVERY ? true : undefined), 60_000, 'batches past a state checkpoint');
    driver.child.kill('SIGKILL');
    await pollUntil(() => (processAlive(driver.child.pid!) ? undefined : true), 30_000, 'the driver to exit');
    const ackedAtDriverKill = source.acked;
    await pollUntil(() => (source.acked >= ackedAtDriverKill + 1200 ? true : undefined), 30_000, 'lines logged and acknowledged while the driver is down');
    const receiverPid = receiverStarts(control).at(-1)!.pid;
    const victim = workers.find((w) => w.child.pid === receiverPid);
    assert.ok(victim, `the receiver runs on one of the two workers (pid ${receiverPid})`);
    victim.child.kill('SIGKILL');
    await pollUntil(() => (processAlive(victim.child.pid!) ? undefined : true), 30_000, 'the killed worker to exit');

    // Records logged after the driver died (no driver had them), each followed by another in its segment.
    const candidates = fs
      .readdirSync(logDir)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .flatMap((n) => recordsOf(path.join(logDir, n)).slice(0, -1))
      .filter((r) => r.firstPosition >= ackedAtDriverKill && r.numRecords > 0);
    assert.ok(candidates.length >= 4, `at least 4 records logged after the driver died with a record after them (got ${candidates.length})`);
    damaged.push(candidates[0], candidates[2]);
    const fd = fs.openSync(candidates[0].segment, 'r+');
    try {
      // The first: 4 bytes flipped in the middle of its body (its CRC no longer matches).
      const mid = candidates[0].offset + Math.floor(candidates[0].length / 2);
      const b = Buffer.alloc(4);
      fs.readSync(fd, b, 0, 4, mid);
      for (let i = 0; i < 4; i++) b[i] ^= 0xff;
      fs.writeSync(fd, b, 0, 4, mid);
    } finally {
      fs.closeSync(fd);
    }
    const fd2 = fs.openSync(candidates[2].segment, 'r+');
    try {
      // The second: its length field's top byte flipped (the record now runs past the end of the file).
      const b = Buffer.alloc(1);
      fs.readSync(fd2, b, 0, 1, candidates[2].offset + 4);
      b[0] ^= 0x7f;
      fs.writeSync(fd2, b, 0, 1, candidates[2].offset + 4);
    } finally {
      fs.closeSync(fd2);
    }

    // The driver started again on the same port, two fresh workers, the job submitted again: recovered from the checkpoint.
    const survivor = workers.find((w) => w !== victim)!;
    await survivor.stop();
    driver = await restartReceiverCluster(cluster, secret, procs);
    await resubmitUntilRecovered({ address, secret, args, jobs, out, source, batchMs: BATCH_MS });
    const lost = lostLines();
    const expected = source.lines.filter((l) => !lost.has(l));
    let unreadBefore = Infinity;
    let since = Date.now();
    await pollUntil(
      () => {
        const seen = new Set([...batchOutputs<string[]>(out, 'input').values()].flat());
        const unread = expected.filter((l) => !seen.has(l)).length;
        if (unread === 0) return true;
        if (unread < unreadBefore) [unreadBefore, since] = [unread, Date.now()];
        // The source stopped: lines still unread once no batch has read one for 30 s are not coming.
        if (Date.now() - since > 30_000) throw new Error(`no batch read a new line for 30 s: ${unread} of ${expected.length} lines (the damaged records' left out) unread`);
        return undefined;
      },
      300_000,
      'every line but the damaged records read',
    );
    fs.writeFileSync(path.join(control, 'stop'), '');
    await untilJobDone(out, jobs[1]);
    driverLog = driver.logLines;
    console.log(`# ${source.lines.length} lines; damaged records at ${damaged.map((r) => `${path.basename(r.segment)}@${r.offset} (${r.numRecords} lines)`).join(', ')}`);
  } catch (err) {
    const logs = procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-30).map((l) => `[${i}] ${l}`));
    setupError = new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  } finally {
    source.stop();
  }
});

/** The lines the damaged records held (by their source positions). */
function lostLines(): Set<string> {
  const lost = new Set<string>();
  for (const r of damaged) for (let k = r.firstPosition; k < r.firstPosition + r.numRecords; k++) lost.add(source.lines[k]);
  return lost;
}

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

test('the restarted driver reports each damaged record once with its segment, offset and the source positions lost, and reads the records after it', () => {
  ready();
  const warned = driverLog.filter((l) => l.includes('is damaged at offset')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(warned.length, 2, `two warnings:\n${warned.map((w) => JSON.stringify(w)).join('\n')}`);
  for (const [i, r] of damaged.entries()) {
    const w = warned.find((x) => x.segment === r.segment && x.offset === r.offset);
    assert.ok(w, `a warning for ${r.segment} at ${r.offset}:\n${warned.map((x) => JSON.stringify(x)).join('\n')}`);
    assert.deepEqual(w.lostPositions, [r.firstPosition, r.firstPosition + r.numRecords], `damaged record ${i}: the positions lost`);
    assert.equal(w.handedOut, false);
    assert.ok(Number(w.recordsAfter) >= 1, 'records after it are read');
    assert.match(String(w.msg), new RegExp(`segment '${r.segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is damaged at offset ${r.offset} \\(`));
    assert.match(String(w.msg), /their records are lost.*restore the segment from a backup/);
  }
});

test("every line but the damaged records' was read by exactly one batch, and those by none", () => {
  ready();
  const lost = lostLines();
  assert.equal(lost.size, damaged.reduce((n, r) => n + r.numRecords, 0));
  const counts = new Map<string, number>();
  for (const l of [...batchOutputs<string[]>(out, 'input').values()].flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, c]) => c > 1).map(([l]) => l).slice(0, 10), [], 'lines read by more than one batch');
  assert.deepEqual([...counts.keys()].filter((l) => lost.has(l)).slice(0, 10), [], 'lines of the damaged records read');
  assert.deepEqual([...counts.keys()].sort(), source.lines.filter((l) => !lost.has(l)).sort(), 'the lines read are the lines generated less the damaged records');
});

test("every batch state (updateStateByKey) equals the failure-free computation from the batches' input", () => {
  ready();
  assertStatesFailureFree(out, BATCH_MS);
});

after(async () => {
  for (const p of [...procs].reverse()) await p.stop();
  await source.close();
  fs.rmSync(root, { recursive: true, force: true });
});
