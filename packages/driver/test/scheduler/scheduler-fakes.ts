// What the TaskScheduler tests share (task-scheduler.test, unseen-tasks.test): the real
// WorkerRegistry on a manual clock with fake workers, a worker endpoint whose launches wait for the test's answer, a task's successful outcome, a stage
// that records what its task sets report, and a few turns of the event loop for the launches'
// promises to settle.
import { pino } from 'pino';
import { ManualClock, type wire } from '@sluice/core/internal';
import { WorkerRegistry } from '../../src/cluster/worker-registry.js';
import type { LaunchResult, TaskDescription, WorkerEndpoint } from '../../src/rpc/worker-endpoint.js';
import type { StageCallbacks } from '../../src/scheduler/task-set-manager.js';

export interface Launch {
  readonly desc: TaskDescription;
  readonly resolve: (r: LaunchResult) => void;
}

/** An endpoint whose launches wait until the test answers them; reconnect() fails them as lost and answers `answers`. */
export class FakeWorker implements WorkerEndpoint {
  /** Launches not answered yet, oldest first. */
  readonly waiting: Launch[] = [];
  readonly reconnects: { reason: string; timeoutMs: number }[] = [];
  answers = false;
  launched = 0;
  /** The most launches ever unanswered at once. */
  maxInFlight = 0;
  launchTask(desc: TaskDescription): Promise<LaunchResult> {
    return new Promise((resolve) => {
      this.waiting.push({ desc, resolve });
      this.launched++;
      this.maxInFlight = Math.max(this.maxInFlight, this.waiting.length);
    });
  }
  forgetStage(): void {}
  killTask(): void {}
  async releaseJob(): Promise<void> {}
  async removeRdd(): Promise<void> {}
  async removeBroadcast(): Promise<void> {}
  async removeBlocks(): Promise<void> {}
  async startReceiver(): Promise<{ ok: false; message: string }> {
    return { ok: false, message: 'fake' };
  }
  async stopReceiver(): Promise<void> {}
  reconnect(reason: string, timeoutMs: number): Promise<boolean> {
    this.reconnects.push({ reason, timeoutMs });
    for (const l of this.waiting.splice(0)) l.resolve({ ok: false, workerLost: true, message: reason });
    return Promise.resolve(this.answers);
  }
  close(): void {}
}

export const ok = (): LaunchResult => ({ ok: true, outcome: { outcome: 'result', result: Buffer.from('v'), stored_blocks: [], stored_block_bytes: [], accumulators: Buffer.alloc(0), shuffle_read_bytes: 0, metrics: null } });

/** Stage 3 of job1: each partition's successes, and every task end's reason. */
export class Stage implements StageCallbacks {
  readonly jobId: string = 'job1';
  readonly stageId: number = 3;
  readonly stageAttempt = 0;
  /** Successes by partition (must end up exactly one each). */
  readonly successes = new Map<number, number>();
  readonly reasons: string[] = [];
  constructor(prefs?: Record<number, string[]>) {
    if (prefs) this.preferredWorkers = (p: number): ReadonlySet<string> => new Set(prefs[p] ?? []);
  }
  preferredWorkers?: (partition: number) => ReadonlySet<string> | undefined;
  describe(partition: number, taskId: string, attempt: number): TaskDescription {
    const stage = { key: 'job1/3.0#0', jobId: this.jobId, bundleSha256: '', stageId: this.stageId, shuffleId: -1, payload: new Uint8Array(0) };
    return { taskId, partition, attempt, stage, taskData: new Uint8Array(0) };
  }
  onSuccess(partition: number, _o: wire.TaskOutcome__Output): void {
    this.successes.set(partition, (this.successes.get(partition) ?? 0) + 1);
  }
  onTaskEnd(e: { reason: string }): void {
    this.reasons.push(e.reason);
  }
}

export const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

/**
 * The real WorkerRegistry (a 60 s worker timeout) on a manual clock, whose workers' endpoints
 * are FakeWorkers (`fakes`, by worker id). `add` registers workers (id: cores): call it after
 * making the scheduler, which hears of them as they join.
 */
export function fakeRegistry() {
  const clock = new ManualClock(1_000_000);
  const fakes = new Map<string, FakeWorker>();
  let next = '';
  const endpoint = (): FakeWorker => {
    const f = new FakeWorker();
    fakes.set(next, f);
    return f;
  };
  const registry = new WorkerRegistry(clock, 60_000, endpoint, pino({ level: 'silent' }), async () => 'open');
  const add = (workers: Record<string, number>): void => {
    for (const [id, cores] of Object.entries(workers)) {
      next = id;
      registry.register(id, `127.0.0.1:${id.length}`, cores);
    }
  };
  return { clock, fakes, registry, add };
}
