import type { DStream } from '../dstream/dstream.js';
import type { InputDStream } from '../dstream/input-dstreams.js';
import type { OutputCheckpointState } from '../dstream/output-checkpoint-state.js';
import { isDiskFull, isNotWritable, SluiceError } from '../errors.js';
import { joinCheckpointLocation } from '../checkpoint/checkpoint-location.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { GraphFingerprint } from '../checkpoint/graph-fingerprint.js';
import { METADATA_DIR, MetadataStore } from '../checkpoint/metadata-store.js';
import { checkpointPartDamage } from '../checkpoint/checkpoint-part.js';
import { missingCheckpointParts, pruneStateCheckpoints } from '../checkpoint/state-checkpoints.js';
import type { StateCheckpointRef, StreamingMetadata } from '../checkpoint/streaming-metadata.js';
import { fromTimeRuns, toTimeRuns } from '../checkpoint/time-runs.js';
import type { SluiceContext } from '../context.js';

/** Attempts of one metadata write before the context stops (Spark's CheckpointWriter makes 3). */
export const METADATA_WRITE_ATTEMPTS = 3;
/** Default bound of one metadata write, its attempts included (StreamingContextOptions.checkpointWriteTimeout). */
export const DEFAULT_CHECKPOINT_WRITE_TIMEOUT_MS = 60_000;

/** What the checkpointer reads of its StreamingContext. */
export interface CheckpointedGraph {
  readonly sc: SluiceContext;
  readonly batchIntervalMs: number;
  readonly zeroTime: number;
  readonly streams: readonly DStream<unknown>[];
  readonly inputs: readonly InputDStream<unknown>[];
  /** Each output operation's checkpointState (undefined: it keeps none), in the program's order. */
  readonly outputs: readonly (OutputCheckpointState | undefined)[];
  /**
   * What the stream does while the metadata of batch `batchTime` (written for `reason`) is
   * not written (for want of space or permission): its batches held, its generation paused,
   * or going on; for the refusal's warning. Without it: "the stream goes on".
   */
  unwrittenOutcome?(batchTime: number, reason: string): string;
  fingerprint(): GraphFingerprint;
}

/**
 * Writes a StreamingContext's metadata checkpoints (as Spark's JobGenerator does with
 * its Checkpoint writer): when a batch is generated (its inputs fixed, before its jobs
 * run) and when it completes. Tracks the batches generated but not completed and each
 * checkpointed stream's latest completed RDD checkpoint; after each completion deletes
 * the RDD checkpoints that no kept metadata file refers to. Everything goes through the
 * checkpoint directory's CheckpointStore (a file system, or object storage such as S3).
 *
 * On recovery, `restore` hands every input its checkpoint data back (and every output that
 * kept some, foreachRDD's checkpointState) and seeds each stateful stream with an RDD read
 * from its checkpoint files.
 *
 * Group commit: what a write records is taken when the event happens (`snapshot`), and
 * each snapshot records everything the ones before it did (every batch generated and not
 * completed, every input's position, the latest state checkpoints). So while a write is
 * under way the snapshots asked for meanwhile wait as one: the newest replaces the older
 * ones, and its write makes every one of them durable. A slow store (a loaded disk,
 * object storage) then costs fewer, later writes, never a queue that grows; the batches
 * waiting on a `batchGenerated` are released together, in the order they were generated.
 *
 * A store that fails or hangs: a write that fails is tried again (METADATA_WRITE_ATTEMPTS
 * in all, as Spark's CheckpointWriter); one that still fails, or does not complete within
 * `writeTimeoutMs` (its attempts included), fails for good: the batches waiting for it are
 * not submitted, `onError` (the context stops with the error, naming the checkpoint
 * directory and the cause), and every later write fails at once with the same error. Were
 * the stream to go on (Spark logs and goes on), the batches waiting for a durable write
 * would pile up in memory without end, or run with no metadata recording them (a recovery
 * would then cut them again from other input). Want of space is the exception: a warning,
 * and the batches are released (see persist), except those whose input a recovery would cut
 * again differently (received blocks in the write-ahead log): their generator waits for
 * `nextDurable`.
 *
 * Threading: the driver program's thread. The I/O of writes and pruning runs one
 * operation at a time, in event order (`chain`), so metadata files are numbered in the
 * order of the events they record.
 */
