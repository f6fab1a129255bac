import * as grpc from '@grpc/grpc-js';
import { encodeDirect, WORKER_MAX_REQUEST_BYTES, type wire } from '@sluice/core/internal';
import type { LaunchResult, StageDescription, TaskDescription } from './worker-endpoint.js';

/** A batch is written once it holds this many bytes of payloads, not only at the end of the turn. */
const FLUSH_BYTES = 4 * 1024 * 1024;
/** Room left in a message for everything but the payloads. */
const ENVELOPE_BYTES = 64 * 1024;
/**
 * A stage's end waits this long for tasks to go with (the next micro-batch's, at short
 * batch intervals) before it is written alone: a message fewer per worker per stage.
 */
export const FORGET_DELAY_MS = 250;

/**
 * What the next message on the call carries. A stream keeps one for its life, emptied as it
 * is written (encoded at once): a fresh one's empty arrays changed elements kind at their
 * first push, which deoptimized `launch` again and again (bench/README).
 */
interface Batch {
  stages: wire.StageDescription[];
  tasks: wire.TaskLaunch[];
  forget: string[];
  /** Blocks to remove (removeBlocks), by id and by prefix. */
  removeIds: string[];
  removePrefixes: string[];
  bytes: number;
}

function emptyBatch(): Batch {
  return { stages: [], tasks: [], forget: [], removeIds: [], removePrefixes: [], bytes: 0 };
}

function clearBatch(b: Batch): void {
  b.stages.length = 0;
  b.tasks.length = 0;
  b.forget.length = 0;
  b.removeIds.length = 0;
  b.removePrefixes.length = 0;
  b.bytes = 0;
}

/** Opens a RunTasks call (the secret in its metadata). */
export type OpenTaskCall = () => grpc.ClientDuplexStream<wire.TaskBatch, wire.TaskOutcomeBatch__Output>;

/**
 * The driver's side of one worker's RunTasks stream: tasks launched in one turn of the
 * event loop go to the worker in one message, each stage's description once per stream
 * before its first task, and the worker's outcome batches resolve the tasks' launches.
 * Block removals for the worker ride on the same stream while it is open (a stream's
 * batches remove their received blocks and map outputs several times a second: a
 * RemoveBlocks call each cost both sides a call's setup).
 *
 * Invariants: `sent` names the stages the worker holds for the current call (a new call
 * starts empty: the worker's side forgets a stream's stages when it ends); every launch
 * in `inFlight` resolves exactly once — with its outcome, or, when the call fails or ends,
 * as lost with its worker (the scheduler then runs it elsewhere).
 * Threading: driver main thread.
 */
