// What the connector tests' driver SIGSTOP cells of docs/fault-matrix.md share (kinesis- and
// mqtt-driver-pause): `sluice run` of a fixture (runDriverProcess: the driver, its workers its
// children, left running) frozen with SIGSTOP for 12 s mid-stream, past a heartbeat call's 5 s
// deadline, while the test goes on sending; then woken. README (a driver stopped): workers never
// give up on a driver, and the woken driver generates every batch it missed. The freeze goes
// through pause() (@sluice/test-disk/pause: a test that times out with the driver stopped
// leaves none stopped), and the file's end wakes and kills every run.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { pause, resume } from '@sluice/test-disk/pause';
import type { DriverProcess } from './job-runner.js';

/** How long the driver stays frozen: past a heartbeat call's 5 s deadline, so the workers log `heartbeat failed; retrying`. */
export const DRIVER_PAUSE_MS = 12_000;

/** The file's runs, each woken and killed (with its workers) by the after() this registers. */
export function driverPauseRuns(): DriverProcess[] {
  const runs: DriverProcess[] = [];
  after(async () => {
    for (const r of runs) {
      resume(r.pid);
      await r.kill9();
    }
  });
  return runs;
}

/**
 * Freezes `run` (SIGSTOP) for DRIVER_PAUSE_MS while `send(pace)` goes on sending (2,000 over
 * the pause in the tests): `pace`, awaited between two sends, waits so that the sends spread
 * over the pause's first DRIVER_PAUSE_MS - 1000 ms (500 ms at most). Once the pause is over,
 * asserts that `counted()` (what the job's output holds) did not change while it was frozen,
 * then wakes it (SIGCONT), as it does however this ends.
 */
export async function freezeDriver(run: Pick<DriverProcess, 'pid'>, counted: () => number, send: (pace: () => Promise<void>) => Promise<void>): Promise<{ frozenAt: number; writtenAtFreeze: number; contAt: number }> {
  pause(run.pid);
  const frozenAt = Date.now();
  let writtenAtFreeze = 0;
  try {
    writtenAtFreeze = counted();
    await send(() => sleep(Math.max(0, Math.min(500, frozenAt + DRIVER_PAUSE_MS - 1000 - Date.now()))));
    const left = frozenAt + DRIVER_PAUSE_MS - Date.now();
    if (left > 0) await sleep(left);
    assert.equal(counted(), writtenAtFreeze, 'no batch was written while the driver was frozen');
  } finally {
    resume(run.pid);
  }
  return { frozenAt, writtenAtFreeze, contAt: Date.now() };
}

/**
 * The woken driver generated the batches of the pause (as Spark's JobGenerator): batch times
 * every `batchMs` through it; and its workers saw it silent past a heartbeat call's deadline
 * and kept retrying (`stderr`: the run's). Returns how many batch times lie inside the pause.
 */
export function assertPauseBatchesGenerated(batchTimes: readonly number[], frozenAt: number, batchMs: number, stderr: string): number {
  const inPause = batchTimes.filter((tm) => tm > frozenAt + batchMs && tm < frozenAt + DRIVER_PAUSE_MS - batchMs);
  assert.ok(inPause.length >= Math.floor(DRIVER_PAUSE_MS / batchMs) - 4, `the batches of the pause were generated on waking (${inPause.length} with times inside it)`);
  assert.match(stderr, /heartbeat failed; retrying/, "the workers saw the driver silent past a heartbeat call's deadline and kept retrying");
  return inPause.length;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
