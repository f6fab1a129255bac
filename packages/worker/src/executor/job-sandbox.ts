import type { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { BlockRead } from '@sluice/core/internal';
import type { MainToThread, ThreadOutcome, ThreadToMain } from './thread-protocol.js';

/** What a sandbox asks of the worker's main thread on behalf of its tasks. */
export interface SandboxHost {
  onCachePut(taskId: string, blockId: string, data: Uint8Array, level: string): void;
  cacheGet(blockId: string): Uint8Array | undefined;
  /** Encoded broadcast values of the job, fetched from the driver once per worker. */
  broadcasts(ids: readonly number[]): Promise<Record<number, Uint8Array>>;
  /** A stored block from this worker, else from one of `locations`. */
  blockGet(blockId: string, locations: readonly { workerId: string; address: string }[]): Promise<BlockRead>;
  fetch(msg: Extract<ThreadToMain, { type: 'fetch' }>): Promise<MainToThread>;
}

/** Where a receiver thread's events go. */
export interface ReceiverEvents {
  /** A block to store; call `stored` once it is durable (or with why it cannot be). */
  block(blockId: string, data: Uint8Array, count: number, firstPosition: number | undefined, stored: (error?: string) => void): void;
  error(message: string): void;
  started(): void;
  stopped(reason: string): void;
}

interface QueuedTask {
  readonly taskId: string;
  readonly partition: number;
  readonly stageKey: string;
  readonly stagePayload: Uint8Array;
  readonly taskData: Uint8Array;
  readonly finish: (o: ThreadOutcome | 'killed') => void;
}

interface Slot {
  thread: Thread;
  taskId: string | undefined;
  finish: ((o: ThreadOutcome | 'killed') => void) | undefined;
  /** The task given to this thread last (run again elsewhere if the thread retires before starting it). */
  task: QueuedTask | undefined;
  /** Stages whose payload this thread holds (sent with its first task there, dropped on forgetStage). */
  readonly stages: Set<string>;
}

/**
 * The isolated context one job's tasks run in on a worker: up to `cores` threads, each
 * with its own import of the job bundle, so jobs never share module state and a crash
 * in one job's thread leaves other jobs alone. One task per thread at a time; a killed
 * task's thread is terminated and replaced. Threads come from `newThread`, bound to this
 * job (SpareTaskThreads.take): they serve no other job, and `close()` terminates them.
 */
export class JobSandbox {
  private readonly slots: Slot[] = [];
  private readonly queue: QueuedTask[] = [];
  private closed = false;
  /** Receivers run in threads of their own, outside the task slots. */
  private readonly receivers = new Map<number, { thread: Thread; events: ReceiverEvents; done: boolean; receiverId: string }>();

  constructor(
    private readonly jobId: string,
    /** A new thread for this job only, bound to it (its bundle loaded or loading). */
    private readonly newThread: () => Thread,
    private readonly cores: number,
    private readonly host: SandboxHost,
    private readonly log: Logger,
  ) {}

  /**
   * Run a task of the stage `stageKey` (its encoded payload `stagePayload`, shared by the
   * stage's tasks: a thread is sent it with its first task of the stage and keeps it decoded
   * until `forgetStage`), with its own encoded TaskPart `taskData`.
   */
  run(taskId: string, partition: number, stageKey: string, stagePayload: Uint8Array, taskData: Uint8Array): Promise<ThreadOutcome | 'killed'> {
    return new Promise((finish) => {
      this.queue.push({ taskId, partition, stageKey, stagePayload, taskData, finish });
      this.pump();
    });
  }

  /** No task of the stage comes again: threads holding its payload drop it. */
  forgetStage(stageKey: string): void {
    for (const slot of this.slots) {
      if (!slot.stages.delete(stageKey)) continue;
      slot.thread.postMessage({ type: 'forgetStage', stageKey } satisfies MainToThread);
    }
  }

  /** Stop a running or queued task; its promise resolves with 'killed'. */
  kill(taskId: string): boolean {
    const q = this.queue.findIndex((t) => t.taskId === taskId);
    if (q >= 0) {
      this.queue.splice(q, 1)[0].finish('killed');
      return true;
    }
    const slot = this.slots.find((s) => s.taskId === taskId);
    if (!slot) return false;
    const finish = slot.finish;
    this.retire(slot);
    finish?.('killed');
    this.pump();
    return true;
  }

  startReceiver(
    streamId: number,
    receiverId: string,
    receiver: Uint8Array,
    opts: { readonly blockIntervalMs: number; readonly blockPrefix: string; readonly maxBufferedRecords: number; readonly maxRate?: number; readonly initialRate?: number },
    events: ReceiverEvents,
  ): void {
    this.stopReceiver(streamId);
    const thread = this.newThread();
    const r = { thread, events, done: false, receiverId };
    this.receivers.set(streamId, r);
    const finish = (reason: string): void => {
      if (r.done) return;
      r.done = true;
      if (this.receivers.get(streamId) === r) this.receivers.delete(streamId);
      events.stopped(reason);
      void thread.terminate();
    };
    thread.on('message', (msg: ThreadToMain) => {
      switch (msg.type) {
        case 'receiverBlock': {
          const blockId = msg.blockId;
          events.block(blockId, msg.data, msg.count, msg.firstPosition, (error) => {
            if (!r.done) thread.postMessage({ type: 'receiverBlockStored', streamId, blockId, ...(error === undefined ? {} : { error }) } satisfies MainToThread);
          });
          return;
        }
        case 'receiverError':
          events.error(msg.message);
          return;
        case 'receiverStarted':
          events.started();
          return;
        case 'receiverStopped':
          finish(msg.reason);
          return;
        case 'retire':
          finish(`receiver thread retired: ${msg.reason}`);
          return;
        default:
          return;
      }
    });
    thread.on('error', (err) => {
      events.error(`the receiver thread died: ${err.message}`);
      finish('receiver thread died');
    });
    thread.on('exit', (code) => finish(`receiver thread exited (code ${code})`));
    thread.postMessage({ type: 'startReceiver', streamId, receiver, ...opts } satisfies MainToThread);
  }

  /** Backpressure's new rate (records/s) for the receiver of that placement. */
  updateReceiverRate(streamId: number, receiverId: string, rate: number): void {
    const r = this.receivers.get(streamId);
    if (r && !r.done && r.receiverId === receiverId) r.thread.postMessage({ type: 'receiverRate', streamId, rate } satisfies MainToThread);
  }

  /** Ask a receiver (of that placement, if `receiverId` is given) to store its last block and stop; its `stopped` event follows. */
  stopReceiver(streamId: number, receiverId?: string): boolean {
    const r = this.receivers.get(streamId);
    if (!r || (receiverId !== undefined && r.receiverId !== receiverId)) return false;
    r.thread.postMessage({ type: 'stopReceiver', streamId } satisfies MainToThread);
    // A receiver that does not stop within 10 s is terminated.
    setTimeout(() => {
      if (!r.done) void r.thread.terminate();
    }, 10_000).unref();
    return true;
  }

  get runningTaskIds(): string[] {
    return this.slots.filter((s) => s.taskId).map((s) => s.taskId!);
  }

  /** Terminate every thread; queued and running tasks end as killed. */
  close(): void {
    this.closed = true;
    for (const r of this.receivers.values()) {
      r.done = true;
      r.events.stopped('job released');
      void r.thread.terminate();
    }
    this.receivers.clear();
    for (const t of this.queue.splice(0)) t.finish('killed');
    for (const s of [...this.slots]) {
      const f = s.finish;
      this.retire(s);
      f?.('killed');
    }
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.slots.find((s) => s.taskId === undefined);
      if (!slot) {
        if (this.slots.length >= this.cores) return;
        slot = this.spawn();
      }
      const task = this.queue.shift()!;
      slot.taskId = task.taskId;
      slot.finish = task.finish;
      slot.task = task;
      const known = slot.stages.has(task.stageKey);
      if (!known) slot.stages.add(task.stageKey);
      // The payloads are views into the gRPC message they came in (or a larger pooled
      // buffer): posted as they are, the whole underlying buffer would be copied. Their own
      // bytes are copied once and moved to the thread instead.
      const stage = known ? undefined : ownBytes(task.stagePayload);
      const taskData = task.taskData.length > 0 ? ownBytes(task.taskData) : undefined;
      const transfer: ArrayBuffer[] = [];
      if (stage) transfer.push(stage.buffer);
      if (taskData) transfer.push(taskData.buffer);
      slot.thread.postMessage(
        {
          type: 'run',
          taskId: task.taskId,
          partition: task.partition,
          stageKey: task.stageKey,
          ...(stage ? { stage } : {}),
          ...(taskData ? { taskData } : {}),
        } satisfies MainToThread,
        transfer,
      );
    }
  }

  private spawn(): Slot {
    const thread = this.newThread();
    const slot: Slot = { thread, taskId: undefined, finish: undefined, task: undefined, stages: new Set() };
    this.slots.push(slot);
    thread.on('message', (msg: ThreadToMain) => this.onMessage(slot, msg));
    const crashed = (why: string): void => {
      if (!this.slots.includes(slot)) return;
      const finish = slot.finish;
      const taskId = slot.taskId;
      this.retire(slot);
      this.log.warn({ taskId, why }, 'task thread died');
      finish?.({ kind: 'error', code: 'SLUICE_TASK_FAILED', message: `the task thread died: ${why}`, stack: '' });
      this.pump();
    };
    thread.on('error', (err) => crashed(err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
    thread.on('exit', (code) => crashed(`exited with code ${code}`));
    return slot;
  }

  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.taskId = undefined;
    slot.finish = undefined;
    slot.task = undefined;
    void slot.thread.terminate();
  }

  /** Answer a request of a slot's thread, unless the slot was retired meanwhile; `transfer`: buffers moved, not copied. */
  private reply(slot: Slot, msg: MainToThread, transfer?: ArrayBuffer[]): void {
    if (this.slots.includes(slot)) slot.thread.postMessage(msg, transfer);
  }

  /**
   * Serve one message of a task thread. Nothing that goes wrong here may escape to the
   * worker process (an unhandled rejection or exception would take every job down): a
   * failed request is answered with `requestFailed`, which fails that task; any other
   * failure fails the slot's task and replaces its thread.
   */
  private onMessage(slot: Slot, msg: ThreadToMain): void {
    try {
      this.serve(slot, msg);
    } catch (err) {
      this.log.error({ err, taskId: slot.taskId, message: msg.type }, 'cannot serve a task thread');
      const why = `worker error serving the task's ${msg.type}: ${(err as Error).message}`;
      if ('reqId' in msg) return this.reply(slot, { type: 'requestFailed', reqId: msg.reqId, message: why });
      const finish = slot.finish;
      this.retire(slot);
      finish?.({ kind: 'error', code: 'SLUICE_INTERNAL', message: why, stack: '' });
      this.pump();
    }
  }

  private requestFailed(slot: Slot, reqId: number, what: string): (err: unknown) => void {
    return (err) => {
      this.log.error({ err, taskId: slot.taskId }, `${what} failed`);
      this.reply(slot, { type: 'requestFailed', reqId, message: `${what} failed on the worker: ${err instanceof Error ? err.message : String(err)}` });
    };
  }

  private serve(slot: Slot, msg: ThreadToMain): void {
    switch (msg.type) {
      case 'ready':
        return;
      case 'done': {
        if (slot.taskId !== msg.taskId) return;
        const finish = slot.finish;
        slot.taskId = undefined;
        slot.finish = undefined;
        slot.task = undefined;
        finish?.(msg.outcome);
        this.pump();
        return;
      }
      case 'warn': {
        // This logger binds component (the worker's) and jobId: the task's own component
        // (file-stream, ...) goes in `from`, so no key appears twice in the line.
        const { component, jobId: _jobId, taskId: _taskId, ...fields } = msg.fields;
        this.log.warn({ ...fields, ...(component === undefined ? {} : { from: component }), taskId: msg.taskId }, msg.message);
        return;
      }
      case 'cachePut':
        this.host.onCachePut(msg.taskId, msg.blockId, msg.data, msg.level);
        return;
      case 'cacheGet':
        this.reply(slot, { type: 'cacheGot', reqId: msg.reqId, data: this.host.cacheGet(msg.blockId) });
        return;
      case 'broadcastGet':
        this.host.broadcasts(msg.ids).then(
          (values) => this.reply(slot, { type: 'broadcasts', reqId: msg.reqId, values }),
          (err: Error) => this.reply(slot, { type: 'broadcasts', reqId: msg.reqId, values: {}, error: err.message }),
        );
        return;
      case 'blockGet':
        this.host.blockGet(msg.blockId, msg.locations).then(
          (r) => this.reply(slot, { type: 'cacheGot', reqId: msg.reqId, data: r.data, misses: r.misses }),
          this.requestFailed(slot, msg.reqId, `reading block ${msg.blockId}`),
        );
        return;
      case 'fetch':
        this.host.fetch(msg).then(
          // The fetched buffers are this worker's own copies (concatOwned): moved, not copied again.
          (reply) => this.reply(slot, reply, reply.type === 'fetched' ? reply.framed.map((b) => b.buffer as ArrayBuffer) : undefined),
          this.requestFailed(slot, msg.reqId, `fetching shuffle ${msg.shuffleId} partition ${msg.reducePartition}`),
        );
        return;
      case 'retire': {
        // The thread failed its task (if it ran one) already; a task given to it since has not started there.
        if (!this.slots.includes(slot)) return;
        const pending = slot.taskId !== undefined ? slot.task : undefined;
        this.log.warn({ reason: msg.reason, requeued: pending?.taskId }, 'task thread retired after an unhandled error in the job code');
        this.retire(slot);
        if (pending) this.queue.unshift(pending);
        this.pump();
        return;
      }
      case 'receiverBlock':
      case 'receiverError':
      case 'receiverStarted':
      case 'receiverStopped':
        // Receivers run in their own threads (startReceiver), never in a task slot.
        return;
      default: {
        const never: never = msg;
        this.log.error({ message: never }, 'unknown message from task thread');
      }
    }
  }
}

/** A copy of `view`'s bytes in an ArrayBuffer of their own (to transfer to a thread). */
function ownBytes(view: Uint8Array): Uint8Array {
  return new Uint8Array(view);
}
