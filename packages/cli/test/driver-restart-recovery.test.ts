// kill -9 of a driver started with --state-dir in the middle of a stateful stream fed by
// a file stream (updateStateByKey); the driver is started again on the same state dir and
// port and, with nothing submitted again, relaunches the job under its id; the job
// recovers through StreamingContext.getOrCreate. Its final state and every batch's output
// equal a failure-free computation done here from the test's own input: no record lost,
// none counted twice. Real processes: `sluice driver`, two `sluice worker`s, `sluice submit`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listJobs } from '../src/submit-client.js';
import { checkAgainstFailureFree, firstBatches, kill9, linesTaken, readOutputs, startFedRestartJob, startStateDirDriver } from './restart-recovery-support.js';
import { pollUntil, type SluiceProcess } from './sluice-processes.js';

const BATCH_MS = 500;

test('kill -9 of the driver mid-stream: started again on its state dir it relaunches the job by itself, and every batch equals a failure-free run', { timeout: 110_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-relaunch-'));
  const procs: SluiceProcess[] = [];
  let stopFeeding = (): void => undefined;
  try {
    const { d, stateDir, secret, port, addr, id, feeder } = await startFedRestartJob(root, BATCH_MS, 8, procs, (stop) => (stopFeeding = stop));
    await kill9(procs[0]);
    const fedAtKill = feeder.lines.length;
    procs[0] = await startStateDirDriver(secret, port, stateDir);
    // Nothing is submitted again: the driver relaunches the job from its state dir.
    assert.deepEqual((await listJobs(addr, { secret })).map((j) => [j.job_id, j.state]), [[id, 'running']]);
    await pollUntil(() => (firstBatches(d.out).length >= 2 ? true : undefined), 40_000, 'a batch of the relaunched program');
    await pollUntil(() => (linesTaken(d.out) >= fedAtKill + 40 ? true : undefined), 40_000, 'the relaunched job to take lines fed after the kill');

    stopFeeding();
    const fed = [...feeder.lines];
    await pollUntil(() => (linesTaken(d.out) >= fed.length ? true : undefined), 30_000, `every fed line (${fed.length}) to be taken`);
    fs.writeFileSync(path.join(d.control, 'stop'), '');
    await pollUntil(async () => ((await listJobs(addr, { secret }))[0]?.state === 'succeeded' ? true : undefined), 30_000, 'the job to stop gracefully');
    const compared = checkAgainstFailureFree(readOutputs(d.out), fed);
    const relaunch = procs[0].logLines.filter((l) => l.includes('relaunching a job of the previous driver')).map((l) => (JSON.parse(l) as { jobId: string }).jobId);
    assert.deepEqual(relaunch, [id]);
    // The job ended: the registry no longer holds it.
    assert.deepEqual((JSON.parse(fs.readFileSync(path.join(stateDir, 'jobs.json'), 'utf8')) as { jobs: unknown[] }).jobs, [], 'the registry is written when the job ends');
    process.stdout.write(`# ${fed.length} lines fed, ${compared} records compared with the failure-free computation\n`);
  } finally {
    stopFeeding();
    for (const p of procs.reverse()) await p.stop();
    if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
    else process.stdout.write('# kept ' + root + '\n');
  }
});
