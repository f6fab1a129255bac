// SIGSTOP under a file stream, on real processes: `sluice driver` (a worker timeout of 4 s),
// 3 `sluice worker`s, `sluice submit` of fixtures/recovery-job.ts (a file stream,
// updateStateByKey, reduceByKeyAndWindow with an inverse and mapWithState, each checkpointed
// every 2 batches; saveAsTextFiles), fed a file every 250 ms. One cluster for the file, a job
// of its own for each fault:
// - a worker frozen for 12 s (and until two batches completed without it) while it runs a save task of a batch (the task reads its file
//   split and waits, control/slow): the driver declares it lost after its timeout and runs its
//   work elsewhere, batches go on meanwhile; woken, the worker finishes that task late (its
//   result and its save attempt must count for nothing) and registers again;
// - the driver frozen for 10 s while a batch's save task is held on a worker, the hold let go
//   during the pause (the task's result reaches a stopped driver) and files arriving all along:
//   resumed, it declares no worker lost and generates every batch time it missed.
// Each job is then stopped once every fed line was read, and its outputs must equal the
// failure-free computation here: every line read by exactly one batch, no batch time missing,
// every state, window and mapWithState output exact, every saved directory whole and once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, mulberry32, sleep } from './harness.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import { Feeder, assertRecoveredExactly, jobArgs, jobDirs, readOutputs, submitDetached, untilJobDone, workersJoined, type JobDirs } from './recovery-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches
const WORKER_TIMEOUT_MS = 4_000;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-file-stream-pause-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const workers = new Map<number, SluiceProcess>();
let driver: SluiceProcess;
let address = '';
let setupError: unknown;

before(async () => {
  try {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    driver = await spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--worker-timeout-ms', String(WORKER_TIMEOUT_MS)], secret, /driver listening/);
    procs.push(driver);
    for (let i = 0; i < 3; i++) {
      const w = await startWorkerProcess(address, secret);
      procs.push(w);
      workers.set(w.child.pid!, w);
    }
    await workersJoined(driver, 3);
  } catch (err) {
    setupError = err;
  }
});

