/**
 * The driver's defaults that the command line shows in its help: a module of constants
 * only (`@sluice/driver/defaults`), so a process that merely needs them — a worker started
 * by the `sluice` command — does not load the driver.
 */

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
