/**
 * What the async actions give (Spark's FutureAction): the action's result as a Promise-like
 * value (await it), which `cancel()` stops: its job's tasks are killed and it rejects with
 * SLUICE_CANCELLED.
 */
export class FutureAction<T> implements PromiseLike<T> {
  private readonly abort = new AbortController();
  private readonly promise: Promise<T>;
  private completed = false;
  private readonly ids: number[] = [];

  /** @internal `run` starts the action, `signal` cancelling its jobs, `jobStarted` told each job's id as it starts. */
  constructor(run: (signal: AbortSignal, jobStarted: (jobId: number) => void) => Promise<T>) {
    this.promise = run(this.abort.signal, (id) => this.ids.push(id)).finally(() => {
      this.completed = true;
    });
    // A rejection nobody awaits (cancel() without a catch) is the caller's choice, not a crash.
    this.promise.catch(() => undefined);
  }

  then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.promise.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.promise.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.promise.finally(onFinally);
  }

  /**
   * Cancels the action (Spark's FutureAction.cancel): its running job fails with
   * SLUICE_CANCELLED and its tasks are killed; nothing once it completed.
   */
  cancel(): void {
    if (!this.completed) this.abort.abort();
  }

  /**
   * Spark's jobIds: the ids of the jobs the action started so far, in order (one; takeAsync's
   * one a round of partitions), as sc.cancelJob and the status pages know them. A snapshot.
   */
  get jobIds(): readonly number[] {
    return [...this.ids];
  }

  /** Whether the action ended: its result or its error known (Spark's isCompleted). */
  isCompleted(): boolean {
    return this.completed;
  }

  /** Java's Future.isDone, which Spark's FutureAction gives as isCompleted: whether the action ended. Since 2026-12-06. */
  isDone(): boolean {
    return this.completed;
  }

  /** Whether cancel() was called before the action completed (Spark's isCancelled). */
  isCancelled(): boolean {
    return this.abort.signal.aborted;
  }

  get [Symbol.toStringTag](): string {
    return 'FutureAction';
  }
}
