// The scenario of the sink driver-pause tests (@sluice/postgres's postgres-sink-driver-pause,
// @sluice/redis's redis-sink-driver-pause: docs/fault-matrix.md's driver SIGSTOP), over a fixture
// built on recovered-sink-job.ts (with `stop`) whose sink's onProgress freezes its own driver
// (SIGSTOP) once armed, at an exact stage of a partition's write:
//  1. `sluice run` of the fixture (its own driver process, 2 workers) writes file 0's words;
//  2. the freeze armed and file 1 fed: the sink stops the driver at its stage; the worker goes on,
//     ends that partition's write and reports to a driver that answers nothing;
//  3. file 2 comes while the driver is frozen; after `frozenMs` it is woken (SIGCONT); once every
//     word of files 0, 1 and 2 is in the sink it is stopped (control/stop) and must exit with 0,
//     the sink holding every word of the three files once.
// Expected values come from the files the scenario writes (recovered-sink's countsOf).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { countsOf, sinkScenarioFiles, sortedCounts } from './recovered-sink.js';
import type { RecoveredSinkArgs } from './recovered-sink-job.js';

export interface SinkDriverPauseCase {
  /** The fixture job (recovered-sink-job's frame; argv[0] its args with { armFile, firedFile, stage, stop }). */
  readonly fixture: string;
  /** The sink's server, as the sink takes it. */
  readonly url: string;
  /** The sink's progress stage at which the fixture freezes its driver. */
  readonly stage: string;
  /** How long the driver stays frozen. */
  readonly frozenMs: number;
  /** What the sink holds: each word's count (as a string). */
  readonly counts: () => Promise<Record<string, string>>;
  /** A directory of the case's own (input, control and checkpoint directories go under it). */
  readonly dir: string;
  /** Every driver process started, for the test's after() to wake (stateOf) and kill. */
  readonly runs: DriverProcess[];
}

export interface SinkDriverPauseEnd {
  /** What the fixture wrote into its fired file: the progress event it froze the driver at. */
  readonly fired: string;
  /** How long the driver was frozen, in ms. */
  readonly frozenFor: number;
  /** The words in the sink (the sum of its counts) at the wake. */
  readonly atWake: number;
  /** How long after the wake every word of the three files was in the sink, in ms. */
  readonly caughtUp: number;
}

/** A process's state letter from /proc (T: stopped), undefined once it is gone. */
export function stateOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}

/** For the test's after(): every run woken (SIGCONT) if it is still frozen, then killed (-9). */
export async function wakeAndKill(runs: readonly DriverProcess[]): Promise<void> {
  for (const r of runs) {
    if (stateOf(r.pid) === 'T') process.kill(r.pid, 'SIGCONT');
    await r.kill9();
  }
}

/** Runs the scenario (see the file's head); the test checks its sink's own rows and markers after. */
export async function sinkDriverPauseScenario(c: SinkDriverPauseCase): Promise<SinkDriverPauseEnd> {
  const { control, armFile, firedFile, feed, holds, fixtureArgs } = sinkScenarioFiles(c.dir, c.counts);
  const counts = async (): Promise<Record<string, string>> => sortedCounts(await c.counts());
  const args: RecoveredSinkArgs & { armFile: string; firedFile: string; stage: string; stop: boolean } = { ...fixtureArgs(c.url), armFile, firedFile, stage: c.stage, stop: true };
  const run = runDriverProcess(c.fixture, [JSON.stringify(args)], 2);
  c.runs.push(run);
  let woken = false;
  try {
    await pollUntil(() => (run.lines.some((l) => l.startsWith('AFTER ')) ? true : undefined), 60_000, 'the first batch');
    feed(0);
    await pollUntil(() => holds([0]), 60_000, "file 0's words in the sink", 100);
    fs.writeFileSync(armFile, '');
    feed(1);
    await pollUntil(() => (fs.existsSync(firedFile) && stateOf(run.pid) === 'T' ? true : undefined), 60_000, 'the sink to freeze its driver', 20);
    const frozenAt = Date.now();
    feed(2);
    // Frozen, the driver takes nothing in; the worker's partition goes on to its end.
    await new Promise((r) => setTimeout(r, c.frozenMs));
    const atWake = Object.values(await counts()).reduce((n, v) => n + Number(v), 0);
    assert.equal(stateOf(run.pid), 'T', 'the driver stayed frozen');
    process.kill(run.pid, 'SIGCONT');
    woken = true;
    const wokenAt = Date.now();
    await pollUntil(() => holds([0, 1, 2]), 90_000, 'the words of files 0, 1 and 2 in the sink', 100).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await counts())}\n${run.stderr().slice(-3000)}`);
    });
    const caughtUp = Date.now() - wokenAt;
    fs.writeFileSync(path.join(control, 'stop'), '');
    assert.equal(await run.exited, 0, run.stderr().slice(-3000));
    assert.deepEqual(await counts(), countsOf([0, 1, 2]), 'every word of the three files in the sink once');
    return { fired: fs.readFileSync(firedFile, 'utf8'), frozenFor: wokenAt - frozenAt, atWake, caughtUp };
  } finally {
    if (!woken && stateOf(run.pid) === 'T') process.kill(run.pid, 'SIGCONT');
  }
}
