// A receiver's write-ahead log segment that ends in a torn record, on real processes (a driver
// and worker processes; the reliable receiver of fixtures/stream-receiver-recovery.ts over the
// test's replayable TCP source, acknowledged only after `await store()`, each line's number its
// source position; the log on). First the receiver's worker is killed with -9 while its segment
// grows (polled): the receiver starts again on the other worker and the stream goes on. Then
// the driver is killed with -9, the receiver logs and acknowledges meanwhile, its worker is
// killed with -9 as well, and its last segment is given a torn tail by hand (its last record
// written again, then cut in the middle with `truncate -s`, as a worker killed while appending
// leaves it). The driver started again recovers from the checkpoint and reads the log: no crash
// on the torn tail, a warning naming the segment and how many bytes it skipped (computed here
// by walking the segment's record headers), and every line the source generated read by exactly
// one batch. Found: a torn tail was skipped without a word.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { processAlive } from './harness.js';
import { pollUntil, randomSecret, type SluiceProcess } from './sluice-processes.js';
import { untilJobDone } from './recovery-support.js';
import { batchOutputs, receiverEndChecks, receiverStarts, restartReceiverCluster, resubmitUntilRecovered, startReceiverCluster, stopWhenEveryLineRead, submitReceiverJob } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-torn-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(48);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');
const logDir = path.join(ckpt, 'receivedData', '0');

/** The end of a segment's complete records, walked by their headers (u32 magic, u32 body length, u32 crc). */
function completeEnd(file: string): { end: number; size: number; lastStart: number } {
  const buf = fs.readFileSync(file);
  let at = 0;
  let lastStart = -1;
  while (at + 12 <= buf.length && buf.readUInt32BE(at) === 0x534c574c && at + 12 + buf.readUInt32BE(at + 4) <= buf.length) {
    lastStart = at;
    at += 12 + buf.readUInt32BE(at + 4);
  }
  return { end: at, size: buf.length, lastStart };
}

const segments = (): { name: string; mtime: number; size: number }[] =>
  (fs.existsSync(logDir) ? fs.readdirSync(logDir) : [])
    .filter((n) => n.endsWith('.wal'))
    .flatMap((name) => {
      try {
        const st = fs.statSync(path.join(logDir, name));
        return [{ name, mtime: st.mtimeMs, size: st.size }];
      } catch {
        return []; // deleted meanwhile
      }
    });

/** kill -9 `victim` once the newest segment grows between two polls (its receiver appending); the segment it was writing. */
async function killWhileAppending(victim: SluiceProcess): Promise<string> {
  let last = new Map<string, number>();
  const grown = await pollUntil(
    () => {
      const now = segments();
      const g = now.find((s) => last.has(s.name) && s.size > last.get(s.name)!);
      last = new Map(now.map((s) => [s.name, s.size]));
      if (g) victim.child.kill('SIGKILL');
      return g?.name;
    },
    30_000,
    'a log segment growing',
    2,
  );
  await pollUntil(() => (processAlive(victim.child.pid!) ? undefined : true), 30_000, 'the killed worker to exit');
  return grown;
}

let tornSegment = '';
let droppedBytes = 0;
let killTornBytes = 0;
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

    // 1. The receiver's worker killed while its segment grows: the receiver starts again on the other worker.
    await pollUntil(() => (batchOutputs(out, 'state').size >= CHECKPOINT_EVERY ? true : undefined), 60_000, 'a few batches');
    const firstPid = receiverStarts(control)[0].pid;
    const victim = workers.find((w) => w.child.pid === firstPid)!;
    assert.ok(victim, `the receiver runs on one of the two workers (pid ${firstPid})`);
    const seg = path.join(logDir, await killWhileAppending(victim));
    if (fs.existsSync(seg)) {
      const c = completeEnd(seg);
      killTornBytes = c.size - c.end;
    }
    const ackedAtKill = source.acked;
    await pollUntil(() => (receiverStarts(control).some((s) => s.pid !== firstPid) && source.acked >= ackedAtKill + 400 ? true : undefined), 60_000, 'the receiver started again on the other worker, acknowledging');

    // 2. The driver killed; the receiver logs and acknowledges meanwhile; its worker killed too.
    await pollUntil(() => (batchOutputs(out, 'state').size >= 3 * CHECKPOINT_EVERY ? true : undefined), 60_000, 'batches past a state checkpoint after the worker kill');
    driver.child.kill('SIGKILL');
    await pollUntil(() => (processAlive(driver.child.pid!) ? undefined : true), 30_000, 'the driver to exit');
    const ackedAtDriverKill = source.acked;
    await pollUntil(() => (source.acked >= ackedAtDriverKill + 200 ? true : undefined), 30_000, 'lines logged and acknowledged while the driver is down');
    const second = workers.find((w) => w !== victim)!;
    const last = path.join(logDir, await killWhileAppending(second));
    // The hand-made tear: its last record written again, cut in the middle (unless the kill tore it).
    const c = completeEnd(last);
    if (c.size === c.end) {
      const rec = fs.readFileSync(last).subarray(c.lastStart, c.end);
      fs.appendFileSync(last, rec);
      execFileSync('truncate', ['-s', String(c.end + Math.floor(rec.length / 2)), last]);
    }
    tornSegment = last;
    droppedBytes = fs.statSync(last).size - completeEnd(last).end;
    assert.ok(droppedBytes > 0);

    // 3. The driver started again on the same port, two fresh workers, the job submitted again: recovered from the checkpoint.
    driver = await restartReceiverCluster(cluster, secret, procs);
    await resubmitUntilRecovered({ address, secret, args, jobs, out, source, batchMs: BATCH_MS });
    await stopWhenEveryLineRead({ out, control, source, job: jobs[1] });
    driverLog = driver.logLines;
    console.log(`# ${source.lines.length} lines; the worker kill while appending left ${killTornBytes} torn bytes; ${droppedBytes} torn bytes in ${path.basename(last)} at the restart`);
  } catch (err) {
    const logs = procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-30).map((l) => `[${i}] ${l}`));
    setupError = new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  } finally {
    source.stop();
  }
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

test('the restarted driver reads past the torn tail with a warning naming the segment and the bytes it skipped', () => {
  ready();
  const warned = driverLog.filter((l) => l.includes('ends in a torn record')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const of = warned.filter((w) => w.segment === tornSegment);
  assert.equal(of.length, 1, `one warning for ${tornSegment}:\n${warned.map((w) => JSON.stringify(w)).join('\n')}`);
  assert.equal(of[0].droppedBytes, droppedBytes);
  assert.match(String(of[0].msg), new RegExp(`'${tornSegment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' ends in a torn record: its last ${droppedBytes} bytes`));
});

receiverEndChecks(ready, out, source, BATCH_MS, procs, root);