export class TaskStream {
  private call: ReturnType<OpenTaskCall> | undefined;
  private readonly sent = new Set<string>();
  private readonly inFlight = new Map<string, (r: LaunchResult) => void>();
  private readonly batch: Batch = emptyBatch();
  private flushScheduled = false;
  /** Writes stages' ends that no task took along (FORGET_DELAY_MS). */
  private forgetTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly open: OpenTaskCall,
    /** Sends block removals the stream could not carry (it failed before writing them): RemoveBlocks calls. */
    private readonly removeElsewhere: (blockIds: readonly string[], prefixes: readonly string[]) => void = () => undefined,
  ) {}

  launch(desc: TaskDescription): Promise<LaunchResult> {
    if (this.closed) return Promise.resolve({ ok: false, workerLost: true, message: 'the worker endpoint is closed' });
    this.ensureCall();
    return new Promise<LaunchResult>((resolve) => {
      this.inFlight.set(desc.taskId, resolve);
      const stage = desc.stage;
      if (!this.sent.has(stage.key)) {
        this.add(stage.payload.length);
        this.sent.add(stage.key);
        this.batch.stages.push(toWireStage(stage));
        // Sent again after its end was queued: the worker applies a message's ends after its
        // stages, so that end must not go (it would drop the description just sent).
        const queuedEnd = this.batch.forget.indexOf(stage.key);
        if (queuedEnd >= 0) this.batch.forget.splice(queuedEnd, 1);
      }
      this.add(desc.taskData.length);
      this.batch.tasks.push({ task_id: desc.taskId, stage_key: stage.key, partition: desc.partition, attempt: desc.attempt, task_data: desc.taskData });
      this.scheduleFlush();
    });
  }

  /**
   * The stage's task set ended: the worker may drop its description (no task of it comes
   * again). Written with the next tasks, or alone FORGET_DELAY_MS later.
   */
  forget(stageKey: string): void {
    if (!this.sent.delete(stageKey) || this.call === undefined) return;
    this.batch.forget.push(stageKey);
    if (this.forgetTimer) return;
    this.forgetTimer = setTimeout(() => {
      this.forgetTimer = undefined;
      this.flush();
    }, FORGET_DELAY_MS);
    this.forgetTimer.unref();
  }

  /**
   * Have the worker remove blocks `blockIds` and those whose ids start with one of
   * `prefixes`, in the next message on the open call (this turn's tasks', or one of its
   * own at the end of the turn): no RemoveBlocks call of their own. False when no call is
   * open (nothing launched there yet, or it failed): then the caller makes that call. A
   * call that fails before writing them hands them to `removeElsewhere`.
   */
  removeBlocks(blockIds: readonly string[], prefixes: readonly string[]): boolean {
    if (this.closed || this.call === undefined) return false;
    this.batch.removeIds.push(...blockIds);
    this.batch.removePrefixes.push(...prefixes);
    this.scheduleFlush();
    return true;
  }

  /**
   * Give the open call up (what the driver writes on it does not reach the worker): every
   * launch on it resolves now as lost with its worker, `message` saying why, and the
   * call is cancelled; the next launch opens another.
   */
  reset(message: string): void {
    const call = this.call;
    if (call === undefined) return;
    this.endCall(call, true, message);
    call.cancel();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.forgetTimer);
    this.forgetTimer = undefined;
    this.call?.cancel();
  }

  /** Make room for `bytes` of payloads in the batch: write the batch first if they would not fit. */
  private add(bytes: number): void {
    if (this.batch.bytes > 0 && this.batch.bytes + bytes > WORKER_MAX_REQUEST_BYTES - ENVELOPE_BYTES) this.flush();
    this.batch.bytes += bytes;
    if (this.batch.bytes >= FLUSH_BYTES) queueMicrotask(() => this.flush());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const b = this.batch;
    if (b.stages.length === 0 && b.tasks.length === 0 && b.forget.length === 0 && b.removeIds.length === 0 && b.removePrefixes.length === 0) return;
    clearTimeout(this.forgetTimer);
    this.forgetTimer = undefined;
    if (!this.call) {
      // The call failed since: its launches were resolved as lost (and its removals sent elsewhere).
      clearBatch(b);
      return;
    }
    // Encoded here, as the driver wrote it (plain strings, numbers and bytes): no protobufjs
    // fromObject copy of every launch first, and the batch's arrays are free again at once.
    const message = encodeDirect('TaskBatch', { stages: b.stages, tasks: b.tasks, forget_stages: b.forget, remove_block_ids: b.removeIds, remove_block_prefixes: b.removePrefixes });
    clearBatch(b);
    // The services' serializer passes an EncodedMessage through (loadProto).
    this.call.write(message as unknown as wire.TaskBatch);
  }

  /** The call failed, ended or was given up: its launches resolve as not done (`lost`: with their worker). */
  private endCall(call: ReturnType<OpenTaskCall>, lost: boolean, message: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.sent.clear();
    // Launches still in the batch were never written: they fail with the others; its
    // removals go another way.
    const removeIds = this.batch.removeIds.slice();
    const removePrefixes = this.batch.removePrefixes.slice();
    clearBatch(this.batch);
    if (removeIds.length > 0 || removePrefixes.length > 0) this.removeElsewhere(removeIds, removePrefixes);
    const waiting = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const resolve of waiting) resolve({ ok: false, workerLost: lost, message });
  }

  private ensureCall(): ReturnType<OpenTaskCall> {
    if (this.call) return this.call;
    const call = this.open();
    this.call = call;
    this.sent.clear();
    call.on('data', (m: wire.TaskOutcomeBatch__Output) => {
      for (const e of m.ended) {
        const resolve = this.inFlight.get(e.task_id);
        if (!resolve) continue;
        this.inFlight.delete(e.task_id);
        resolve({ ok: true, outcome: e.outcome! });
      }
    });
    const ended = (err: grpc.ServiceError | undefined): void => {
      const lost = err === undefined || err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.CANCELLED || err.code === grpc.status.DEADLINE_EXCEEDED;
      this.endCall(call, lost, err ? err.details || err.message : 'the worker ended its task stream');
    };
    call.on('error', (err: grpc.ServiceError) => ended(err));
    call.on('end', () => ended(undefined));
    return call;
  }
}

function toWireStage(s: StageDescription): wire.StageDescription {
  return { stage_key: s.key, job_id: s.jobId, bundle_sha256: s.bundleSha256, stage_id: s.stageId, payload: s.payload, shuffle_id: s.shuffleId, files: s.files === undefined ? [] : [...s.files], executor_env: { ...s.executorEnv } };
}
