import type { Clock, wire } from '@sluice/core/internal';
import type { LaunchResult } from '../rpc/worker-endpoint.js';

/** How a task set ended. */
export type TaskSetEnd =
  | { readonly kind: 'done' }
  | { readonly kind: 'fetchFailed'; readonly shuffleId: number; readonly mapPartition: number; readonly workerId: string; readonly message: string }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly stack: string; readonly partition: number; readonly attempts: number };

/** What the task set needs from the stage it runs. */
export interface StageCallbacks {
  readonly jobId: string;
  readonly stageId: number;
  /** Which run of the stage this is (a stage re-runs after a fetch failure); part of task ids. */
  readonly stageAttempt: number;
  /** The wire description of one attempt of the task over `partition`. */
  describe(partition: number, taskId: string, attempt: number): wire.TaskDescription;
  /** Workers holding data this partition reads (cached blocks); empty when none. */
  preferredWorkers(partition: number): ReadonlySet<string> | undefined;
  /** A task's first successful attempt. */
  onSuccess(partition: number, outcome: wire.TaskOutcome__Output, workerId: string): void;
}

export interface TaskSetOptions {
  readonly maxFailures: number;
  readonly speculation: boolean;
  readonly speculationMultiplier: number;
  readonly speculationQuantile: number;
  /** Minimum run time before a task may be speculated (ms). */
  readonly speculationMinMs: number;
  /** How long a task waits for a slot on a preferred worker before running anywhere (ms). */
  readonly localityWaitMs: number;
}

export interface TaskLaunch {
  readonly taskId: string;
  readonly desc: wire.TaskDescription;
}

interface Attempt {
  readonly index: number;
  readonly workerId: string;
  readonly start: number;
  readonly speculative: boolean;
}

export type KillTask = (workerId: string, taskId: string) => void;

/**
 * Schedules the tasks of one stage attempt, as Spark's TaskSetManager: hands out
 * pending tasks to offered slots (preferring workers that hold the partition's cached
 * data, for up to the locality wait), retries failed tasks up to `maxFailures`
 * attempts, re-queues tasks of lost workers without counting them, launches
 * speculative copies of stragglers, and keeps the first successful attempt.
 *
 * Outcomes are a closed set: success, a user error (counted), a fetch failure (ends the
 * set: the parent stage must re-run), a lost worker (not counted), a kill (ignored).
 * Threading: driver main thread; every method changes state synchronously.
 */
export class TaskSetManager {
  private readonly pending: number[] = [];
  private readonly running = new Map<string, Attempt>();
  private readonly done: boolean[];
  private readonly failures: number[];
  private readonly attempts: number[];
  /** Workers each task failed on: it is not offered to them again while others remain. */
  private readonly failedOn: Set<string>[];
  private readonly durations: number[] = [];
  private remaining: number;
  private ended = false;
  private readonly created: number;
  private resolveEnd!: (e: TaskSetEnd) => void;
  readonly finished: Promise<TaskSetEnd>;

  constructor(
    readonly stage: StageCallbacks,
    /** Partitions this task set computes, by task index. */
    readonly partitions: readonly number[],
    private readonly opts: TaskSetOptions,
    private readonly clock: Clock,
    private readonly kill: KillTask,
  ) {
    this.done = partitions.map(() => false);
    this.failures = partitions.map(() => 0);
    this.attempts = partitions.map(() => 0);
    this.failedOn = partitions.map(() => new Set<string>());
    this.remaining = partitions.length;
    this.created = clock.now();
    for (let i = 0; i < partitions.length; i++) this.pending.push(i);
    this.finished = new Promise((r) => (this.resolveEnd = r));
    if (partitions.length === 0) this.end({ kind: 'done' });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /**
   * A task for a free slot on `workerId`, or undefined. A task that failed on this
   * worker is left for others while there are `liveWorkers` it has not failed on
   * (Spark's per-task exclusion of a failing executor).
   */
  offer(workerId: string, liveWorkers = 1): TaskLaunch | undefined {
    if (this.ended) return undefined;
    const now = this.clock.now();
    const localityExpired = now - this.created >= this.opts.localityWaitMs;
    let pick = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const failed = this.failedOn[this.pending[i]];
      if (failed.has(workerId) && failed.size < liveWorkers) continue;
      const prefs = this.stage.preferredWorkers(this.partitions[this.pending[i]]);
      if (prefs?.has(workerId)) {
        pick = i;
        break;
      }
      if (pick < 0 && (!prefs || prefs.size === 0 || localityExpired)) pick = i;
    }
    if (pick >= 0) {
      const index = this.pending.splice(pick, 1)[0];
      return this.launch(index, workerId, false);
    }
    const spec = this.opts.speculation ? this.speculatable(workerId, now) : undefined;
    return spec === undefined ? undefined : this.launch(spec, workerId, true);
  }