export class MetadataCheckpointer {
  readonly store: MetadataStore;
  /** Batch times generated but not completed. */
  private readonly pending = new Set<number>();
  /** Each checkpointed stream's latest completed RDD checkpoint, by stream id. */
  private readonly latestState = new Map<number, StateCheckpointRef>();
  /** State checkpoints the last kept metadata files refer to, oldest first. */
  private readonly recentRefs: Set<string>[] = [];
  /** The metadata I/O, one operation after another; never rejects. */
  private chain: Promise<void> = Promise.resolve();
  /** The write asked for and not yet begun: the newest snapshot, standing for every one asked for since the last write began. */
  private queued: QueuedWrite | undefined;
  /** Whether the last metadata write done is durable (not failed, not skipped for want of space). */
  private lastDurable = true;
  /** Metadata checkpoints not written in a row for want of space or permission (a warning each); logged once one is written again. */
  private unwritten = 0;
  /** The error of a write that failed for good: every later write fails with it. */
  private broken: Error | undefined;
  /** Durable metadata writes so far, and who waits for a count of them. */
  private durableWrites = 0;
  private durableWaiters: { count: number; resolve: (ok: boolean) => void }[] = [];
  /** Who waits for the next durable write (nextDurable). */
  private nextDurableWaiters: (() => void)[] = [];

  /**
   * `onError`: a completion's metadata could not be written (the context stops with it).
   * `writeTimeoutMs`: the longest a metadata write may take, its attempts included.
   */
  constructor(
    private readonly graph: CheckpointedGraph,
    readonly checkpointStore: CheckpointStore,
    private readonly onError: (err: Error) => void,
    private readonly keep = 3,
    private readonly writeTimeoutMs = DEFAULT_CHECKPOINT_WRITE_TIMEOUT_MS,
  ) {
    this.store = new MetadataStore(checkpointStore, keep);
  }

  /** The checkpoint directory (an absolute path or scheme://...). */
  get checkpointDir(): string {
    return this.checkpointStore.location;
  }

  /**
   * Before the first batch: remove what a killed writer left, learn which state
   * checkpoints the kept metadata files refer to, and delete the others.
   */
  init(): Promise<void> {
    return this.enqueue(async () => {
      await this.checkpointStore.removeTemporary(`${METADATA_DIR}/`);
      for (const md of (await this.store.readAll()).reverse()) this.recentRefs.push(refsOf(md));
      // No batch runs yet: what no kept file lists is an earlier run's, written or half written.
      await this.pruneState(Infinity, false);
    });
  }

  /** Hand each input its data back and seed each stateful stream from its checkpoint; returns the batches to re-run. */
  restore(md: StreamingMetadata, damaged: readonly DamagedStateCheckpoint[] = []): number[] {
    const rerun = fromTimeRuns(md.pendingRuns, md.batchIntervalMs, 'pending batches').sort((a, b) => a - b);
    const rerunSet = new Set(rerun);
    for (const s of this.graph.inputs) s.restoreCheckpointData(md.inputs[String(s.id)] ?? null, rerunSet, windowsReading(this.graph.streams, s));
    for (const [i, o] of this.graph.outputs.entries()) {
      const kept = md.outputs?.[String(i)];
      if (o !== undefined && kept !== undefined) o.restoreCheckpointData(kept);
    }
    for (const [id, ref] of seedStateCheckpoints(this.graph, this.checkpointDir, md, damaged)) this.latestState.set(id, ref);
    // Still pending from the first metadata file this run writes on: were they listed only
    // as each is generated again, a file written meanwhile (the first re-run batch's) would
    // list that batch alone, with the next batch time past them all, and a driver killed
    // then would forget the others (as Spark's restart submits them all at once, so that
    // every checkpoint it writes lists them).
    for (const t of rerun) this.pending.add(t);
    return rerun;
  }

  /**
   * Records batch `time` as generated (its input fixed) and resolves once a metadata file
   * recording it is durable (or could not be written for want of space: see persist); the
   * batch's jobs must not run before, so that a driver that dies after they ran re-runs the
   * batch from the same input. Returns at once: the write is queued (and coalesced with
   * the snapshots asked for while the one before it is written). Resolves with whether
   * that write is durable (false: skipped for want of space or permission; a batch whose
   * input a recovery would cut again otherwise waits for nextDurable). Rejects when the write
   * fails.
   */
  batchGenerated(time: number, nextBatchTime: number): Promise<boolean> {
    this.pending.add(time);
    return this.request(this.snapshot('generated', time, nextBatchTime), undefined).written;
  }

