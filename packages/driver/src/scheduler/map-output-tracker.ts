import type { MapOutputLocation, MapStatus } from '@sluice/core/internal';

interface Output extends MapOutputLocation {
  readonly status: MapStatus;
  /** When it was registered: the tracker's `epoch` then (a move keeps it). */
  readonly seq: number;
}

/** One map output as `outputsOn` lists it. */
export interface MapOutputRef {
  readonly jobId: string;
  readonly shuffleId: number;
  readonly mapPartition: number;
}

/**
 * Where every shuffle's map outputs live, as Spark's MapOutputTracker: for each
 * (job, shuffle), the worker holding each map partition's output and its MapStatus: the
 * bytes of its segment for each reduce partition, compactly (a byte each, or above 2,000
 * partitions a bitmap of the empty ones and an average), exact on which are empty (those
 * are not fetched). A lost worker takes its
 * outputs with it; the DAG scheduler then re-runs just those map tasks.
 *
 * On the worker a map output is one block, `shuffle_<job>_<shuffle>_<map>` (segments:
 * index, data; see MapOutputFile), readable with GetBlock and storable elsewhere with
 * PutBlock. Moving one (a worker being decommissioned) is: copy the block to the new
 * worker, then `updateLocation` here; reduce tasks made after that read it there.
 */
export class MapOutputTracker {
  private readonly shuffles = new Map<string, (Output | undefined)[]>();
  private seq = 0;

  /**
   * The tracker's epoch, as Spark's MapOutputTracker.getEpoch: one more at every registration and
   * every removal. A task set's tasks read only outputs registered up to its value when the set
   * was made (their locations are given then; Spark's Task.epoch): a fetch failure or a map
   * task's success from a task set of an older epoch than a worker's last fetch failure is told
   * apart by it (DAGScheduler's shuffleFileLostEpoch and executorFailureEpoch).
   */
  get epoch(): number {
    return this.seq;
  }

  private key(jobId: string, shuffleId: number): string {
    return `${jobId}/${shuffleId}`;
  }

  private outputs(jobId: string, shuffleId: number, numMaps: number): (Output | undefined)[] {
    const k = this.key(jobId, shuffleId);
    let o = this.shuffles.get(k);
    if (!o) this.shuffles.set(k, (o = new Array<Output | undefined>(numMaps).fill(undefined)));
    return o;
  }

  register(jobId: string, shuffleId: number, numMaps: number, map: number, loc: MapOutputLocation, status: MapStatus): void {
    this.outputs(jobId, shuffleId, numMaps)[map] = { workerId: loc.workerId, address: loc.address, status, seq: ++this.seq };
  }

  /** Whether map partition `map`'s output is registered (on a worker thought alive). */
  has(jobId: string, shuffleId: number, map: number): boolean {
    return this.shuffles.get(this.key(jobId, shuffleId))?.[map] !== undefined;
  }

  missing(jobId: string, shuffleId: number, numMaps: number): number[] {
    const o = this.outputs(jobId, shuffleId, numMaps);
    const out: number[] = [];
    for (let i = 0; i < numMaps; i++) if (!o[i]) out.push(i);
    return out;
  }

  /**
   * Locations of every map output of a shuffle, or undefined while any is missing (or the
   * shuffle is unknown): a reduce task is never handed a hole where a location should be.
   * The outputs on one worker share one location object, so a task payload made of them
   * encodes each worker once and a back-reference per map output (the v8 codec keeps
   * object identity): a reduce task of a 2,000-map shuffle carries a few KiB, not 2,000
   * copies of the same id and address.
   */
  locations(jobId: string, shuffleId: number): MapOutputLocation[] | undefined {
    const o = this.shuffles.get(this.key(jobId, shuffleId));
    if (!o || o.some((x) => x === undefined)) return undefined;
    const shared = new Map<string, MapOutputLocation>();
    return o.map((x) => {
      const key = `${x!.workerId}\0${x!.address}`;
      let loc = shared.get(key);
      if (!loc) shared.set(key, (loc = { workerId: x!.workerId, address: x!.address }));
      return loc;
    });
  }

