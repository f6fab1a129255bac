// Spark Streaming's FailureSuite (MasterFailureTest: "multiple failures with map", "multiple
// failures with updateStateByKey") on real processes: a file stream job whose driver is killed
// again and again at random moments while files keep arriving, started again from its
// checkpoint each time; at the end the output must be what one run without failures gives.
// Here the job is fixtures/recovery-job.ts under `sluice run` (driver and local workers): a
// file stream's lines written per batch (Spark's map), updateStateByKey checkpointed every 5
// batches (as Spark's), a reduceByKeyAndWindow with an inverse, mapWithState and
// saveAsTextFiles. The run is killed with -9 five times at seeded random moments (the second
// and the fourth kill its whole process group, its workers at the same instant; the others
// the `sluice run` process alone, whose workers end by themselves): the first
// once a batch completed (Spark waits for its first checkpoint: before one, getOrCreate
// starts afresh), then alternately at a moment counted from the start of the process (which
// may land in its start-up or its recovery) and from its first batch; after each kill a
// seeded random pause (files keep arriving, batch times pass) before `sluice run` again.
// The files are written as Spark's FileGeneratingThread writes them: one a batch interval,
// written elsewhere and moved in, dated when written (not in the past), so a file moved in
// during a pause is newer than the batch times the recovery generates for the pause.
// At the end: every fed line read by exactly one batch, no batch time missing, every state,
// window and mapWithState output equal to the failure-free computation here, every saved
// directory whole; and each killed run's worker processes gone.
// The same kills under a reliable receiver with the write-ahead log
// (fixtures/stream-receiver-recovery.ts: the test's replayable TCP source, acknowledged after
// `await store()`; updateStateByKey checkpointed every 5 batches): a kill takes the receiver's
// worker with the driver, the source sends again what was not acknowledged, and each line
// (numbered by its source position) must be read by exactly one batch, every state exact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { mulberry32, processAlive, sleep, within } from './harness.js';
import { Feeder, RECOVERY_JOB, assertRecoveredExactly, jobArgs, jobDirs, readOutputs } from './recovery-support.js';
import { RECEIVER_JOB, assertEachLineReadOnce, assertStatesFailureFree, batchOutputs, untilEveryLineRead } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 5; // batches, as MasterFailureTest's updateStateByKey
const KILLS = 5;

interface KilledRuns {
  /** The run left running after the last kill. */
  readonly last: Proc;
  /** Every run started, the last included. */
  readonly runs: Proc[];
  /** The killed runs' worker processes. */
  readonly workers: number[];
  /** Where each kill landed, for the log. */
  readonly kills: string[];
}

/**
 * `sluice <args>` (a run of a fixture writing out/first-<job>.json at its first batch and
 * out/input-<t>.json per batch) started, then killed with -9 KILLS times at seeded moments and
 * started again after a seeded pause each time; `afterFirstBatch` is called once the very
 * first run completed a batch (the input starts). Returns once the last run completed a batch.
 */
async function killAgainAndAgain(args: string[], out: string, seed: number, afterFirstBatch: () => void, into: KilledRuns): Promise<void> {
  const rand = mulberry32(seed);
  const firsts = (): number => fs.readdirSync(out).filter((n) => n.startsWith('first-')).length;
  const linesRead = (): number => [...batchOutputs<string[]>(out, 'input').values()].reduce((n, l) => n + l.length, 0);
  for (let k = 0; k <= KILLS; k++) {
    const before = firsts();
    const run = startSluice(args, process.env, { detached: true });
    into.runs.push(run);
    const spawned = Date.now();
    if (k === 0) {
      await until('the first batch', 60_000, () => firsts() === 1);
      afterFirstBatch();
    }
    if (k === KILLS) {
      await until("the last run's first batch", 60_000, () => firsts() > before);
      (into as { last: Proc }).last = run;
      return;
    }
    let moment: string;
    if (k % 2 === 0) {
      // Counted from the run's first completed batch (the first kill: a checkpoint is there).
      await until(`run ${k}'s first batch`, 60_000, () => firsts() > before);
      const wait = Math.floor(rand() * 2_500) + (k === 0 ? 1_000 : 0);
      await sleep(wait);
      moment = `${wait} ms after its first batch`;
    } else {
      // Counted from the start of the process: its start-up, its recovery or later.
      const wait = 500 + Math.floor(rand() * 3_000);
      await sleep(wait);
      moment = `${wait} ms after it started (${firsts() > before ? 'a batch completed' : 'no batch completed yet'})`;
    }
    assert.equal(run.child.exitCode ?? run.child.signalCode, null, `run ${k} ended by itself before its kill:\n${run.stderr.slice(-3000)}`);
    // Its workers (none yet when killed early in its start-up: pgrep then exits 1).
    const children = spawnSync('pgrep', ['-P', String(run.child.pid)], { encoding: 'utf8' });
    into.workers.push(...children.stdout.split('\n').filter(Boolean).map(Number));
    // Kills 2 and 4 take the whole process group (the driver and its workers at one instant,
    // as an OOM killer's cgroup kill or a container's end); the others the driver alone (its
    // workers end when their standard input closes).
    const group = k % 2 === 1;
    if (group) process.kill(-run.child.pid!, 'SIGKILL');
    else run.child.kill('SIGKILL');
    await run.exited;
    if (group) moment += ', with its workers (the process group)';
    const pause = Math.floor(rand() * 4 * BATCH_MS);
    into.kills.push(`kill ${k + 1}: ${moment}, ${linesRead()} lines read, ${Date.now() - spawned} ms into the run; paused ${pause} ms`);
    await sleep(pause);
  }
}