  /** After a batch's jobs all succeeded (a failed batch stays pending, to be re-run). */
  batchCompleted(time: number, nextBatchTime: number): void {
    this.pending.delete(time);
    const q = this.request(this.snapshot('completed', time, nextBatchTime), time);
    if (q.reportsErrors) return;
    q.reportsErrors = true;
    q.done.catch((err: unknown) => this.onError(err as Error));
  }

  /**
   * Resolves once a metadata write done after this call is durable. Every snapshot lists every
   * batch generated and not completed with its input, so that write records each batch
   * generated before it. Never resolves if no durable write comes (the context stopped).
   */
  nextDurable(): Promise<void> {
    return new Promise((resolve) => this.nextDurableWaiters.push(resolve));
  }

  /** Resolves once every write and pruning asked for so far is done. */
  flush(): Promise<void> {
    return this.chain;
  }

  /**
   * Resolves once every write asked for so far is done: true when the last one done is
   * durable (false when it failed, or was skipped for want of space).
   */
  written(): Promise<boolean> {
    return this.chain.then(() => this.lastDurable);
  }

  /**
   * Resolves once every metadata file the store keeps records what was asked for so far: the
   * writes asked for so far are done (the last durable), then `keep - 1` more are durable, so a
   * recovery that falls back from a damaged newest file to an older one finds it there too
   * (as the state checkpoints every kept file refers to are kept). False when a write was not
   * durable (failed, or skipped for want of space); never resolves if no more writes come (the
   * context stopped: what waits on it is done by a later run).
   */
  async writtenInEveryKept(): Promise<boolean> {
    if (!(await this.written())) return false;
    const count = this.durableWrites + this.keep - 1;
    if (this.durableWrites >= count) return true;
    return new Promise((resolve) => this.durableWaiters.push({ count, resolve }));
  }