  private launch(index: number, workerId: string, speculative: boolean): TaskLaunch {
    const attempt = this.attempts[index]++;
    const partition = this.partitions[index];
    const taskId = `${this.stage.jobId}.s${this.stage.stageId}r${this.stage.stageAttempt}.p${partition}.a${attempt}`;
    this.running.set(taskId, { index, workerId, start: this.clock.now(), speculative });
    return { taskId, desc: this.stage.describe(partition, taskId, attempt) };
  }

  /** A running task whose run time is far past the median of finished ones, not already on this worker. */
  private speculatable(workerId: string, now: number): number | undefined {
    const finished = this.durations.length;
    if (finished === 0 || finished < this.opts.speculationQuantile * this.partitions.length) return undefined;
    const sorted = [...this.durations].sort((a, b) => a - b);
    const threshold = Math.max(this.opts.speculationMinMs, this.opts.speculationMultiplier * sorted[Math.floor(sorted.length / 2)]);
    const copies = new Map<number, string[]>();
    for (const a of this.running.values()) {
      const w = copies.get(a.index) ?? [];
      w.push(a.workerId);
      copies.set(a.index, w);
    }
    for (const a of this.running.values()) {
      const onIt = copies.get(a.index)!;
      if (!this.done[a.index] && onIt.length === 1 && onIt[0] !== workerId && now - a.start > threshold) return a.index;
    }
    return undefined;
  }

  onResult(taskId: string, result: LaunchResult): void {
    const a = this.running.get(taskId);
    if (!a) return; // Already re-queued (its worker was declared lost) or the set ended.
    this.running.delete(taskId);
    if (this.ended) return;
    if (!result.ok && result.workerLost) {
      // The worker is gone or unreachable: not the task's fault.
      this.requeue(a.index);
      return;
    }
    const o: wire.TaskOutcome__Output = result.ok
      ? result.outcome
      : { outcome: 'error', error: { code: 'SLUICE_INTERNAL', message: `the worker could not run the task: ${result.message}`, stack: '' }, stored_blocks: [], accumulators: Buffer.alloc(0) };
    switch (o.outcome) {
      case 'result':
      case 'map_status': {
        if (this.done[a.index]) return;
        this.done[a.index] = true;
        this.remaining--;
        this.durations.push(this.clock.now() - a.start);
        this.stage.onSuccess(this.partitions[a.index], o, a.workerId);
        for (const [id, other] of this.running) if (other.index === a.index) this.killAttempt(id, other);
        if (this.remaining === 0) this.end({ kind: 'done' });
        return;
      }
      case 'error': {
        if (this.done[a.index]) return;
        this.failures[a.index]++;
        this.failedOn[a.index].add(a.workerId);
        if (this.failures[a.index] >= this.opts.maxFailures) {
          const e = o.error!;
          this.end({ kind: 'failed', code: e.code, message: e.message, stack: e.stack, partition: this.partitions[a.index], attempts: this.failures[a.index] });
        } else this.requeue(a.index);
        return;
      }
      case 'fetch_failed': {
        const f = o.fetch_failed!;
        this.end({ kind: 'fetchFailed', shuffleId: f.shuffle_id, mapPartition: f.map_partition, workerId: f.worker_id, message: f.message });
        return;
      }
      case 'killed':
        if (!this.done[a.index]) this.requeue(a.index);
        return;
      default:
        this.requeue(a.index);
    }
  }

  /** A worker was declared lost: its running attempts go back to pending. */
  onWorkerLost(workerId: string): void {
    for (const [id, a] of [...this.running]) {
      if (a.workerId !== workerId) continue;
      this.running.delete(id);
      if (!this.done[a.index]) this.requeue(a.index);
    }
  }

  /** End the set now (its job was cancelled); running attempts are killed. */
  abort(end: TaskSetEnd): void {
    this.end(end);
  }

  private requeue(index: number): void {
    const stillRunning = [...this.running.values()].some((r) => r.index === index);
    if (!this.done[index] && !stillRunning && !this.pending.includes(index)) this.pending.unshift(index);
  }

  private killAttempt(taskId: string, a: Attempt): void {
    this.running.delete(taskId);
    this.kill(a.workerId, taskId);
  }

  private end(e: TaskSetEnd): void {
    if (this.ended) return;
    this.ended = true;
    for (const [id, a] of [...this.running]) this.killAttempt(id, a);
    this.pending.length = 0;
    this.resolveEnd(e);
  }
}
