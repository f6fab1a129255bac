// `sluice run` killed with -9 mid-stream and run again, as a user of the embedded local cluster
// does after a crash (an OOM kill, a closed terminal): fixtures/recovery-job.ts (a file stream,
// updateStateByKey, reduceByKeyAndWindow with an inverse and mapWithState, checkpointed every
// 2 batches; saveAsTextFiles), killed while a batch's saveAsTextFiles task is held on a
// worker. The killed run's worker processes exit by themselves (their standard input, the dead
// driver's pipe, closes): no orphan is left, and none writes after the next run started. The
// second `sluice run` recovers from the checkpoint: every fed line read by exactly one batch,
// every state, window and mapWithState output equal to the failure-free computation here,
// every batch time present, every saved directory whole.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { mulberry32, processAlive, sleep, within } from './harness.js';
import { Feeder, RECOVERY_JOB, assertRecoveredExactly, jobArgs, jobDirs, readOutputs } from './recovery-support.js';

const BATCH_MS = 500;

test('sluice run killed with -9 mid-stream, then run again: its workers exit by themselves, and the second run recovers every line once with exact states', { timeout: 150_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-run-kill-'));
  const dirs = jobDirs(root);
  const args = ['run', '--no-progress', '--log-level', 'warn', RECOVERY_JOB, ...jobArgs(dirs, BATCH_MS, 2, 'base')];
  const feeder = new Feeder(dirs.input, mulberry32(53), 4);
  const runs: Proc[] = [];
  let workers: number[] = [];
  let feeding = true;
  let feed: Promise<void> | undefined;
  try {
    const first = startSluice(args, process.env);
    runs.push(first);
    const firstOf = (): string[] => fs.readdirSync(dirs.out).filter((n) => n.startsWith('first-'));
    await until('the first batch', 60_000, () => firstOf().length === 1);
    feed = (async () => {
      while (feeding) {
        feeder.file();
        await sleep(250);
      }
    })();
    await until('four batches with lines', 60_000, () => [...readOutputs(dirs.out).input.values()].filter((l) => l.length > 0).length >= 4);
    // A batch's save held on a worker (control/slow): the kill lands in its output.
    fs.writeFileSync(path.join(dirs.control, 'slow'), '');
    await until('a held save task', 30_000, () => fs.readdirSync(dirs.control).some((n) => n.startsWith('held-')), 10);
    workers = execFileSync('pgrep', ['-P', String(first.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    assert.ok(workers.length >= 2, `the run's worker processes: ${workers.join(' ')}`);
    first.child.kill('SIGKILL');
    await first.exited;
    await until(`the killed run's workers (${workers.join(' ')}) to exit`, 60_000, () => workers.every((p) => !processAlive(p)));
    fs.rmSync(path.join(dirs.control, 'slow'));
    for (const n of fs.readdirSync(dirs.control)) fs.rmSync(path.join(dirs.control, n));
    await sleep(2 * BATCH_MS); // batches pass while nothing runs; files keep arriving

    const second = startSluice(args, process.env);
    runs.push(second);
    await until('the first recovered batch', 60_000, () => firstOf().length === 2);
    await sleep(4 * BATCH_MS);
    feeding = false;
    await feed;
    const fed = [...feeder.lines];
    await until('every fed line in some batch', 30_000, () => new Set([...readOutputs(dirs.out).input.values()].flat()).size >= fed.length).catch(() => undefined);
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    const code = await within(second.exited, 60_000, 'the second run to stop');
    assert.equal(code, 0, `the second run exits 0:\n${second.stderr.slice(-3000)}`);

    assertRecoveredExactly(dirs.out, fed, BATCH_MS, 2);
  } finally {
    feeding = false;
    await feed;
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    for (const p of workers) if (processAlive(p)) process.kill(p, 'SIGKILL'); // orphans of a failed check
    fs.rmSync(root, { recursive: true, force: true });
  }
});