/** Stops the last run (control/stop) and waits for it to exit 0; then every killed run's workers must be gone. */
async function stopLast(r: KilledRuns, control: string): Promise<void> {
  fs.writeFileSync(path.join(control, 'stop'), '');
  const code = await within(r.last.exited, 60_000, 'the last run to stop');
  assert.equal(code, 0, `the last run exits 0:\n${r.last.stderr.slice(-3000)}`);
  await until(`the killed runs' workers (${r.workers.join(' ')}) to exit`, 60_000, () => r.workers.every((p) => !processAlive(p)));
}

/** Kills whatever is left of `r` (after a failed check). */
function cleanUp(r: KilledRuns): void {
  for (const p of r.runs) {
    try {
      process.kill(-p.child.pid!, 'SIGKILL'); // its process group: the run and its workers
    } catch {
      // Gone already.
    }
  }
  for (const p of r.workers) if (processAlive(p)) process.kill(p, 'SIGKILL');
}

const killedRuns = (): KilledRuns => ({ last: undefined as unknown as Proc, runs: [], workers: [], kills: [] });

// The two cases run at once: each is its own `sluice run`s (their process groups, ports and
// directories), and each spends most of its time waiting (batches, pauses after kills, start-ups),
// so together they take about the longer one's time where one after the other they took the sum
// (64 s in the last quiet CI).
describe('FailureSuite', { concurrency: true }, () => {
  test('FailureSuite, a file stream: sluice run killed with -9 five times at random moments while files arrive, run again from the checkpoint each time: every line once, every state exact', { timeout: 180_000 }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-master-failure-'));
    const dirs = jobDirs(root);
    const args = ['run', '--no-progress', '--log-level', 'warn', RECOVERY_JOB, ...jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY, 'base')];
    const feeder = new Feeder(dirs.input, mulberry32(71), 4, 0);
    const r = killedRuns();
    let feeding = true;
    let feed: Promise<void> | undefined;
    try {
      await killAgainAndAgain(args, dirs.out, 72, () => {
        feed = (async () => {
          while (feeding) {
            feeder.file();
            await sleep(BATCH_MS);
          }
        })();
      }, r);
      await sleep(4 * BATCH_MS);
      feeding = false;
      await feed;
      const fed = [...feeder.lines];
      await until('every fed line in some batch', 30_000, () => new Set([...readOutputs(dirs.out).input.values()].flat()).size >= fed.length).catch(() => undefined);
      await stopLast(r, dirs.control);
      const times = assertRecoveredExactly(dirs.out, fed, BATCH_MS, CHECKPOINT_EVERY);
      // What the kills hit, for the log of a failure elsewhere.
      console.log(`${r.kills.join('\n')}\n${fed.length} lines over ${times.length} batches`);
    } finally {
      feeding = false;
      await feed;
      cleanUp(r);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('FailureSuite, a reliable receiver with the write-ahead log: sluice run killed with -9 five times at random moments while the source sends, run again from the checkpoint each time: every line once, every state exact', { timeout: 180_000 }, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-master-failure-wal-'));
    const [ckpt, out, control] = ['ckpt', 'out', 'control'].map((n) => path.join(root, n));
    for (const d of [out, control]) fs.mkdirSync(d, { recursive: true });
    const source = new ReplayableSource(73);
    const r = killedRuns();
    try {
      const port = await source.listen();
      const args = ['run', '--no-progress', '--log-level', 'warn', RECEIVER_JOB, ckpt, out, control, String(BATCH_MS), String(CHECKPOINT_EVERY), '127.0.0.1', String(port)];
      await killAgainAndAgain(args, out, 74, () => source.start(5, 50), r); // 100 lines/s
      await sleep(4 * BATCH_MS);
      source.stop();
      await untilEveryLineRead(out, source.lines);
      await stopLast(r, control);
      const inputs = batchOutputs<string[]>(out, 'input');
      assertEachLineReadOnce(inputs, source.lines);
      assertStatesFailureFree(out, BATCH_MS);
      console.log(`${r.kills.join('\n')}\n${source.lines.length} lines over ${inputs.size} batches, ${source.connections} connections, ${source.resent} lines sent again`);
    } finally {
      cleanUp(r);
      await source.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
