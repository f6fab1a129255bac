import type { OutputCheckpointState } from './output-checkpoint-state.js';

/**
 * Whether a streaming output's batches have written through its sink's server, for a
 * connector's output helper (saveToPostgres, saveToRedis) to wait for that server when it
 * refuses connections (it restarts) rather than fail at once. Given to foreachRDD as its
 * `checkpointState`, it is kept in the metadata checkpoints with the server it names (give it
 * an address with its password left out): a job recovered from them (its driver killed and
 * started again, or the job submitted again) knows it reached that server, and only that one —
 * a recovered job given another address never reached it; a checkpoint written before any
 * batch wrote says nothing.
 */
export class SinkServerReached implements OutputCheckpointState {
  private reachedBefore = false;

  /** `server`: the sink's address as kept in the checkpoints (no password). */
  constructor(private readonly server: string) {}

  /** True once a batch wrote through the server, in this run or the one the job recovered from. */
  get reached(): boolean {
    return this.reachedBefore;
  }

  /** A batch wrote through the server (or found its writes already there). */
  markReached(): void {
    this.reachedBefore = true;
  }

  checkpointData(): unknown {
    return this.reachedBefore ? { reached: this.server } : undefined;
  }

  restoreCheckpointData(kept: unknown): void {
    if ((kept as { reached?: unknown } | null)?.reached === this.server) this.reachedBefore = true;
  }
}
