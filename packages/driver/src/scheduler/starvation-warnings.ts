import { DEFAULT_STARVATION_TIMEOUT_MS } from '../defaults.js';

/** The workers as a starving task set sees them. */
export interface StarvationView {
  readonly workers: number;
  /** Workers whose heartbeats are on time. */
  readonly responsive: number;
  readonly cores: number;
  readonly freeSlots: number;
}

/**
 * Spark's warning of a job that gets no resources (TaskSchedulerImpl's starvation timer: "Initial
 * job has not accepted any resources; check your cluster UI to ensure that workers are
 * registered and have sufficient resources"), once a task set has waited the timeout (15 s by default)
 * with none of its tasks launched, then every timeout more while still none has,
 * saying which task set and why from the workers' state: none registered (a `sluice submit` to
 * a driver no worker joined), none answering, or every core taken by other tasks.
 */
export class StarvationWarnings {
  /** Warnings given per task set (a task set is warned about at most once per timeout). */
  private readonly warned = new WeakMap<object, number>();

  /** `timeoutMs` 0: never warn. */
  constructor(private readonly timeoutMs = DEFAULT_STARVATION_TIMEOUT_MS) {}

  /** Whether a warning about `set`, waiting `waitedMs` for its first launch, is due now. */
  due(set: object, waitedMs: number): boolean {
    if (this.timeoutMs <= 0) return false;
    const n = Math.floor(waitedMs / this.timeoutMs);
    if (n < 1 || n <= (this.warned.get(set) ?? 0)) return false;
    this.warned.set(set, n);
    return true;
  }
}

/** The warning's text: Spark's sentence, then the task set and why its tasks wait. */
export function starvationMessage(jobId: string, stageId: number, numTasks: number, waitedMs: number, view: StarvationView): string {
  const workers = `${view.workers} registered worker${view.workers === 1 ? '' : 's'}`;
  const why =
    view.workers === 0
      ? 'no worker is registered with this driver: start one with `sluice worker --driver HOST:PORT` (this driver\'s address), or `sluice run` for a local cluster'
      : view.responsive === 0
        ? `none of the ${workers} has sent a heartbeat in time: are they overloaded, or cut off from the driver?`
        : view.freeSlots === 0
          ? `all ${view.cores} cores of the ${workers} are taken by other tasks (other jobs, or receivers holding a core each): add workers or cores`
          : `${view.freeSlots} of the ${view.cores} cores of the ${workers} are free, yet none took a task of this stage`;
  return `Initial job has not accepted any resources; check your cluster UI to ensure that workers are registered and have sufficient resources (job ${jobId}, stage ${stageId}: none of its ${numTasks} task${numTasks === 1 ? '' : 's'} launched in ${Math.round(waitedMs / 1000)} s; ${why})`;
}
