/**
 * The driver's defaults that the command line shows in its help: a module of constants
 * only (`@sluice/driver/defaults`), so a process that merely needs them — a worker started
 * by the `sluice` command — does not load the driver.
 */

// Spark's spark.excludeOnFailure.* defaults and keys, which `--conf` checks in every `sluice`
// process: their module imports nothing, so taking them from here leaves the driver unloaded.
export { DEFAULT_EXCLUDE_ON_FAILURE, EXCLUDE_ON_FAILURE_KEYS, type ExcludeOnFailureConf } from './scheduler/exclude-on-failure.js';

/**
 * The default time a worker may stay silent before it is declared lost: 60 s.
 *
 * Why: a worker process that dies is detected at once, without this timeout — the
 * driver's connection to it drops (or a call to it fails) and a TCP probe of its port is
 * refused (`probePort`), so it is declared lost within a second. The timeout only decides
 * for a worker that is alive but silent (a GC pause, a stalled VM, SIGSTOP, a slow disk)
 * or a host that vanished from the network. Declaring a paused worker lost is expensive
 * and wrong: its map outputs and cached partitions are recomputed, its receiver restarts
 * elsewhere, and when it wakes up it must register again. Waiting for a vanished host
 * costs little: its received blocks are replicated on a peer, and its running tasks fail
 * over when their connection's keepalive (15 s) gives up. Spark waits 120 s
 * (spark.network.timeout) for JVM pauses; 60 s rides out pauses of tens of seconds (a
 * 20 s stall must lose nothing) and still moves a vanished host's receiver within a minute.
 */
export const DEFAULT_WORKER_TIMEOUT_MS = 60_000;

/**
 * Finished jobs a standing driver keeps for `sluice jobs`, its UI and REST API (each with its
 * kept actions, stages and batches, and its bundle) before it forgets the oldest: 200, Spark's
 * spark.deploy.retainedApplications. Running jobs are always kept.
 */
export const DEFAULT_RETAINED_JOBS = 200;

/** Restarts of a supervised job's program when --max-restarts is not given. */
export const DEFAULT_MAX_RESTARTS = 3;

/**
 * How long a worker leaving gracefully (SIGTERM, `sluice workers decommission`) may take to
 * move its receivers, finish its tasks and copy its blocks before it is declared lost: 30 s.
 * An orchestrator's grace period must be longer (the Kubernetes manifests give workers
 * terminationGracePeriodSeconds: 45).
 */
export const DEFAULT_DECOMMISSION_TIMEOUT_MS = 30_000;

/**
 * How long a stage may wait with none of its tasks launched before the driver warns (and
 * between its warnings after that): Spark's spark.starvation.timeout, 15 s.
 */
export const DEFAULT_STARVATION_TIMEOUT_MS = 15_000;

/**
 * How long a streaming job's program may take to end after a stop request (`sluice stop`,
 * a signal to `sluice run`) before the driver cancels it: 60 s.
 */
export const STOP_REQUEST_LIMIT_MS = 60_000;

/** A back-off's wait as the restart's log line says it: `2 s`, `1.5 s`, `4 min`. */
export function formatWait(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * The waits before a supervised job's restarts, as Spark's DriverRunner (runCommandWithRetry)
 * backs off: the first restart waits `firstMs` after the failure, each next one twice the one
 * before, at most `maxMs`; an attempt that ran `resetAfterMs` or longer before it failed was
 * healthy, and its restart waits `firstMs` again. The next attempt never starts before the
 * failed one's thread exited (two attempts must not both write the job's checkpoints).
 */
export interface SuperviseBackoff {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
}

/**
 * Spark waits 1 s, doubling, and resets after a run of 5 s. A micro-batch job takes seconds
 * to start (recovering its checkpoint, starting receivers, a batch interval before its first
 * batch): an attempt failing at its first batches runs longer than 5 s, so Spark's reset would
 * keep every wait at 1 s, hardly more than the 500 ms Sluice waited before (3 restarts within
 * 21 s of a full disk, none of them after anyone could free it). Here: 2 s, doubling to at most
 * 5 min, reset only by an attempt that ran 5 min (many batches: it was healthy, and its failure
 * is a new one). `sluice driver --supervise-backoff-ms FIRST,MAX,RESET` sets them.
 */
export const DEFAULT_SUPERVISE_BACKOFF: SuperviseBackoff = { firstMs: 2000, maxMs: 300_000, resetAfterMs: 300_000 };