  /** `md` to be written; the write already queued takes it instead of its older snapshot. */
  private request(md: StreamingMetadata, pruneUpTo: number | undefined): QueuedWrite {
    const q = this.queued;
    if (q) {
      q.md = md;
      if (pruneUpTo !== undefined) q.pruneUpTo = Math.max(q.pruneUpTo ?? -Infinity, pruneUpTo);
      q.coalesced++;
      return q;
    }
    let markWritten!: (durable: boolean) => void;
    let failWritten!: (err: unknown) => void;
    const written = new Promise<boolean>((resolve, reject) => {
      markWritten = resolve;
      failWritten = reject;
    });
    written.catch(() => undefined); // a completion's write: its error goes to onError through `done`
    const next: QueuedWrite = { md, pruneUpTo, coalesced: 1, written, done: Promise.resolve(), reportsErrors: false };
    this.queued = next;
    next.done = this.enqueue(async () => {
      // Taken when the write begins: snapshots asked for from now on queue a new write.
      this.queued = undefined;
      try {
        await this.persist(next.md);
      } catch (err) {
        failWritten(err);
        throw err;
      }
      markWritten(this.lastDurable);
      if (next.coalesced > 1) {
        this.graph.sc.log('debug', 'metadata checkpoints coalesced: one write for snapshots asked for while the one before was written', { component: 'metadata-checkpointer', snapshots: next.coalesced, batchTime: next.md.batchTime });
      }
      if (next.pruneUpTo !== undefined) await this.pruneState(next.pruneUpTo);
    });
    next.done.catch(() => undefined);
    return next;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private snapshot(reason: StreamingMetadata['reason'], time: number, nextBatchTime: number): StreamingMetadata {
    for (const s of this.graph.streams) {
      if (s.checkpointInterval === undefined) continue;
      let latest = this.latestState.get(s.id);
      for (const [t, rdd] of s.generated) {
        if (rdd.checkpointDir === undefined || rdd.checkpointName === undefined || (latest && latest.time >= t)) continue;
        latest = { time: t, dir: rdd.checkpointName, numPartitions: rdd.numPartitions, partitioner: rdd.partitioner ?? null };
      }
      if (latest) this.latestState.set(s.id, latest);
    }
    const inputs: Record<string, unknown> = {};
    for (const s of this.graph.inputs) inputs[String(s.id)] = s.checkpointData();
    const stateCheckpoints: Record<string, StateCheckpointRef> = {};
    for (const [id, ref] of this.latestState) stateCheckpoints[String(id)] = ref;
    const rememberedStateCheckpoints: Record<string, StateCheckpointRef[]> = {};
    for (const s of this.graph.streams) {
      const latest = this.latestState.get(s.id);
      if (s.checkpointInterval === undefined || latest === undefined) continue;
      const older: StateCheckpointRef[] = [];
      for (const [t, rdd] of s.generated) {
        if (t >= latest.time || rdd.checkpointDir === undefined || rdd.checkpointName === undefined) continue;
        older.push({ time: t, dir: rdd.checkpointName, numPartitions: rdd.numPartitions, partitioner: rdd.partitioner ?? null });
      }
      if (older.length > 0) rememberedStateCheckpoints[String(s.id)] = older.sort((a, b) => a.time - b.time);
    }
    const outputs: Record<string, unknown> = {};
    for (const [i, o] of this.graph.outputs.entries()) {
      const kept = o?.checkpointData();
      if (kept !== undefined) outputs[String(i)] = kept;
    }
    return {
      version: 2,
      reason,
      batchTime: time,
      fingerprint: this.graph.fingerprint(),
      zeroTime: this.graph.zeroTime,
      batchIntervalMs: this.graph.batchIntervalMs,
      pendingRuns: toTimeRuns(this.pending, this.graph.batchIntervalMs),
      nextBatchTime,
      inputs,
      stateCheckpoints,
      ...(Object.keys(rememberedStateCheckpoints).length > 0 ? { rememberedStateCheckpoints } : {}),
      ...(Object.keys(outputs).length > 0 ? { outputs } : {}),
    };
  }

  /**
   * A write refused for want of space, or of permission (the directory made read-only under
   * the running job, or a driver run as a user that cannot write it: EACCES, EPERM, EROFS), is a
   * warning naming the directory and what to do, as Spark's CheckpointWriter logs any write that
   * failed, saying what the stream does meanwhile (CheckpointedGraph.unwrittenOutcome: batches
   * held, generation paused, or going on); the next batch's checkpoint is written once space is back or
   * the directory writable again (a recovery meanwhile starts from the last one written, so no
   * batch is lost). Before, a directory made read-only stopped the streaming context at once.
   */
  private async persist(md: StreamingMetadata): Promise<void> {
    if (this.broken) throw this.broken;
    try {
      await this.writeWithRetries(md);
      this.lastDurable = true;
    } catch (err) {
      this.lastDurable = false;
      const full = isDiskFull(err);
      if (!full && !isNotWritable(err)) {
        this.broken = err as Error;
        throw err;
      }
      this.unwritten++;
      const again = full ? 'when space is back' : `once the checkpoint directory '${this.checkpointDir}' is writable again`;
      const outcome = this.graph.unwrittenOutcome?.(md.batchTime, md.reason) ?? 'the stream goes on';
      this.graph.sc.log('warn', `metadata checkpoint not written; ${outcome}; the next one is written ${again}: ${(err as Error).message}`, {
        component: 'metadata-checkpointer',
        code: full ? 'SLUICE_DISK_FULL' : 'SLUICE_CHECKPOINT',
        dir: this.checkpointDir,
        batchTime: md.batchTime,
        reason: md.reason,
      });
      return;
    }
    if (this.unwritten > 0) {
      this.graph.sc.log('info', 'metadata checkpoint written again after checkpoints that could not be', { component: 'metadata-checkpointer', dir: this.checkpointDir, notWritten: this.unwritten, batchTime: md.batchTime });
      this.unwritten = 0;
    }
    this.recentRefs.push(refsOf(md));
    while (this.recentRefs.length > this.keep) this.recentRefs.shift();
    this.durableWrites++;
    const due = this.durableWaiters.filter((w) => w.count <= this.durableWrites);
    this.durableWaiters = this.durableWaiters.filter((w) => w.count > this.durableWrites);
    for (const w of due) w.resolve(true);
    const next = this.nextDurableWaiters;
    this.nextDurableWaiters = [];
    for (const resolve of next) resolve();
  }

  /**
   * Writes `md`, trying a failed write again (METADATA_WRITE_ATTEMPTS in all, a short pause
   * between); throws the disk-full error as it is, any other failure or a write not done
   * within writeTimeoutMs as a SluiceError naming the checkpoint directory and the cause.
   */
  private async writeWithRetries(md: StreamingMetadata): Promise<void> {
    const deadline = Date.now() + this.writeTimeoutMs;
    const what = `the metadata checkpoint of batch ${md.batchTime} (${md.reason})`;
    for (let attempt = 1; ; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))));
      let failure: unknown;
      const written = (w: { readonly notDeleted?: Error }): 'written' => {
        if (w.notDeleted) this.graph.sc.log('warn', `metadata checkpoint written; older ones not deleted (a later checkpoint deletes them): ${w.notDeleted.message}`, { component: 'metadata-checkpointer', dir: this.checkpointDir, batchTime: md.batchTime });
        return 'written';
      };
      const r = await Promise.race([this.store.write(md).then(written, (err: unknown) => ((failure = err), 'failed' as const)), timedOut]);
      clearTimeout(timer);
      if (r === 'written') return;
      if (r === 'timeout') {
        throw new SluiceError(
          'SLUICE_CHECKPOINT',
          `the checkpoint directory '${this.checkpointDir}' did not complete ${what} within ${this.writeTimeoutMs / 1000} s (a hung disk or network file system, or object storage not answering); ` +
            `the streaming context stops rather than hold its batches in memory without end. Fix the store, or raise StreamingContext's checkpointWriteTimeout option`,
        );
      }
      // Refused for want of space or permission: the next batch's checkpoint tries again (persist).
      if (isDiskFull(failure) || isNotWritable(failure)) throw failure;
      const message = (failure as Error).message;
      if (attempt >= METADATA_WRITE_ATTEMPTS || Date.now() >= deadline) {
        throw new SluiceError('SLUICE_CHECKPOINT', `the checkpoint directory '${this.checkpointDir}' failed ${attempt} attempts to write ${what}; the streaming context stops. Last error: ${message}`, { cause: failure });
      }
      this.graph.sc.log('warn', `metadata checkpoint write failed (attempt ${attempt} of ${METADATA_WRITE_ATTEMPTS}); trying again: ${message}`, {
        component: 'metadata-checkpointer',
        dir: this.checkpointDir,
        batchTime: md.batchTime,
        reason: md.reason,
      });
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, Math.max(0, deadline - Date.now()))));
    }
  }

  private async pruneState(upToTime: number, running = true): Promise<void> {
    // The kept metadata files list the older state checkpoints a stream still remembers (a
    // window over it holds their RDDs; rememberedStateCheckpoints), so those are kept, as Spark's
    // DStreamCheckpointData.cleanup deletes only files older than the oldest checkpointed RDD
    // still in generatedRDDs.
    const referenced = new Set<string>();
    for (const refs of this.recentRefs) for (const r of refs) referenced.add(r);
    for (const r of this.latestState.values()) referenced.add(r.dir);
    // While batches run, a stream's checkpoint later than its latest recorded one is kept: a
    // stream asked for only at a later batch (under a window whose slide is longer than its
    // own) is computed, and its RDD at a completed batch's time checkpointed, by that later
    // batch's job, which may write it while this prune runs. Deleted, it was recorded once
    // the write ended, and a restarted driver's window found it gone (dstream-fuzz-recovery,
    // seed 708: 'the state checkpoint of stream 1 at 5000 ms ... lacks part-0, part-1').
    const newestWritten = running ? new Map([...this.latestState].map(([id, r]) => [id, r.time])) : undefined;
    let removed: string[];
    try {
      removed = await pruneStateCheckpoints(this.checkpointStore, referenced, upToTime, newestWritten);
    } catch (err) {
      // As Spark's DStreamCheckpointData.cleanup: an old checkpoint not deleted is a warning; a later prune deletes it.
      this.graph.sc.log('warn', `old state checkpoints not deleted (a later checkpoint deletes them): ${(err as Error).message}`, { component: 'metadata-checkpointer', dir: this.checkpointDir });
      return;
    }
    if (removed.length > 0) this.graph.sc.log('debug', 'state checkpoints deleted: no kept metadata checkpoint refers to them', { component: 'metadata-checkpointer', removed });
  }
}

