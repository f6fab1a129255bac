// The scenario of the recovered-sink tests (@sluice/postgres's postgres-sink-recovered,
// @sluice/redis's redis-sink-recovered), over a fixture built on recovered-sink-job.ts:
//  1. `sluice run` of the fixture (its own driver process, 1 worker) writes file 0's words;
//     once a batch generated after the write was done has run (its metadata checkpoint, which
//     the batch's jobs wait for, was taken after the write: a batch generated earlier, while the
//     write ran, may not say so), the driver is killed (SIGKILL);
//  2. the sink's server stops (until released) and file 1 comes while the driver is dead;
//  3. the fixture runs again and recovers from its checkpoint; once its sink's tasks took a
//     partition of file 1 while the server is down, the server stays down 2 s more (or until a
//     task attempt fails), then starts; every word of files 0 and 1 must be in the sink once
//     and no attempt may have failed (the sink waited for the server its output wrote through);
//  4. recovered again with an address nothing listens on: that server was never reached, so
//     the first attempt fails at once, not after a wait, and the job fails.
// Expected values come from the files the scenario writes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import type { RecoveredSinkArgs } from './recovered-sink-job.js';

export interface RecoveredSinkCase {
  /** The fixture job (built on recovered-sink-job.ts). */
  readonly fixture: string;
  /** The sink's server: its address as the sink takes it, and a restart that waits for `until`. */
  readonly server: { readonly url: string; restart(downMs: number, until?: Promise<unknown>): Promise<void> };
  /** What the sink holds: each word's count (as a string), or {} when the server cannot be read. */
  readonly counts: () => Promise<Record<string, string>>;
  /** Whether the server answers now. */
  readonly reachable: () => Promise<boolean>;
  /** An address of the sink's kind nothing listens on. */
  readonly nowhere: string;
  /** What a refused attempt's message says of `nowhere` (`cannot reach the ... server 127.0.0.1:PORT`). */
  readonly unreachable: RegExp;
  /** A directory of the test's own (input, control and checkpoint directories go under it). */
  readonly root: string;
  /** Every driver process started, for the test's after() to kill. */
  readonly runs: DriverProcess[];
}

/** Input file `i`: 300 words of 41 kinds, a different mix a file. */
export const wordsOf = (i: number): string[] => Array.from({ length: 300 }, (_, j) => `w${(j * (i + 2) + i) % 41}`);

/** The counts of every word of the given files, computed here, sorted by word. */
export function countsOf(files: readonly number[]): Record<string, string> {
  const c = new Map<string, number>();
  for (const i of files) for (const w of wordsOf(i)) c.set(w, (c.get(w) ?? 0) + 1);
  return sortedCounts(Object.fromEntries([...c].map(([w, n]) => [w, String(n)])));
}

