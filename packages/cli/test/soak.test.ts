// The soak: during a stateful stream fed by a file stream (updateStateByKey, recovered with
// StreamingContext.getOrCreate), a random process — the driver (started with --state-dir)
// or one of two workers — is killed with kill -9 every ~10 s and started again (the driver
// on the same port and state dir: it relaunches the job by itself). At the end every
// batch's input and state equal a failure-free computation done here from the test's own
// input. Prints how many kills it made and how many records it compared.
// Runs SLUICE_SOAK_SECONDS of kills: 90 by default (the CI's), SLUICE_SOAK_SECONDS=600 or more
// for a long soak. The victims come from a fixed seed: driver, worker 1, driver, worker 2,
// driver, worker 1, driver, driver, worker 2, ... At 90 s about 8 kills (each kind of process,
// a driver killed again after a worker and right after its own relaunch), the first 8 of the
// 12 the file made in 180 s when it killed every ~15 s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listJobs } from '../src/submit-client.js';
import { freePort, mulberry32, runCli, sleep } from './harness.js';
import { RESTART_JOB, Feeder, checkAgainstFailureFree, firstBatches, jobArgs, jobDirs, linesTaken, readOutputs } from './restart-recovery-support.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const SOAK_MS = Number(process.env.SLUICE_SOAK_SECONDS ?? 90) * 1000;
const BATCH_MS = 500;
const KILL_EVERY_MS = 10_000;

test(`soak: kill -9 of a random process every ~${KILL_EVERY_MS / 1000} s for ${SOAK_MS / 1000} s; the result equals the failure-free run's`, { timeout: SOAK_MS + 150_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-soak-'));
  const d = jobDirs(root);
  const stateDir = path.join(root, 'state');
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const rand = mulberry32(2026);
  const startDriver = (): Promise<SluiceProcess> =>
    spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '500', '--worker-timeout-ms', '5000', '--state-dir', stateDir], secret, /driver listening/);
  const procs: { driver: SluiceProcess; workers: SluiceProcess[] } = { driver: await startDriver(), workers: [] };
  let stopFeeding = (): void => undefined;
  const kills: string[] = [];
  try {
    procs.workers.push(await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret));
    const sub = await runCli(['submit', RESTART_JOB, '--driver', addr, '--detach', '--', ...jobArgs(d, BATCH_MS)], { env });
    assert.equal(sub.code, 0, sub.stderr);
    // Files already there when the stream starts are not new: feed from its first batch on.
    await pollUntil(() => (firstBatches(d.out).length > 0 ? true : undefined), 40_000, 'the first batch');
    const feeder = new Feeder(d, mulberry32(7));
    stopFeeding = feeder.every(150);
    await pollUntil(() => (linesTaken(d.out) > 0 ? true : undefined), 40_000, 'the first batch with input');
    const end = Date.now() + SOAK_MS;
    while (Date.now() + KILL_EVERY_MS / 2 < end) {
      await sleep(KILL_EVERY_MS * (0.7 + 0.6 * rand()));
      const victim = Math.floor(rand() * 3); // 0: the driver, 1-2: a worker
      const p = victim === 0 ? procs.driver : procs.workers[victim - 1];
      const gone = p.child.exitCode !== null || p.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.child.once('exit', () => r()));
      p.child.kill('SIGKILL');
      await gone;
      kills.push(victim === 0 ? 'driver' : `worker ${victim}`);
      if (victim === 0) procs.driver = await startDriver();
      else procs.workers[victim - 1] = await startWorkerProcess(addr, secret);
    }
    stopFeeding();
    const fed = [...feeder.lines];
    const takenAtEnd = linesTaken(d.out);
    await pollUntil(() => (linesTaken(d.out) >= fed.length ? true : undefined), 60_000, `every fed line (${fed.length}) to be taken`).catch((err: unknown) => {
      // What the job was doing: how far it got in the wait, and the driver's last words.
      throw new Error(`${(err as Error).message}; taken ${takenAtEnd} when the kills ended, ${linesTaken(d.out)} now; kills ${kills.join(', ')}; the driver's last log lines:\n${procs.driver.logLines.slice(-40).join('\n')}`);
    });
    fs.writeFileSync(path.join(d.control, 'stop'), '');
    await pollUntil(async () => ((await listJobs(addr, { secret }))[0]?.state === 'succeeded' ? true : undefined), 30_000, 'the job to stop gracefully');
    const compared = checkAgainstFailureFree(readOutputs(d.out), fed);
    assert.ok(kills.includes('driver'), `the driver was among the kills: ${kills.join(', ')}`);
    process.stdout.write(`# soak: ${kills.length} kills (${kills.join(', ')}), ${fed.length} lines fed, ${compared} records compared with the failure-free computation\n`);
  } finally {
    stopFeeding();
    for (const p of [...procs.workers, procs.driver]) await p.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
