import type { Logger } from 'pino';
import type { StorageLevel, wire } from '@sluice/core/internal';
import type { BlockManager } from '../storage/block-manager.js';
import { ShuffleClient } from '../shuffle/shuffle-client.js';
import { JobSandbox, type SandboxHost } from './job-sandbox.js';
import type { MainToThread, ThreadOutcome } from './thread-protocol.js';

/** Gets a job's bundle onto this worker's disk (fetching it from the driver once). */
export type BundleSource = (jobId: string, sha256: string) => Promise<string>;

interface RunningTask {
  readonly jobId: string;
  /** Shuffle segments written by this attempt, committed only when it succeeds. */
  readonly segments: Map<string, Uint8Array[]>;
  readonly cached: string[];
}

/**
 * Runs tasks on a worker, as Spark's Executor: one JobSandbox (threads) per job, the
 * worker's BlockManager for shuffle outputs and cached partitions, and a ShuffleClient
 * for reduce-side fetches. A map task's output becomes visible only when the task
 * succeeds, so a failed or killed attempt leaves nothing half-written.
 */
export class Executor {
  private readonly sandboxes = new Map<string, JobSandbox>();
  private readonly running = new Map<string, RunningTask>();
  private completed = 0;

  constructor(
    private readonly cores: number,
    private readonly blocks: BlockManager,
    private readonly shuffle: ShuffleClient,
    private readonly bundles: BundleSource,
    private readonly log: Logger,
  ) {}

  get runningTaskIds(): string[] {
    return [...this.running.keys()];
  }

  get tasksCompleted(): number {
    return this.completed;
  }

  async launch(desc: wire.TaskDescription__Output): Promise<wire.TaskOutcome> {
    const log = this.log.child({ jobId: desc.job_id, taskId: desc.task_id, stageId: desc.stage_id, partition: desc.partition });
    let bundlePath: string;
    try {
      bundlePath = await this.bundles(desc.job_id, desc.bundle_sha256);
    } catch (err) {
      log.error({ err }, 'cannot get job bundle');
      return { error: { code: 'SLUICE_JOB_LOAD', message: `worker cannot get the job bundle: ${(err as Error).message}`, stack: '' } };
    }
    const sandbox = this.sandbox(desc.job_id, bundlePath);
    const task: RunningTask = { jobId: desc.job_id, segments: new Map(), cached: [] };
    this.running.set(desc.task_id, task);
    log.debug('task started');
    let outcome: ThreadOutcome | 'killed';
    try {
      outcome = await sandbox.run(desc.task_id, desc.partition, desc.payload);
    } finally {
      this.running.delete(desc.task_id);
    }
    this.completed++;
    if (outcome === 'killed') return { killed: true };
    switch (outcome.kind) {
      case 'result':
        return { result: outcome.value, stored_blocks: task.cached };
      case 'mapStatus': {
        const shuffleId = desc.shuffle_id;
        for (const [blockId, segs] of task.segments) this.blocks.put(blockId, segs, 'SHUFFLE');
        this.blocks.put(ShuffleClient.mapOutputMarker(desc.job_id, shuffleId, desc.partition), [], 'SHUFFLE');
        return { map_status: { sizes: outcome.sizes }, accumulators: outcome.accumulators, stored_blocks: task.cached };
      }
      case 'error':
        log.info({ code: outcome.code, message: outcome.message }, 'task failed');
        return { error: { code: outcome.code, message: outcome.message, stack: outcome.stack }, stored_blocks: task.cached };
      case 'fetchFailed':
        return {
          fetch_failed: { shuffle_id: outcome.shuffleId, map_partition: outcome.mapPartition, worker_id: outcome.workerId, message: outcome.message },
          stored_blocks: task.cached,
        };
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(never)}`);
      }
    }
  }

  kill(taskId: string): boolean {
    for (const s of this.sandboxes.values()) if (s.kill(taskId)) return true;
    return false;
  }

  /** Forget a job: stop its threads and drop its blocks. */
  releaseJob(jobId: string): void {
    this.sandboxes.get(jobId)?.close();
    this.sandboxes.delete(jobId);
    const n = this.blocks.removeByPrefix(`shuffle_${jobId}_`) + this.blocks.removeByPrefix(`rdd_${jobId}_`) + this.blocks.removeByPrefix(`mapout_${jobId}_`);
    this.log.info({ jobId, blocks: n }, 'job released');
  }

  removeRdd(jobId: string, rddId: number): number {
    return this.blocks.removeByPrefix(`rdd_${jobId}_${rddId}_`);
  }

  close(): void {
    for (const s of this.sandboxes.values()) s.close();
    this.sandboxes.clear();
  }

  get jobCount(): number {
    return this.sandboxes.size;
  }

  private sandbox(jobId: string, bundlePath: string): JobSandbox {
    let s = this.sandboxes.get(jobId);
    if (!s) {
      const host: SandboxHost = {
        onSegment: (taskId, blockId, data) => {
          const t = this.running.get(taskId);
          if (!t) return;
          let segs = t.segments.get(blockId);
          if (!segs) t.segments.set(blockId, (segs = []));
          segs.push(data);
        },
        onCachePut: (taskId, blockId, data, level) => {
          this.blocks.put(blockId, [data], level as StorageLevel);
          this.running.get(taskId)?.cached.push(blockId);
        },
        cacheGet: (blockId) => {
          const segs = this.blocks.get(blockId);
          return segs === undefined ? undefined : segs.length === 1 ? segs[0] : Buffer.concat(segs);
        },
        blockGet: async (blockId, locations) => {
          const segs = this.blocks.get(blockId) ?? (await this.shuffle.getRemoteBlock(blockId, locations));
          return segs === undefined ? undefined : segs.length === 1 ? segs[0] : Buffer.concat(segs);
        },
        fetch: async (msg): Promise<MainToThread> => {
          const r = await this.shuffle.fetch(jobId, msg.shuffleId, msg.reducePartition, msg.locations);
          if (r.ok) return { type: 'fetched', reqId: msg.reqId, segments: r.segments };
          return { type: 'fetchFailed', reqId: msg.reqId, shuffleId: msg.shuffleId, mapPartition: r.mapPartition, workerId: r.workerId, message: r.message };
        },
      };
      s = new JobSandbox(jobId, bundlePath, this.cores, host, this.log.child({ jobId }));
      this.sandboxes.set(jobId, s);
    }
    return s;
  }
}