/**
 * Why the state checkpoints `md` refers to cannot seed a recovery (a part not there, or
 * truncated or changed since it was written: every part is read and checked), or undefined
 * when they are whole. Checked when recovery begins, before any batch runs: a metadata
 * checkpoint whose state is damaged is passed over for the one before it, as a damaged
 * metadata file is. A listing or read that fails throws: that is not damage.
 *
 * Only each stream's latest state checkpoint judges the file: the older ones it lists
 * (rememberedStateCheckpoints) are checked by rememberedStateDamage, since the files kept
 * before it list them too (a window of w batches remembers w of them, three files are kept)
 * and a damaged one no batch after the restart reads loses nothing.
 */
export async function stateCheckpointDamage(store: CheckpointStore, md: StreamingMetadata): Promise<string | undefined> {
  for (const [id, ref] of Object.entries(md.stateCheckpoints)) {
    const damage = await checkpointRefDamage(store, id, ref);
    if (damage !== undefined) return damage;
  }
  return undefined;
}

/** An older state checkpoint a metadata file lists (a window remembers it) that is damaged. */
export interface DamagedStateCheckpoint {
  readonly streamId: number;
  readonly time: number;
  /** The checkpoint's directory, as the metadata file names it (relative to the checkpoint directory). */
  readonly dir: string;
  /** What is wrong, naming the checkpoint and its part. */
  readonly reason: string;
}