  /** The MapStatus of each live map output of a shuffle (undefined for a lost one). */
  statuses(jobId: string, shuffleId: number): readonly (MapStatus | undefined)[] {
    return (this.shuffles.get(this.key(jobId, shuffleId)) ?? []).map((x) => x?.status);
  }

  /**
   * For each map output of a shuffle, the bitmap of its empty segments (null: none empty,
   * or the output is lost); undefined when no output has an empty segment. What a reduce
   * stage is sent once (TaskPayload.emptySegments).
   */
  emptySegments(jobId: string, shuffleId: number): (Uint8Array | null)[] | undefined {
    const o = this.shuffles.get(this.key(jobId, shuffleId)) ?? [];
    let any = false;
    const out = o.map((x) => {
      const b = x?.status.emptyBitmap();
      if (b === undefined) return null;
      any = true;
      return b;
    });
    return any ? out : undefined;
  }

  /**
   * Forget one map output (a fetch failed) and every other output of that shuffle on the same
   * worker; with `registeredUpTo`, only those registered up to then (`epoch`): a fetch failure of
   * a task made before the outputs were computed again says nothing of the new ones. The epoch
   * moves on (Spark's unregisterMapOutput increments it).
   */
  removeOutputsOn(jobId: string, shuffleId: number, workerId: string, registeredUpTo = Infinity): number {
    const o = this.shuffles.get(this.key(jobId, shuffleId)) ?? [];
    let n = 0;
    o.forEach((x, i) => {
      if (x?.workerId === workerId && x.seq <= registeredUpTo) {
        o[i] = undefined;
        n++;
      }
    });
    this.seq++;
    return n;
  }

  /**
   * Forget every map output of every shuffle of job `jobId` on `workerId`, as Spark's
   * removeOutputsOnExecutor on a fetch failure naming an executor (its shuffle files are presumed
   * lost); the epoch moves on. Another job's outputs there stay (Spark's executors serve one
   * application).
   */
  removeJobOutputsOn(jobId: string, workerId: string): number {
    let n = 0;
    for (const [k, o] of this.shuffles) {
      if (!k.startsWith(`${jobId}/`)) continue;
      o.forEach((x, i) => {
        if (x?.workerId === workerId) {
          o[i] = undefined;
          n++;
        }
      });
    }
    this.seq++;
    return n;
  }

  /** Every map output this tracker places on `workerId` (what a decommissioned worker must hand over). */
  outputsOn(workerId: string): MapOutputRef[] {
    const out: MapOutputRef[] = [];
    for (const [k, o] of this.shuffles) {
      const slash = k.lastIndexOf('/');
      const jobId = k.slice(0, slash);
      const shuffleId = Number(k.slice(slash + 1));
      o.forEach((x, mapPartition) => {
        if (x?.workerId === workerId) out.push({ jobId, shuffleId, mapPartition });
      });
    }
    return out;
  }

  /**
   * A map output now lives on another worker (its block was copied there), as Spark's
   * updateMapOutput; its status stays. Only if it is still where the mover found it:
   * returns false (and changes nothing) when it was lost or re-registered meanwhile.
   */
  updateLocation(jobId: string, shuffleId: number, mapPartition: number, fromWorkerId: string, to: MapOutputLocation): boolean {
    const o = this.shuffles.get(this.key(jobId, shuffleId));
    const x = o?.[mapPartition];
    if (!o || !x || x.workerId !== fromWorkerId) return false;
    o[mapPartition] = { workerId: to.workerId, address: to.address, status: x.status, seq: x.seq };
    return true;
  }

  /** Forget every output on a worker declared lost (every job's); the epoch moves on. */
  removeWorker(workerId: string): number {
    this.seq++;
    let n = 0;
    for (const o of this.shuffles.values()) {
      o.forEach((x, i) => {
        if (x?.workerId === workerId) {
          o[i] = undefined;
          n++;
        }
      });
    }
    return n;
  }

  removeShuffle(jobId: string, shuffleId: number): void {
    this.shuffles.delete(this.key(jobId, shuffleId));
  }

  clearJob(jobId: string): void {
    for (const k of [...this.shuffles.keys()]) if (k.startsWith(`${jobId}/`)) this.shuffles.delete(k);
  }

  get size(): number {
    return this.shuffles.size;
  }
}
