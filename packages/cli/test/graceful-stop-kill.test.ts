// kill -9 of the driver during a graceful stop (ssc.stop({ graceful: true })), then the
// driver started again on its --state-dir: it relaunches the job, which recovers from its
// checkpoint (StreamingContext.getOrCreate) and stops gracefully again (its stop file is
// still there). A stateful stream (updateStateByKey) over a file stream; while the first
// stop runs, a batch of it waits in its outputs until the kill (control/slow), so the kill
// lands inside the stop however loaded the machine (with each batch's output slowed by 1 s
// alone, a kill 3 s late came after the stop had ended).
// Every fed line is taken by exactly one batch and every batch's state equals a failure-free
// computation done here from the test's own input. Real processes: `sluice driver`, two
// `sluice worker`s, `sluice submit`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listJobs } from '../src/submit-client.js';
import { checkAgainstFailureFree, kill9, linesTaken, readOutputs, startFedRestartJob, startStateDirDriver } from './restart-recovery-support.js';
import { pollUntil, type SluiceProcess } from './sluice-processes.js';

const BATCH_MS = 500;

/** The runs' out/<kind>-<programStart>.json markers (stopping, stopped), by program start. */
const markers = (out: string, kind: string): number[] => fs.readdirSync(out).flatMap((n) => (new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n) ? [Number(n.slice(kind.length + 1, -5))] : [])).sort((a, b) => a - b);

test('kill -9 of the driver during a graceful stop: started again on its state dir, the job recovers from its checkpoint and stops gracefully; every batch equals a failure-free run', { timeout: 110_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-graceful-kill-'));
  const procs: SluiceProcess[] = [];
  let stopFeeding = (): void => undefined;
  try {
    const { d, stateDir, secret, port, addr, id, feeder } = await startFedRestartJob(root, BATCH_MS, 21, procs, (stop) => (stopFeeding = stop));
    stopFeeding();

    // Slow batches, three more files, then the stop: the program calls ssc.stop({ graceful: true }),
    // which waits for the batches up to the next tick; killed once one of them is in its
    // outputs (its input written after the stop was called, its state held while control/slow
    // exists: the fixture's out/stop-held-<t>.json).
    fs.writeFileSync(path.join(d.control, 'slow'), '');
    for (let i = 0; i < 3; i++) feeder.file();
    const fed = [...feeder.lines];
    fs.writeFileSync(path.join(d.control, 'stop'), '');
    const [first] = await pollUntil(() => (markers(d.out, 'stopping').length > 0 ? markers(d.out, 'stopping') : undefined), 30_000, 'the graceful stop to start');
    const inFlight = await pollUntil(() => markers(d.out, 'stop-held')[0], 30_000, 'a batch of the graceful stop held in its outputs');
    const atKill = readOutputs(d.out);
    assert.ok(atKill.input.has(inFlight) && !atKill.state.has(inFlight), `batch ${inFlight} is in its outputs: its input written, its state not`);
    await kill9(procs[0]);
    assert.deepEqual(markers(d.out, 'stopped'), [], 'the driver died before its graceful stop ended');
    const takenAtKill = linesTaken(d.out);
    fs.rmSync(path.join(d.control, 'slow'));

    procs[0] = await startStateDirDriver(secret, port, stateDir);
    assert.deepEqual((await listJobs(addr, { secret })).map((j) => [j.job_id, j.state]), [[id, 'running']], 'the driver relaunches the job that was stopping');
    await pollUntil(async () => ((await listJobs(addr, { secret }))[0]?.state === 'succeeded' ? true : undefined), 60_000, 'the relaunched job to stop gracefully');
    const stopped = markers(d.out, 'stopped');
    assert.equal(stopped.length, 1, 'the relaunched program stopped gracefully');
    assert.ok(stopped[0]! > first!, 'the relaunched program, not the killed one');
    const compared = checkAgainstFailureFree(readOutputs(d.out), fed);
    assert.ok(readOutputs(d.out).state.has(inFlight), `batch ${inFlight}, killed in its outputs, was run again`);
    process.stdout.write(`# ${fed.length} lines fed, ${takenAtKill} taken when the driver was killed in its graceful stop (batch ${inFlight} in its outputs); ${compared} records compared with the failure-free computation\n`);
  } finally {
    stopFeeding();
    for (const p of procs.reverse()) await p.stop();
    if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
    else process.stdout.write('# kept ' + root + '\n');
  }
});