/**
 * The older state checkpoints `md` lists (rememberedStateCheckpoints) that are damaged or
 * missing, every part read and checked as stateCheckpointDamage does. Recovery seeds none of
 * them: a batch after the restart that reads one fails with SLUICE_CHECKPOINT naming it
 * (DStream.getOrCompute), where computing it again would rebuild the state from input
 * batches the restarted driver no longer has, and one no batch reads loses nothing.
 */
export async function rememberedStateDamage(store: CheckpointStore, md: StreamingMetadata): Promise<DamagedStateCheckpoint[]> {
  const out: DamagedStateCheckpoint[] = [];
  for (const [id, refs] of Object.entries(md.rememberedStateCheckpoints ?? {})) {
    for (const ref of refs) {
      const reason = await checkpointRefDamage(store, id, ref);
      if (reason !== undefined) out.push({ streamId: Number(id), time: ref.time, dir: ref.dir, reason });
    }
  }
  return out;
}

async function checkpointRefDamage(store: CheckpointStore, id: string, ref: StateCheckpointRef): Promise<string | undefined> {
  const where = `the state checkpoint of stream ${id} at ${ref.time} ms ('${store.describe(ref.dir)}')`;
  const missing = await missingCheckpointParts(store, ref.dir, ref.numPartitions);
  if (missing.length > 0) return `${where} lacks ${missing.join(', ')}`;
  for (let i = 0; i < ref.numPartitions; i++) {
    let data: Buffer | undefined;
    try {
      data = await store.read(`${ref.dir}/part-${i}`);
    } catch (err) {
      // Not damage (see MetadataStore.readLatest): no fall back to older state for it.
      throw new SluiceError(
        'SLUICE_CHECKPOINT',
        `cannot read part-${i} of ${where} (${(err as Error).message}); recovery does not fall back to an older checkpoint for a read that failed, only for a damaged or missing one: ` +
          `submit the job again once the checkpoint store answers (on S3, configureS3({ retryTimeoutMs }) makes a read try again for longer)`,
        { cause: err },
      );
    }
    if (data === undefined) return `${where} lacks part-${i}`;
    const damage = checkpointPartDamage(data);
    if (damage !== undefined) return `${where}: part-${i} is damaged (${damage})`;
  }
  return undefined;
}

/** The error a batch that reads a damaged older state checkpoint fails with: what is wrong and what to do. */
function damagedStateError(d: DamagedStateCheckpoint, location: string, checkpointDir: string): SluiceError {
  return new SluiceError(
    'SLUICE_CHECKPOINT',
    `stream ${d.streamId}'s state at ${d.time} ms cannot be read back: ${d.reason}. A window over the stream reads that batch's state after the restart, and it cannot be computed again ` +
      `(its input batch is gone with the driver that ran it). Put the checkpoint '${location}' back from a backup and submit the job again; ` +
      `or, to start afresh (the stream's state and input positions are then lost), move or delete the checkpoint directory '${checkpointDir}' (StreamingContext.getOrCreate's createOnError does so when no checkpoint is usable)`,
  );
}

