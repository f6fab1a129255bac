// The scenario of the sink driver-kill tests (@sluice/postgres's postgres-sink-driver-kill,
// @sluice/redis's redis-sink-driver-kill: docs/fault-matrix.md's driver SIGKILL at a bad
// moment), over a fixture built on recovered-sink-job.ts whose sink's onProgress kills its own
// driver once armed (sink-job's fireOnce):
//  1. `sluice run` of the fixture (its own driver process, 2 workers) writes file 0's words;
//  2. the kill armed and file 1 fed: the sink kills the driver at its stage (a partition's
//     write open, or just committed with its batch not done);
//  3. file 2 comes while no driver runs; the fixture runs again on its checkpoint, re-runs the
//     batch and takes file 2; once every word of files 0, 1 and 2 is in the sink it is stopped
//     (control/stop) and must exit with 0, the sink holding every word of the three files once.
// Expected values come from the files the scenario writes (recovered-sink's countsOf).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { exitWithin, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { countsOf, sinkScenarioFiles, sortedCounts } from './recovered-sink.js';
import type { RecoveredSinkArgs } from './recovered-sink-job.js';

export interface SinkDriverKillCase {
  /** The fixture job (recovered-sink-job's frame; argv[0] its args with { armFile, firedFile, stage }). */
  readonly fixture: string;
  /** The sink's server, as the sink takes it. */
  readonly url: string;
  /** The sink's progress stage at which the fixture kills its driver. */
  readonly stage: string;
  /** What the sink holds: each word's count (as a string); emptied by the test before. */
  readonly counts: () => Promise<Record<string, string>>;
  /** A directory of the case's own (input, control and checkpoint directories go under it). */
  readonly dir: string;
  /** Every driver process started, for the test's after() to kill. */
  readonly runs: DriverProcess[];
}

export interface SinkDriverKillEnd {
  /** What the fixture wrote into its fired file: the progress event it killed the driver at. */
  readonly fired: string;
  /** The words in the sink (the sum of its counts) just after the kill. */
  readonly atKill: number;
  /** How long each step took, for the test's output. */
  readonly steps: string;
}

const total = (c: Record<string, string>): number => Object.values(c).reduce((n, v) => n + Number(v), 0);

/** Runs the scenario (see the file's head); the test checks its sink's own markers after. */
export async function sinkDriverKillScenario(c: SinkDriverKillCase): Promise<SinkDriverKillEnd> {
  const { control, armFile, firedFile, feed, holds, fixtureArgs } = sinkScenarioFiles(c.dir, c.counts);
  const a: RecoveredSinkArgs & { armFile: string; firedFile: string; stage: string } = { ...fixtureArgs(c.url), armFile, firedFile, stage: c.stage };
  const start = (): DriverProcess => {
    const r = runDriverProcess(c.fixture, [JSON.stringify(a)], 2);
    c.runs.push(r);
    return r;
  };
  const steps: string[] = [];
  let since = Date.now();
  const step = (what: string): void => {
    const now = Date.now();
    steps.push(`${what} ${((now - since) / 1000).toFixed(1)} s`);
    since = now;
  };

  const first = start();
  // a file stream takes the files that come after it started (Spark's newFilesOnly)
  await pollUntil(() => (first.lines.some((l) => l.startsWith('AFTER ')) ? true : undefined), 60_000, 'the first batch');
  step('first batch');
  feed(0);
  await pollUntil(() => holds([0]), 60_000, "file 0's words in the sink", 100);
  step('file 0');
  fs.writeFileSync(armFile, '');
  feed(1);
  const code = await exitWithin(first, 60_000);
  assert.equal(code, null, `the sink killed the driver (${fs.existsSync(firedFile) ? fs.readFileSync(firedFile, 'utf8') : 'not fired'})`);
  step('kill');
  const atKill = total(await c.counts());
  feed(2);
  const second = start();
  await pollUntil(() => holds([0, 1, 2]), 90_000, 'the words of files 0, 1 and 2 in the sink', 100);
  step('recovery');
  fs.writeFileSync(path.join(control, 'stop'), '');
  assert.equal(await second.exited, 0, second.stderr().slice(-3000));
  step('stop');
  assert.deepEqual(sortedCounts(await c.counts()), countsOf([0, 1, 2]), 'every word of the three files in the sink once');
  return { fired: fs.readFileSync(firedFile, 'utf8'), atKill, steps: steps.join(', ') };
}
