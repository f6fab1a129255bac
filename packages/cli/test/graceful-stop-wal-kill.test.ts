// kill -9 of a standing driver in the middle of `sluice stop --graceful` of a receiver stream
// with the write-ahead log, then the driver started again on its --state-dir. A graceful stop
// promises that every batch of what the receivers stored runs before the job stops; the
// received blocks of the batches still pending when the driver died are in the log, and the
// pending batches in the metadata checkpoint. Real processes: a `sluice driver --state-dir`,
// 2 `sluice worker`s (killed -9 with the driver, 2 fresh ones after), `sluice submit`,
// `sluice stop`; fixtures/stream-receiver-recovery.ts (a reliable receiver over the test's
// replayable TCP source, each line acknowledged only once logged; updateStateByKey,
// checkpointed), its batches held in their outputs (control/hold) from before the stop until
// the kill, so the kill lands inside the stop with batches pending however loaded the machine.
// The driver started again relaunches the job to finish its stop: it recovers from its
// checkpoint, runs the pending batches from the log and stops gracefully (`sluice jobs`:
// stopped). Every line the source had acknowledged is read by exactly one batch, no line
// twice, every batch's state equals a failure-free updateStateByKey, no batch time missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listJobs } from '../src/submit-client.js';
import { assertStatesFailureFree, batchOutputs, holdGracefulStop, receiverStarts, startReceiverCluster, submitReceiverJob } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';
import { kill9, startStateDirDriver } from './restart-recovery-support.js';
import { pollUntil, randomSecret, startWorkerProcess, withProcessLogs, type SluiceProcess } from './sluice-processes.js';

const BATCH_MS = 500;

test('kill -9 of the driver inside `sluice stop --graceful` of a receiver stream with the log: started again on its state dir, it finishes the stop; every acknowledged line read once, every state exact', { timeout: 150_000 }, async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-graceful-wal-kill-'));
  const [out, control, ckpt, stateDir] = ['out', 'control', 'ckpt', 'state'].map((n) => path.join(root, n));
  const source = new ReplayableSource(52);
  const procs: SluiceProcess[] = [];
  const secret = randomSecret();
  try {
    const cluster = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: 2, startDriver: (port) => startStateDirDriver(secret, port, stateDir) });
    const { address: addr, port, driver, workers } = cluster;
    const job = await submitReceiverJob(addr, secret, cluster.args);
    source.start(4, 25);
    await pollUntil(() => (fs.existsSync(path.join(out, `first-${job}.json`)) ? true : undefined), 60_000, 'the first batch');
    await pollUntil(() => (batchOutputs(out, 'input').size >= 4 ? true : undefined), 60_000, '4 batches');

    // Batches held in their outputs, then the graceful stop: it stops the receiver and waits for
    // the batches of what it stored, which stay pending until the kill.
    await holdGracefulStop({ driver: addr, secret, job, control, stateDir, source });
    const pendingFrom = Math.max(...batchOutputs(out, 'input').keys());
    await kill9(driver);
    for (const w of workers) await kill9(w);
    source.stop();
    const ackedAtKill = source.acked;
    const held = fs.readdirSync(control).filter((n) => n.startsWith('held-')).length;
    fs.rmSync(path.join(control, 'hold'));

    // Started again on its state dir, with 2 fresh workers: the job's stop is finished.
    const driver2 = await startStateDirDriver(secret, port, stateDir);
    procs.push(driver2);
    procs.push(await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret));
    const readLines = (): Set<string> => new Set([...batchOutputs<string[]>(out, 'input').values()].flat());
    await pollUntil(() => (fs.existsSync(path.join(out, `done-${job}.json`)) ? true : undefined), 90_000, 'the relaunched job to end its graceful stop').catch((err: Error) => {
      const unread = source.lines.slice(0, ackedAtKill).filter((l) => !readLines().has(l)).length;
      throw new Error(`${err.message}: ${unread} of the ${ackedAtKill} lines acknowledged before the kill read by no batch; ${held} batch(es) held at the kill, the last output before it batch ${pendingFrom}`);
    });
    await pollUntil(async () => ((await listJobs(addr, { secret })).find((j) => j.job_id === job)?.state === 'stopped' ? true : undefined), 30_000, 'the relaunched job to be listed as stopped');
    const relaunched = driver2.logLines.filter((l) => l.includes(job) && l.includes('graceful stop'));
    assert.ok(relaunched.length >= 1, `the new driver says it relaunched the job to finish its graceful stop:\n${driver2.logLines.slice(-30).join('\n')}`);

    // Nothing lost, nothing twice: every line the source had acknowledged (by the end) read by
    // exactly one batch, no line read twice, none read that it did not generate.
    const inputs = batchOutputs<string[]>(out, 'input');
    const counts = new Map<string, number>();
    for (const l of [...inputs.values()].flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, c]) => c > 1).slice(0, 10), [], 'lines read by more than one batch');
    const acknowledged = source.lines.slice(0, source.acked);
    assert.ok(source.acked >= ackedAtKill);
    assert.deepEqual(acknowledged.filter((l) => !counts.has(l)).slice(0, 10), [], 'acknowledged lines read by no batch');
    // (Lines the receiver logged as it was stopped, its acknowledgement not sent, are read too: once.)
    const generated = new Set(source.lines);
    assert.deepEqual([...counts.keys()].filter((l) => !generated.has(l)).slice(0, 10), [], 'lines read that the source did not generate');
    assert.ok(Math.max(...inputs.keys()) > pendingFrom, 'batches pending at the kill ran after it');
    assertStatesFailureFree(out, BATCH_MS);
    t.diagnostic(`${ackedAtKill} lines acknowledged at the kill (${source.acked} at the end), ${held} batch(es) held, ${[...inputs.keys()].filter((b) => b > pendingFrom).length} batches run after the kill; receiver starts ${receiverStarts(control).length}`);
  } catch (err) {
    throw withProcessLogs(err, procs);
  } finally {
    for (const p of [...procs].reverse()) await p.stop();
    await source.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