export const sortedCounts = (o: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The files of a sink scenario under `dir` (recovered-sink's, sink-driver-kill's, sink-driver-pause's;
 * `counts`: what its sink holds, each word's count as a string): `control` and the input directory
 * `in` made; the files a fault fixture is armed by and says it fired in; `feed(i)` writes input file
 * `i` (wordsOf(i)) whole, a temporary file renamed into `in`; `holds(files)` is true once the sink
 * holds every word of those files once (else undefined, for pollUntil); `fixtureArgs(url)` is the
 * fixture's args (recovered-sink-job's; its checkpoint `ckpt`) with the sink's server `url`.
 */
export function sinkScenarioFiles(dir: string, counts: () => Promise<Record<string, string>>) {
  const input = path.join(dir, 'in');
  const control = path.join(dir, 'control');
  for (const d of [input, control]) fs.mkdirSync(d, { recursive: true });
  return {
    control,
    armFile: path.join(dir, 'arm'),
    firedFile: path.join(dir, 'fired'),
    feed: (i: number): void => {
      const tmp = path.join(dir, `file-${i}.tmp`);
      fs.writeFileSync(tmp, wordsOf(i).join('\n') + '\n');
      fs.renameSync(tmp, path.join(input, `file-${i}.txt`));
    },
    holds: async (files: readonly number[]): Promise<true | undefined> => (JSON.stringify(sortedCounts(await counts())) === JSON.stringify(countsOf(files)) ? true : undefined),
    fixtureArgs: (url: string): RecoveredSinkArgs => ({ url, input, control, checkpoint: path.join(dir, 'ckpt'), batchMs: 300, reconnectTimeoutMs: 20_000 }),
  };
}

/** Runs the scenario (see the file's head); returns a line for the test's output. */
export async function recoveredSinkScenario(c: RecoveredSinkCase): Promise<string> {
  const { control, feed, holds, fixtureArgs } = sinkScenarioFiles(c.root, c.counts);
  const run = (url: string): DriverProcess => {
    const r = runDriverProcess(c.fixture, [JSON.stringify(fixtureArgs(url))], 1);
    c.runs.push(r);
    return r;
  };
  const tried = (): number => fs.readdirSync(control).filter((f) => f.startsWith('tried-')).length;
  const failedTasks = (r: DriverProcess): string[] => r.lines.filter((l) => l.startsWith('TASK FAILED'));
  /** The batches whose outputs are done: their time and the driver's clock when they were. */
  const after = (r: DriverProcess): { time: number; at: number }[] =>
    r.lines.filter((l) => l.startsWith('AFTER ')).map((l) => ({ time: Number(l.split(' ')[1]), at: Number(l.split(' ')[2]) }));

  // 1. file 0 written, a batch after it run, the driver killed
  const first = run(c.server.url);
  // a file stream takes the files that come after it started (Spark's newFilesOnly)
  await pollUntil(() => (after(first).length > 0 ? true : undefined), 60_000, 'the first batch');
  feed(0);
  await pollUntil(() => holds([0]), 60_000, "file 0's words in the sink", 100);
  const wrote = Number(first.lines.find((l) => l.startsWith('BATCH '))!.split(' ')[1]);
  const written = await pollUntil(() => after(first).find((x) => x.time === wrote)?.at, 30_000, 'the write batch to end');
  await pollUntil(() => (after(first).some((x) => x.time > written) ? true : undefined), 60_000, 'a batch generated after the write was done');
  await first.kill9();

  // 2. the server down until released; file 1 comes while the driver is dead
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const restarted = c.server.restart(0, released);
  await pollUntil(async () => ((await c.reachable()) ? undefined : true), 15_000, 'the server to stop', 50);
  feed(1);
  const triedBefore = tried();

  // 3. recovered; its sink takes file 1's partition while the server is down
  const second = run(c.server.url);
  await pollUntil(() => (tried() > triedBefore ? true : undefined), 90_000, "the recovered job's sink to take a partition while the server is down", 50);
  await pollUntil(() => (failedTasks(second).length > 0 ? true : undefined), 2000, 'a failed attempt', 50).catch(() => undefined);
  release();
  await restarted;
  await pollUntil(async () => ((await holds([0, 1])) ?? (failedTasks(second).length > 0 ? true : undefined)), 60_000, "file 1's words in the sink", 100);
  fs.writeFileSync(path.join(control, 'stop'), '');
  const code = await second.exited;
  assert.deepEqual(failedTasks(second), [], 'no task attempt of the recovered job failed: its sink waited for the server');
  assert.equal(code, 0, second.stderr().slice(-2000));
  assert.deepEqual(sortedCounts(await c.counts()), countsOf([0, 1]), 'every word of files 0 and 1 in the sink once');
  fs.rmSync(path.join(control, 'stop'));

  // 4. recovered again with an address nothing listens on: refused at once
  feed(2);
  const third = run(c.nowhere);
  const refused = await pollUntil(() => failedTasks(third)[0], 90_000, 'a task attempt of the job recovered with another address to fail');
  assert.match(refused, c.unreachable);
  assert.doesNotMatch(refused, /waited/, 'the attempt did not wait for a server never reached');
  assert.notEqual(await third.exited, 0, 'the job failed');
  return `recovered: ${second.lines.filter((l) => l.startsWith('BATCH ')).join(', ')}; another address: ${failedTasks(third).length} attempts refused at once`;
}
