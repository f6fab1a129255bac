/**
 * InFlightLimit: runs asynchronous calls with at most `max` of them unfinished at once; the
 * rest wait, first come first started. The driver sends a worker its housekeeping calls
 * (RemoveRdd, RemoveBroadcast, RemoveBlocks, KillTask) through one, so a burst of them (a
 * program unpersisting 300 RDDs in a loop without awaiting) never has more calls open on the
 * worker than its per-peer limit admits (--max-calls-per-peer, 256 by default): the calls past
 * it were refused, unretried, and their blocks stayed on the worker.
 *
 * Threading: the driver's event loop; `run` never throws synchronously.
 */
export class InFlightLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Calls started and not finished, and calls waiting to start (tests). */
  get counts(): { readonly running: number; readonly waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Start `call` once fewer than `max` are unfinished; settles as it does. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        let p: Promise<T>;
        try {
          p = call();
        } catch (err) {
          p = Promise.reject(err);
        }
        const end = (): void => {
          this.running--;
          this.waiting.shift()?.();
        };
        p.then(
          (v) => (end(), resolve(v)),
          (err: unknown) => (end(), reject(err)),
        );
      };
      if (this.running < this.max) start();
      else this.waiting.push(start);
    });
  }
}
