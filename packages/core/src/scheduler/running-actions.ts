import { SluiceError } from '../errors.js';
import { currentOutputOperation } from '../streaming/output-operation-scope.js';

/** One action running: the job group it was started in, whether a streaming batch's output started it, and what cancels it. */
interface RunningAction {
  readonly group: string | undefined;
  readonly streaming: boolean;
  readonly abort: AbortController;
}

/**
 * The actions a driver program is running, with the job group each was started in (Spark's
 * setJobGroup / cancelJobGroup / cancelAllJobs): cancelling one aborts the signal its job
 * runs under, which kills its tasks (DAGScheduler.cancelAction). The driver program is one
 * thread, so the group set is the program's (Spark's is the calling thread's).
 */
export class RunningActions {
  private group: { id: string; description: string | undefined } | undefined;
  private readonly running = new Set<RunningAction>();

  setJobGroup(groupId: string, description: string | undefined): void {
    if (typeof groupId !== 'string' || groupId === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.setJobGroup: the group id must be a non-empty string, got ${JSON.stringify(groupId) ?? String(groupId)}`);
    this.group = { id: groupId, description };
  }

  clearJobGroup(): void {
    this.group = undefined;
  }

  /**
   * Registers an action starting now in the current group; returns the signal its job runs
   * under (aborted by `signal` too, the action's own cancel), the group's description, and the
   * function that ends the entry.
   */
  start(signal: AbortSignal | undefined): { signal: AbortSignal; description: string | undefined; done: () => void } {
    const entry = { group: this.group?.id, streaming: currentOutputOperation() !== undefined, abort: new AbortController() };
    this.running.add(entry);
    const onAbort = (): void => entry.abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) entry.abort.abort();
    return {
      signal: entry.abort.signal,
      description: this.group?.description,
      done: () => {
        this.running.delete(entry);
        signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  /** Cancels the running actions started in `groupId`; returns how many. */
  cancelJobGroup(groupId: string): number {
    return this.cancelWhere((e) => e.group === groupId);
  }

  /** Cancels the running actions a streaming batch's output operations started; returns how many. */
  cancelStreaming(): number {
    return this.cancelWhere((e) => e.streaming);
  }

  /** Cancels every running action; returns how many. */
  cancelAll(): number {
    return this.cancelWhere(() => true);
  }

  /** Cancels the running actions `which` picks that are not cancelled yet; returns how many. */
  private cancelWhere(which: (e: RunningAction) => boolean): number {
    let n = 0;
    for (const e of this.running) {
      if (which(e) && !e.abort.signal.aborted) {
        e.abort.abort();
        n++;
      }
    }
    return n;
  }
}