/** One metadata write asked for and not yet begun. */
interface QueuedWrite {
  /** The newest snapshot asked for: it records everything the older ones did. */
  md: StreamingMetadata;
  /** The latest completed batch time among the snapshots: state checkpoints up to it may be pruned after the write. */
  pruneUpTo: number | undefined;
  /** Snapshots this write stands for. */
  coalesced: number;
  /** Resolves once `md` is durable (true) or skipped for want of space or permission (false); rejects when its write fails. */
  readonly written: Promise<boolean>;
  /** The write and the pruning after it. */
  done: Promise<void>;
  /** Whether a failure of `done` is already reported to onError. */
  reportsErrors: boolean;
}

function refsOf(md: StreamingMetadata): Set<string> {
  const refs = new Set(Object.values(md.stateCheckpoints).map((r) => r.dir));
  for (const older of Object.values(md.rememberedStateCheckpoints ?? {})) for (const r of older) refs.add(r.dir);
  return refs;
}

/** The window streams that read `input` (directly or through other streams), described with their ids. */
function windowsReading(streams: readonly DStream<unknown>[], input: DStream<unknown>): string[] {
  const reads = (s: DStream<unknown>): boolean => s === input || s.dependencies.some(reads);
  return streams
    .filter((s) => typeof (s as { windowMs?: unknown }).windowMs === 'number' && reads(s))
    .map((s) => `${s.constructor.name} [${s.id}] (window ${(s as unknown as { windowMs: number }).windowMs} ms)`);
}

/**
 * Recovery: seed each stateful stream with the state checkpoints `md` lists, read from their
 * files under `checkpointDir` (a damaged one seeded as damaged), and return each stream's
 * latest. Runs at start (MetadataCheckpointer.restore) and may run before it, when a program
 * slices a recovered context's stream before starting it (Spark's restored generatedRDDs are
 * there from the context's construction): an RDD seeded already is kept, so the RDDs read
 * back are the same objects before and after start.
 */
export function seedStateCheckpoints(
  graph: Pick<CheckpointedGraph, 'sc' | 'streams'>,
  checkpointDir: string,
  md: StreamingMetadata,
  damaged: readonly DamagedStateCheckpoint[],
): Map<number, StateCheckpointRef> {
  const sc = graph.sc;
  const seed = (id: string, ref: StateCheckpointRef): DStream<unknown> => {
    const stream = graph.streams.find((s) => s.id === Number(id));
    if (!stream) throw new SluiceError('SLUICE_CHECKPOINT', `the metadata checkpoint has state for stream ${id}, which the code does not make`);
    const kept = stream.generated.get(ref.time);
    if (kept !== undefined && kept.checkpointName === ref.dir) return stream;
    const rdd = sc.checkpointFileRDD(joinCheckpointLocation(checkpointDir, ref.dir), ref.numPartitions, ref.partitioner ?? undefined);
    rdd.checkpointName = ref.dir;
    stream.seedCheckpoint(ref.time, rdd);
    return stream;
  };
  // The older checkpointed RDDs the streams remembered too (a window over a stateful stream
  // holds them): read from their files, as Spark's DStreamCheckpointData.restore, where
  // computing them again would rebuild the state from input batches the restarted driver no
  // longer has (an input remembers only as far back as its own windows need).
  // A damaged one is not seeded: a batch that reads it fails naming it (DStream.getOrCompute).
  for (const [id, refs] of Object.entries(md.rememberedStateCheckpoints ?? {})) {
    for (const ref of refs) {
      const bad = damaged.find((d) => d.streamId === Number(id) && d.time === ref.time);
      if (bad === undefined) seed(id, ref);
      else graph.streams.find((s) => s.id === Number(id))?.seedDamagedCheckpoint(ref.time, damagedStateError(bad, joinCheckpointLocation(checkpointDir, ref.dir), checkpointDir));
    }
  }
  const latest = new Map<number, StateCheckpointRef>();
  for (const [id, ref] of Object.entries(md.stateCheckpoints)) latest.set(seed(id, ref).id, ref);
  return latest;
}
