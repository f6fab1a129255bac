// Faults in a row around a driver crash, under a reliable receiver with the write-ahead log
// (fixtures/stream-receiver-recovery.ts: a custom receiver over the test's replayable TCP
// source, acknowledged only after `await store()`; updateStateByKey checkpointed every 4
// batches). Real processes: `sluice driver`, 3 `sluice worker`s, `sluice submit`.
// 1. The driver is killed with -9 mid-stream; the receiver goes on logging and acknowledging
//    while it is down.
// 2. A driver started again on the port, the job submitted again: as soon as the recovered
//    job's receiver has connected and acknowledged lines, its worker is killed with -9 (the
//    recovery re-runs the pending batches from the log meanwhile); a fresh worker is started,
//    and once the receiver acknowledges lines from another worker, that worker is killed too.
// At the end every line the source generated was read by exactly one batch (the source sends
// again what a killed receiver had not acknowledged; each line's number is its source
// position, so none counts twice), and every batch's state equals a failure-free
// updateStateByKey over the batches' input, computed here.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32, sleep } from './harness.js';
import { exited, pollUntil, randomSecret, withProcessLogs, type SluiceProcess } from './sluice-processes.js';
import { driverAndWorkers, driverOn, untilJobDone, workersJoined } from './recovery-support.js';
import { batchOutputs, receiverEndChecks, receiverStarts, submitReceiverJob, untilEveryLineRead } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-receiver-double-fault-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(29);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');

interface RunResult {
  readonly jobs: string[];
  readonly ackedAtKill: number;
  readonly killedReceivers: number[];
  /** Whether the recovered job had completed a batch when its receiver's worker was killed. */
  readonly recoveredBatchAtKill: boolean;
  readonly connections: number;
}
let result: RunResult | undefined;
let setupError: unknown;

const outputs = <T>(kind: string): Map<number, T> => batchOutputs<T>(out, kind);

const submit = (driver: string, args: readonly string[]): Promise<string> => submitReceiverJob(driver, secret, args);

before(async () => {
  try {
    fs.mkdirSync(out, { recursive: true });
    fs.mkdirSync(control, { recursive: true });
    const srcPort = await source.listen();
    const cluster = await driverAndWorkers(secret, procs, 3);
    const { port, address, workers, addWorker } = cluster;
    let driver = cluster.driver;
    const args = [ckpt, out, control, String(BATCH_MS), String(CHECKPOINT_EVERY), '127.0.0.1', String(srcPort)];
    const jobs = [await submit(address, args)];
    const firstOf = (job: string): string => path.join(out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    source.start(5, 25); // 200 lines/s

    // 1. Past two state checkpoints, at a seeded moment inside a batch interval.
    await pollUntil(() => (outputs('state').size >= 2 * CHECKPOINT_EVERY + 2 ? true : undefined), 60_000, 'batches past two state checkpoints');
    await sleep(Math.floor(mulberry32(9)() * BATCH_MS));
    driver.child.kill('SIGKILL');
    await exited(driver);
    const ackedAtKill = source.acked;
    await pollUntil(() => (source.acked >= ackedAtKill + 200 ? true : undefined), 30_000, 'lines logged and acknowledged while the driver is down');

    // 2. The recovered job's receiver's worker killed as soon as the receiver started, then its successor's.
    driver = await driverOn(port, secret);
    procs.push(driver);
    await workersJoined(driver, 3);
    const resubmittedAt = Date.now();
    // Counted before the resubmit and before each kill, not after: the next receiver may
    // connect while the submit, or the added worker's start, is still under way (CI at load
    // 30: the receiver restarted 1 s after kill 1 and connected before addWorker returned).
    let connectionsBefore = source.connections;
    jobs.push(await submit(address, args));
    const killedReceivers: number[] = [];
    let recoveredBatchAtKill = true;
    for (let k = 0; k < 2; k++) {
      // Started on a live worker, connected to the source, and acknowledged lines there.
      const start = await pollUntil(
        () => {
          const s = receiverStarts(control).find((x) => x.at >= resubmittedAt && workers.has(x.pid) && !killedReceivers.includes(x.pid));
          const c = source.perConnection[source.perConnection.length - 1];
          return s !== undefined && source.connections > connectionsBefore && c !== undefined && c.openedAt >= s.at && c.acks.length > 0 ? s : undefined;
        },
        60_000,
        `the recovered job's receiver acknowledging lines (kill ${k + 1})`,
        5,
      );
      if (k === 0) recoveredBatchAtKill = fs.existsSync(firstOf(jobs[1]));
      const victim = workers.get(start.pid)!;
      connectionsBefore = source.connections;
      victim.child.kill('SIGKILL');
      await exited(victim);
      workers.delete(start.pid);
      killedReceivers.push(start.pid);
      await addWorker();
    }

    // A few batches after the receiver settled, then every line read and the job stopped.
    await pollUntil(() => (receiverStarts(control).some((s) => workers.has(s.pid) && s.at >= resubmittedAt) ? true : undefined), 60_000, 'the receiver on a live worker');
    await pollUntil(() => (fs.existsSync(firstOf(jobs[1])) ? true : undefined), 60_000, 'the first recovered batch');
    await sleep(6 * BATCH_MS);
    source.stop();
    await untilEveryLineRead(out, source.lines);
    fs.writeFileSync(path.join(control, 'stop'), '');
    await untilJobDone(out, jobs[1]);
    result = { jobs, ackedAtKill, killedReceivers, recoveredBatchAtKill, connections: source.connections };
  } catch (err) {
    setupError = withProcessLogs(err, procs);
  } finally {
    source.stop();
  }
}, { timeout: 480_000 });

function ready(): RunResult {
  if (setupError !== undefined) throw setupError;
  return result!;
}

test('the faults landed where meant: the recovered job\'s receiver killed with its worker twice in a row', () => {
  const r = ready();
  console.log(`# ${source.lines.length} lines, ${r.ackedAtKill} acknowledged at the driver's kill; receivers killed on ${r.killedReceivers.join(', ')} (recovered batch done at the first: ${r.recoveredBatchAtKill}); ${r.connections} connections, ${source.resent} lines sent again`);
  assert.equal(r.killedReceivers.length, 2);
  assert.notEqual(r.killedReceivers[0], r.killedReceivers[1]);
  assert.ok(r.connections >= 4, 'the source served the first receiver, the recovered one, and two after the kills');
});

receiverEndChecks(ready, out, source, BATCH_MS, procs, root);
