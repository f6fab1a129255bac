/** How long a kill is remembered for a task that has not reached this worker. */
export const KILL_BEFORE_LAUNCH_TTL_MS = 10 * 60_000;
/** Kills remembered at most (the oldest forgotten first). */
export const KILLS_BEFORE_LAUNCH_MAX = 100_000;

/**
 * Task ids the driver killed before their launch reached this worker's executor. The
 * driver's KillTask and RunTasks are separate gRPC streams, so a kill sent just after a
 * launch (a job cancelled as its tasks go out) can arrive first, or while the launch waits
 * for the job's bundle; unremembered, such a task then ran to its end in a slot the driver
 * counted free, and later tasks queued behind it (seen: a cancelled job's task blocking a
 * thread for its whole minute). A task id names one attempt and is never sent again, so a
 * kill is kept until its task comes, or for KILL_BEFORE_LAUNCH_TTL_MS (the kill of a task
 * that had already ended here is never taken), at most KILLS_BEFORE_LAUNCH_MAX of them.
 */
export class KillsBeforeLaunch {
  private readonly killedAt = new Map<string, number>();

  constructor(
    private readonly ttlMs = KILL_BEFORE_LAUNCH_TTL_MS,
    private readonly max = KILLS_BEFORE_LAUNCH_MAX,
  ) {}

  /** The driver killed `taskId`, which is not running here (yet). */
  add(taskId: string, now = Date.now()): void {
    this.killedAt.delete(taskId);
    this.killedAt.set(taskId, now);
    // Oldest first (a Map keeps insertion order).
    for (const [id, at] of this.killedAt) {
      if (this.killedAt.size <= this.max && now - at <= this.ttlMs) break;
      this.killedAt.delete(id);
    }
  }

  /** Whether `taskId` was killed before it came (forgetting the kill: it is taken once). */
  take(taskId: string): boolean {
    return this.killedAt.delete(taskId);
  }

  get size(): number {
    return this.killedAt.size;
  }
}
