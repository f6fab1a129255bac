/**
 * The creation sites (Spark's RDDInfo.callSite, `map at job.ts:14:23`) of a job's RDDs, formatted
 * by the program's thread only when a page or REST call asks for them: an action sends its
 * lineage's RDD ids without their sites (formatting each RDD's stack costs ~30 us, every action,
 * a streaming job's every batch), this remembers the ids not yet asked (`seen`), and `ask` has
 * the program's thread format those, once, keeping the texts. Both bounded: the last `max` ids
 * each (older RDDs' stages are evicted from the UI's lists well before).
 *
 * An RDD whose site was never asked while its program's thread ran (the job ended) shows none.
 */
export class RddCallSites {
  /** RDD ids the program sent whose site is not asked yet, oldest first. */
  private readonly unasked = new Set<number>();
  /** The texts asked; undefined for an RDD the program had no site for. */
  private readonly texts = new Map<number, string | undefined>();
  /** The ask under way (one at a time: others wait on it). */
  private asking: Promise<void> | undefined;

  constructor(private readonly max = 10_000) {}

  /** An action's lineage sent these RDD ids. */
  seen(ids: Iterable<number>): void {
    for (const id of ids) if (!this.texts.has(id)) this.unasked.add(id);
    trim(this.unasked, this.max);
  }

  /** RDD `id`'s creation site, if asked and known. */
  textOf(id: number): string | undefined {
    return this.texts.get(id);
  }

  /** Forget them all (a new attempt of the job: its program numbers RDDs from 0 again). */
  clear(): void {
    this.unasked.clear();
    this.texts.clear();
  }

  /**
   * Have the sites not asked yet formatted: `format` sends their ids to the program's thread and
   * resolves with its answer (null for one it does not know), or undefined when it cannot answer
   * (ended). Resolves once they are kept, or after `timeoutMs` (the program's thread may be
   * busy: a synchronous action blocks it), the ids then asked again at the next call.
   */
  ask(format: (ids: readonly number[]) => Promise<readonly (readonly [number, string | null])[] | undefined>, timeoutMs: number): Promise<void> {
    if (this.asking) return this.asking;
    const ids = [...this.unasked];
    if (ids.length === 0) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const answered = format(ids).then((sites) => {
      if (sites === undefined) return;
      for (const [id, text] of sites) {
        this.unasked.delete(id);
        this.texts.set(id, text ?? undefined);
      }
      trim(this.texts, this.max);
    });
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    this.asking = Promise.race([answered, timedOut]).finally(() => {
      clearTimeout(timer);
      this.asking = undefined;
    });
    return this.asking;
  }
}

/** Drop the oldest entries of `c` past `max`. */
function trim(c: Set<number> | Map<number, unknown>, max: number): void {
  for (const k of c.keys()) {
    if (c.size <= max) return;
    c.delete(k);
  }
}