after(async () => {
  for (const p of procs) resume(p.child);
  for (const p of procs.reverse()) await p.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A job of its own over fresh directories, fed a file every 250 ms until `stopFeeding()`. */
async function startFedJob(name: string, seed: number): Promise<{ dirs: JobDirs; job: string; feeder: Feeder; stopFeeding: () => Promise<void> }> {
  if (setupError !== undefined) throw setupError;
  const dirs = jobDirs(path.join(root, name));
  const feeder = new Feeder(dirs.input, mulberry32(seed), 4);
  const job = await submitDetached(address, secret, jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY));
  await pollUntil(() => (fs.existsSync(path.join(dirs.out, `first-${job}.json`)) ? true : undefined), 60_000, 'the first batch');
  let feeding = true;
  const feed = (async () => {
    while (feeding) {
      feeder.file();
      await sleep(250);
    }
  })();
  await pollUntil(() => ([...readOutputs(dirs.out).input.values()].filter((l) => l.length > 0).length >= 4 ? true : undefined), 60_000, 'four batches with lines');
  return {
    dirs,
    job,
    feeder,
    stopFeeding: async () => {
      feeding = false;
      await feed;
    },
  };
}

/** The first save task held (control/slow) on one of this file's workers: its batch time and worker process. */
async function heldTask(dirs: JobDirs): Promise<{ time: number; pid: number }> {
  fs.writeFileSync(path.join(dirs.control, 'slow'), '');
  return pollUntil(
    () =>
      fs
        .readdirSync(dirs.control)
        .map((n) => /^held-(\d+)-(\d+)-(\d+)$/.exec(n))
        .filter((m) => m !== null)
        .map((m) => ({ time: Number(m[1]), pid: Number(m[3]) }))
        .find((h) => workers.has(h.pid)),
    30_000,
    'a held save task',
    5,
  );
}

/** Batches (state outputs) completed so far. */
const batchesDone = (dirs: JobDirs): number => readOutputs(dirs.out).state.size;

/** Feeds 2 s more, stops feeding, waits until every fed line is read, stops the job and checks its outputs exactly. */
async function finishAndCheck(run: Awaited<ReturnType<typeof startFedJob>>): Promise<number[]> {
  const { dirs, job, feeder } = run;
  await sleep(2_000);
  await run.stopFeeding();
  const fed = [...feeder.lines];
  await pollUntil(() => (new Set([...readOutputs(dirs.out).input.values()].flat()).size >= fed.length ? true : undefined), 30_000, 'every fed line in some batch').catch(() => undefined);
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  await untilJobDone(dirs.out, job);
  return assertRecoveredExactly(dirs.out, fed, BATCH_MS, CHECKPOINT_EVERY);
}

test('a worker frozen (SIGSTOP) for 12 s while it reads a file split of a batch: declared lost, its work done elsewhere and batches go on; woken, it registers again; every line read once, every output exact', { timeout: 210_000 }, async () => {
  const run = await startFedJob('worker', 81);
  let victim: SluiceProcess | undefined;
  try {
    const held = await heldTask(run.dirs);
    victim = workers.get(held.pid)!;
    const lostBefore = driver.logLines.filter((l) => l.includes('"worker lost"')).length;
    pause(victim.child);
    const frozenAt = Date.now();
    // The hold let go: the frozen task would go on when woken; its re-run elsewhere goes on now.
    fs.rmSync(path.join(run.dirs.control, 'slow'));
    await pollUntil(() => (driver.logLines.filter((l) => l.includes('"worker lost"')).length > lostBefore ? true : undefined), 10 * WORKER_TIMEOUT_MS, 'the frozen worker to be declared lost');
    const lostAfter = Date.now() - frozenAt;
    const atLost = batchesDone(run.dirs);
    // Frozen 12 s at least, and on until two batches have completed since it was declared lost
    // (bounded): batches going on is what is asserted, not how many fit in 12 s on a loaded
    // machine (CI at load 37 completed one).
    await sleep(Math.max(0, frozenAt + 12_000 - Date.now()));
    await pollUntil(() => (batchesDone(run.dirs) - atLost >= 2 ? true : undefined), 60_000, 'two batches completed while the worker was frozen').catch(() => undefined);
    const whileFrozen = batchesDone(run.dirs) - atLost;
    assert.ok(whileFrozen >= 2, `batches completed while the worker was frozen (${whileFrozen})`);
    const joinedBefore = driver.logLines.filter((l) => l.includes('"worker joined"')).length;
    resume(victim.child);
    await workersJoined(driver, joinedBefore + 1);
    const times = await finishAndCheck(run);
    assert.ok(times.includes(held.time), `the held batch ${held.time} has its outputs`);
    console.log(`# worker ${held.pid} frozen holding batch ${held.time}'s save task, declared lost after ${lostAfter} ms, ${whileFrozen} batches while frozen; ${run.feeder.lines.length} lines over ${times.length} batches`);
  } finally {
    resume(victim?.child);
    await run.stopFeeding();
  }
});

test('the driver frozen (SIGSTOP) for 10 s while a batch\'s save task is held, the hold let go and files arriving during the pause: no worker lost, every missed batch time generated, every line read once, every output exact', { timeout: 150_000 }, async () => {
  const run = await startFedJob('driver', 82);
  try {
    const held = await heldTask(run.dirs);
    const lostBefore = driver.logLines.filter((l) => l.includes('"worker lost"')).length;
    pause(driver.child);
    const stoppedAt = Date.now();
    const fedAtStop = run.feeder.lines.length;
    const doneAtStop = batchesDone(run.dirs);
    try {
      await sleep(1_000);
      fs.rmSync(path.join(run.dirs.control, 'slow'));
      await sleep(9_000);
      assert.equal(batchesDone(run.dirs), doneAtStop, 'no batch completed while the driver was stopped');
    } finally {
      resume(driver.child);
    }
    const fedInPause = run.feeder.lines.length - fedAtStop;
    const times = await finishAndCheck(run);
    assert.ok(times.includes(held.time), `the held batch ${held.time} has its outputs`);
    // Every batch time of the pause was generated (assertRecoveredExactly: none missing).
    assert.ok(times.filter((t) => t > stoppedAt && t < stoppedAt + 10_000).length >= 18, 'the batch times of the pause were generated');
    assert.equal(driver.logLines.filter((l) => l.includes('"worker lost"')).length, lostBefore, 'no worker declared lost for the driver\'s own pause');
    console.log(`# driver stopped with batch ${held.time}'s save held (let go during the pause); ${fedInPause} lines fed during the 10 s pause; ${run.feeder.lines.length} lines over ${times.length} batches`);
  } finally {
    resume(driver.child);
    await run.stopFeeding();
  }
});
