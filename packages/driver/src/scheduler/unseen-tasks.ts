/** Tasks found unseen on a worker at one of its heartbeats (UnseenTasks.heartbeat). */
export interface UnseenOnWorker {
  readonly workerId: string;
  readonly taskIds: string[];
  /** The most heartbeats any of them was left out of (those counted: see UnseenTasks). */
  readonly heartbeats: number;
  /** How long ago the oldest of them was launched (ms). */
  readonly launchedMsAgo: number;
}

interface Watched {
  readonly launchedAt: number;
  /** Heartbeats counted that did not list it. */
  missed: number;
  /** When the last one counted arrived (the launch, before any). */
  lastCounted: number;
}

/**
 * Which tasks launched on a worker its heartbeats never reported running (a heartbeat
 * carries the ids of the tasks the worker holds, from the moment one reaches it to its
 * end): those the driver sent it that did not arrive. A worker whose heartbeats come while
 * what the driver sends it does not (a half-dead one-way link, a NAT entry or a proxy gone
 * silent in that direction) would otherwise hold its tasks, and the map outputs it holds,
 * until the network timeout (Spark's spark.network.timeout, 120 s).
 *
 * A task is found unseen at a heartbeat from its worker when it was launched at least
 * `boundMs` before, and at least `minHeartbeats` of that worker's heartbeats arrived since
 * without it (heartbeats arriving less than half an interval after the last one counted
 * count once: a burst the driver reads after its own pause was mostly written before the
 * task reached the worker). So: a slow task is listed by every heartbeat and never found;
 * a finished one is forgotten (`ended`); late heartbeats stretch the bound, and time
 * alone, with no heartbeat, finds nothing (the worker timeout decides then). A task
 * reported once is forgotten: what the driver sent reached the worker.
 *
 * Threading: driver main thread; time is passed in.
 */
export class UnseenTasks {
  private readonly byWorker = new Map<string, Map<string, Watched>>();
  readonly minHeartbeats: number;

  constructor(
    readonly boundMs: number,
    private readonly heartbeatIntervalMs: number,
  ) {
    this.minHeartbeats = Math.max(3, Math.ceil(boundMs / heartbeatIntervalMs));
  }

  launched(workerId: string, taskId: string, now: number): void {
    let tasks = this.byWorker.get(workerId);
    if (!tasks) this.byWorker.set(workerId, (tasks = new Map()));
    tasks.set(taskId, { launchedAt: now, missed: 0, lastCounted: now });
  }

  /** The launch resolved (an outcome, or failed): no longer watched. */
  ended(workerId: string, taskId: string): void {
    const tasks = this.byWorker.get(workerId);
    if (!tasks) return;
    tasks.delete(taskId);
    if (tasks.size === 0) this.byWorker.delete(workerId);
  }

  /** The worker was declared lost or left: its launches are failed another way. */
  workerGone(workerId: string): void {
    this.byWorker.delete(workerId);
  }

  /** Tasks watched on the worker (tests, status). */
  watched(workerId: string): number {
    return this.byWorker.get(workerId)?.size ?? 0;
  }

  /**
   * A heartbeat from `workerId` listing `running`: forgets the tasks it lists, counts it
   * against the others, and returns those found unseen (no longer watched), if any.
   */
  heartbeat(workerId: string, running: readonly string[], now: number): UnseenOnWorker | undefined {
    const tasks = this.byWorker.get(workerId);
    if (!tasks) return undefined;
    const listed = new Set(running);
    const found: string[] = [];
    let heartbeats = 0;
    let oldest = now;
    for (const [id, t] of tasks) {
      if (listed.has(id)) {
        tasks.delete(id);
        continue;
      }
      if (now - t.lastCounted >= this.heartbeatIntervalMs / 2) {
        t.missed++;
        t.lastCounted = now;
      }
      if (t.missed >= this.minHeartbeats && now - t.launchedAt >= this.boundMs) {
        found.push(id);
        heartbeats = Math.max(heartbeats, t.missed);
        oldest = Math.min(oldest, t.launchedAt);
      }
    }
    for (const id of found) tasks.delete(id);
    if (tasks.size === 0) this.byWorker.delete(workerId);
    return found.length === 0 ? undefined : { workerId, taskIds: found, heartbeats, launchedMsAgo: now - oldest };
  }
}
