// A 10 s pause of the driver (SIGSTOP, then SIGCONT) under a reliable receiver with the
// write-ahead log (fixtures/stream-receiver-recovery.ts: a custom receiver over the test's
// replayable TCP source, acknowledged only after `await store()`; updateStateByKey checkpointed
// every 4 batches). Real processes: `sluice driver`, 2 `sluice worker`s, `sluice submit`. While
// the driver is stopped the receiver goes on storing into the log (its reports wait); resumed,
// the driver generates the batches it missed. Every line the source generated must be read by
// exactly one batch, every batch's state equal a failure-free updateStateByKey computed here.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32, sleep } from './harness.js';
import { pollUntil, randomSecret, withProcessLogs, type SluiceProcess } from './sluice-processes.js';
import { untilJobDone } from './recovery-support.js';
import { batchOutputs, receiverEndChecks, startReceiverCluster, submitReceiverJob, untilEveryLineRead } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';
import { pause, resume } from '@sluice/test-disk/pause';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches
const PAUSE_MS = 10_000;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-receiver-driver-pause-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(29);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');

interface RunResult {
  readonly ackedAtStop: number;
  readonly ackedAtResume: number;
  readonly batchesDuringPause: number;
}
let result: RunResult | undefined;
let setupError: unknown;

const outputs = <T>(kind: string): Map<number, T> => batchOutputs<T>(out, kind);

const submit = (driver: string, args: readonly string[]): Promise<string> => submitReceiverJob(driver, secret, args);

before(async () => {
  try {
    const { address, driver, args } = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY });
    const jobs = [await submit(address, args)];
    const firstOf = (job: string): string => path.join(out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    source.start(5, 25); // 200 lines/s
    await pollUntil(() => (outputs('state').size >= 2 * CHECKPOINT_EVERY + 2 ? true : undefined), 60_000, 'batches past two state checkpoints');
    await sleep(Math.floor(mulberry32(9)() * BATCH_MS));
    pause(driver.child);
    const ackedAtStop = source.acked;
    const statesAtStop = outputs('state').size;
    await sleep(PAUSE_MS);
    const ackedAtResume = source.acked;
    const batchesDuringPause = outputs('state').size - statesAtStop;
    resume(driver.child);
    await pollUntil(() => (outputs('state').size >= statesAtStop + 2 * PAUSE_MS / BATCH_MS + 4 ? true : undefined), 90_000, 'the batches missed during the pause, and more');
    await sleep(6 * BATCH_MS);
    source.stop();
    await untilEveryLineRead(out, source.lines);
    fs.writeFileSync(path.join(control, 'stop'), '');
    await untilJobDone(out, jobs[0]);
    result = { ackedAtStop, ackedAtResume, batchesDuringPause };
  } catch (err) {
    setupError = withProcessLogs(err, procs);
  } finally {
    source.stop();
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) resume(p.child);
  }
}, { timeout: 280_000 });

function ready(): RunResult {
  if (setupError !== undefined) throw setupError;
  return result!;
}

test('while the driver was stopped the receiver went on storing and acknowledging into the log; no batch completed', () => {
  const r = ready();
  console.log(`# ${source.lines.length} lines; ${r.ackedAtStop} acknowledged at the stop, ${r.ackedAtResume} at the resume; ${r.batchesDuringPause} batches completed during the pause; ${source.connections} connections`);
  assert.ok(r.ackedAtResume > r.ackedAtStop, 'lines were acknowledged while the driver was stopped');
  assert.equal(r.batchesDuringPause, 0);
});

receiverEndChecks(ready, out, source, BATCH_MS, procs, root);
