// Worker processes added to a test's cluster one at a time, so a test knows which OS
// process runs which registered worker (to kill -9 it, or to see it exit).
import type { ChildProcess } from 'node:child_process';
import type { ClusterHandle } from './harness.js';

/** Start `n` workers one at a time (`args`: worker options of theirs alone), so each registered id is known to belong to its process (noted in `byId`). */
export async function addWorkers(h: ClusterHandle, n: number, byId: Map<string, ChildProcess>, args: readonly string[] = []): Promise<void> {
  const driver = h.cluster.driver;
  for (let i = 0; i < n; i++) {
    const known = new Set(driver.registry.all().map((w) => w.id));
    const child = h.cluster.addWorker(args);
    await h.cluster.waitForWorkers(known.size + 1, 30_000);
    byId.set(driver.registry.all().find((x) => !known.has(x.id))!.id, child);
  }
}

/** Resolves with the process's exit code (null: killed by a signal) once it exited. */
export function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));
}

/**
 * Kill -9 one of the cluster's live worker processes, picked by `pick` (a number in [0, 1)), and
 * start a new worker in its place: what a machine lost and replaced does to a running job.
 * Returns the process killed (undefined when none was alive).
 */
export function replaceRandomWorker(h: ClusterHandle, pick: () => number): ChildProcess | undefined {
  const live = h.cluster.workerProcesses.filter((c) => c.exitCode === null && c.signalCode === null);
  const victim = live[Math.floor(pick() * live.length)];
  if (!victim) return undefined;
  victim.kill('SIGKILL');
  h.cluster.addWorker();
  return victim;
}
