// A graceful stop that a restarted driver relaunches to finish (graceful-stop-wal-kill) is bounded
// as any stop: past `--conf spark.streaming.gracefulStopTimeout` (60 s by default; Spark's bounds
// its JobGenerator's stop the same way) the driver cancels the program. With batches still held,
// that cancel must say what it leaves and where (the batches not completed stay pending in the
// checkpoint, their blocks in the write-ahead log, and run when the job is submitted again on it),
// not only 'job ID was cancelled'; and submitted again, nothing is lost. Real processes: a
// `sluice driver --state-dir --conf spark.streaming.gracefulStopTimeout=4s`, 2 `sluice worker`s
// (killed -9 with the driver, 2 fresh ones after), `sluice submit`, `sluice stop --graceful`;
// fixtures/stream-receiver-recovery.ts (a reliable receiver over the test's replayable TCP source
// with the log, updateStateByKey checkpointed), its batches held in their outputs (control/hold)
// from before the stop until after the relaunched job was cancelled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listJobs } from '../src/submit-client.js';
import { runCli } from './harness.js';
import { assertEachLineReadOnce, assertStatesFailureFree, batchOutputs, holdGracefulStop, startReceiverCluster, stopWhenEveryLineRead, submitReceiverJob } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';
import { kill9, startStateDirDriver } from './restart-recovery-support.js';
import { pollUntil, randomSecret, startWorkerProcess, withProcessLogs, type SluiceProcess } from './sluice-processes.js';

const BATCH_MS = 500;
const STOP_LIMIT_S = 4;

test('a graceful stop relaunched by a restarted driver and still held past spark.streaming.gracefulStopTimeout is cancelled saying its batches stay pending in the checkpoint; submitted again, every acknowledged line is read once', { timeout: 180_000 }, async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-graceful-stop-timeout-'));
  const [out, control, ckpt, stateDir] = ['out', 'control', 'ckpt', 'state'].map((n) => path.join(root, n));
  const source = new ReplayableSource(53);
  const procs: SluiceProcess[] = [];
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  try {
    const startDriver = (port: number): Promise<SluiceProcess> => startStateDirDriver(secret, port, stateDir, ['--conf', `spark.streaming.gracefulStopTimeout=${STOP_LIMIT_S}s`]);
    const cluster = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: 2, startDriver });
    const { address: addr, driver, workers, args } = cluster;
    const job = await submitReceiverJob(addr, secret, args);
    source.start(4, 25);
    await pollUntil(() => (batchOutputs(out, 'input').size >= 4 ? true : undefined), 60_000, '4 batches');

    // Batches held in their outputs, the graceful stop asked, the driver and its workers killed
    // once the receiver stopped acknowledging: the stop is left to the next driver.
    await holdGracefulStop({ driver: addr, secret, job, control, stateDir, source });
    await kill9(driver);
    for (const w of workers) await kill9(w);
    source.stop();
    const ackedAtKill = source.acked;
    const readBefore = new Set([...batchOutputs<string[]>(out, 'input').values()].flat());
    const unreadAtKill = source.lines.slice(0, ackedAtKill).filter((l) => !readBefore.has(l)).length;
    assert.ok(unreadAtKill > 0, 'acknowledged lines wait in held batches at the kill');

    // Started again, still held: the relaunched stop cannot end, and the bound cancels it.
    const driver2 = await startDriver(cluster.port);
    procs.push(driver2);
    procs.push(await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret));
    const ended = await pollUntil(async () => {
      const j = (await listJobs(addr, { secret })).find((x) => x.job_id === job);
      return j !== undefined && j.state !== 'running' ? j : undefined;
    }, 60_000, 'the relaunched job to end past its stop bound');
    assert.ok(driver2.logLines.some((l) => l.includes(job) && l.includes('relaunching it to finish its graceful stop')), 'the new driver relaunched the job to finish its stop');
    const said = driver2.logLines.filter((l) => l.includes('"level":40') && l.includes(`the graceful stop of job ${job} did not end within ${STOP_LIMIT_S} s`));
    assert.equal(said.length, 1, `the driver warns once that the relaunched stop passed its bound:\n${driver2.logLines.slice(-20).join('\n')}`);
    assert.match(said[0], /--conf spark\.streaming\.gracefulStopTimeout on 'sluice driver' or 'sluice run'.*with batches of what its receivers had stored not yet run: with a checkpoint directory, the batches not completed stay pending in it \(received blocks in its write-ahead log\) and run when the job is submitted again on it/);
    assert.equal(ended.state, 'stopped', `the job ends stopped, as any stop: ${JSON.stringify(ended)}`);
    assert.match(ended.error ?? '', new RegExp(`the graceful stop of job ${job} did not end within ${STOP_LIMIT_S} s.*stay pending in it`), `its error says what the cut-short stop left (sluice jobs): ${JSON.stringify(ended)}`);
    // A client attached to the job (`sluice attach`, as an attached `sluice submit` follows it)
    // is told the same words, not only 'was stopped', and exits 0: the stop was asked for.
    const attached = await runCli(['attach', job, '--driver', addr], { env });
    assert.equal(attached.code, 0, attached.stderr);
    assert.match(attached.stderr, new RegExp(`job ${job} was stopped \\(sluice stop --graceful\\), cut short: the graceful stop of job ${job} did not end within ${STOP_LIMIT_S} s.*the batches not completed stay pending in it`), `the attached client says what the cut-short stop left:\n${attached.stderr}`);

    // Submitted again on the same checkpoint, let go: the pending batches run, nothing is lost.
    fs.rmSync(path.join(control, 'hold'));
    const again = await submitReceiverJob(addr, secret, args);
    await stopWhenEveryLineRead({ out, control, source, job: again });
    assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
    assertStatesFailureFree(out, BATCH_MS);
    t.diagnostic(`${ackedAtKill} lines acknowledged at the kill, ${unreadAtKill} of them unread then; ${source.lines.length} generated, each read once after the resubmission`);
  } catch (err) {
    throw withProcessLogs(err, procs);
  } finally {
    for (const p of [...procs].reverse()) await p.stop();
    await source.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
