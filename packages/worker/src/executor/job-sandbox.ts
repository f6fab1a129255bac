import type { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import { isDiskFull, type BlockRead, type ErrorCode } from '@sluice/core/internal';
import { BUNDLE_LOAD_FAILED, RUNNING_CELL_BYTES, RUNNING_MEASURE_OFFSET, RUNNING_MEASURES, RunningMeasure, type MainToThread, type ThreadOutcome, type ThreadTask, type ThreadTaskMetrics, type ThreadToMain } from './thread-protocol.js';

/**
 * A task stopped before its end (JobSandbox.kill, a stream's kill, the sandbox closed). A task
 * killed while its compute ran has what its thread had measured then (Spark's TaskKilled
 * carries the metrics measured so far): `metrics` (its run time to the kill, shuffle records
 * read and fetch wait; nothing serialized or written) and `shuffleReadBytes`; one killed
 * before its compute started has none.
 */
export interface TaskKilled {
  readonly kind: 'killed';
  readonly metrics?: ThreadTaskMetrics;
  readonly shuffleReadBytes?: number;
}

/** A killed task that had measured nothing. */
const KILLED: TaskKilled = { kind: 'killed' };
import { threadDeathReason } from './thread-out-of-memory.js';
import { ThreadAffinity } from './thread-affinity.js';

/** What a sandbox asks of the worker's main thread on behalf of its tasks. */
export interface SandboxHost {
  onCachePut(taskId: string, blockId: string, data: Uint8Array, level: string): void;
  /** A cached block's bytes in a buffer of their own (concatOwned): moved to the asking thread, not cloned. */
  cacheGet(blockId: string): Uint8Array | undefined;
  /** A thread (`holder`, its slot) keeps cached block `blockId` decoded, about `bytes`: counted by the store, or false (no room, or the block is gone): the thread drops it. */
  holdDecoded(blockId: string, holder: object, bytes: number): boolean;
  /** The holder's decoded copy of `blockId` is gone with its thread: no longer counted. */
  releaseDecoded(blockId: string, holder: object): void;
  /** Encoded broadcast values of the job, fetched from the driver once per worker. */
  broadcasts(ids: readonly number[]): Promise<Record<number, Uint8Array>>;
  /** A stored block from this worker, else from one of `locations`. */
  /** A stored block's bytes (here or from a peer), in an ArrayBuffer of their own that the sandbox moves to the task thread. */
  blockGet(blockId: string, locations: readonly { workerId: string; address: string }[]): Promise<BlockRead>;
  fetch(msg: Extract<ThreadToMain, { type: 'fetch' }>): Promise<MainToThread>;
}

/** Where a receiver thread's events go. */
export interface ReceiverEvents {
  /** A block to store; call `stored` once, when it is durable (or with why it cannot be, and that error's code: the receiver's store() rejects with it). */
  block(blockId: string, data: Uint8Array, count: number, firstPosition: number | undefined, stored: (error?: string, code?: ErrorCode) => void): void;
  /** A receiver's error: its message, and the stack of the error it gave ("" if none). */
  error(message: string, stack: string): void;
  started(): void;
  /** The receiver stopped: why, and the stack of the error it stopped with ("" if none). */
  stopped(reason: string, stack: string): void;
  /** It stopped for a restart in place (Receiver.restart): Spark's message and the error's stack; `started` follows. */
  restarting(reason: string, stack: string): void;
}

interface QueuedTask {
  readonly taskId: string;
  readonly partition: number;
  readonly stageKey: string;
  readonly stagePayload: Uint8Array;
  readonly taskData: Uint8Array;
  readonly finish: (o: ThreadOutcome | TaskKilled) => void;
  /** Called when the task is posted to a thread (its wait for one over), with the clock then (performance.now(), read once a post). */
  readonly onGiven: ((at: number) => void) | undefined;
  /** When it was queued here (performance.now()): it waits for a busy thread that keeps its partition decoded until THREAD_LOCALITY_WAIT_MS after. */
  readonly queuedAt: number;
}

interface Slot {
  thread: Thread;
  /**
   * The tasks given to this thread that have not ended, in the order it runs them: the
   * first is running (or about to), the others wait in the thread. A thread that dies fails
   * the first and the others run elsewhere.
   */
  readonly held: Map<string, QueuedTask>;
  /** Stages whose payload this thread holds (sent with its first task there, dropped on forgetStage). */
  readonly stages: Set<string>;
  /** Broadcasts this thread was given and holds decoded (dropped on forgetBroadcast). */
  readonly broadcasts: Set<number>;
  /** Cached blocks this thread keeps decoded, as the store counts them (holdDecoded; dropped on forgetDecoded). */
  readonly decoded: Set<string>;
  /** The partitions whose cached blocks this thread keeps decoded or read: their tasks are given to it when it is free. */
  readonly affinity: ThreadAffinity;
  /** Tasks given to this thread so far (those whose outcomes came are the first `given - held.size`). */
  given: number;
  /** Processes its tasks started that have not exited (rdd.pipe's commands): killed when the thread is retired. */
  readonly children: Set<number>;
  /** The thread's running-task cell (thread-protocol's `run.running`): the number of the task it runs, 0 between tasks. */
  readonly running: Int32Array;
  /** The running task's measurements, in the same memory (RunningMeasure). */
  readonly measure: Float64Array;
  /** Takes this sandbox's listeners off the thread (before it is handed back: close's `giveBack`). */
  readonly detach: () => void;
  /** A task of this thread failed for want of the job's bundle ('the job bundle failed to load'): the thread can run none (retireLoadFailures). */
  loadFailed?: true;
}

/**
 * Tasks a thread holds at most: one running and one waiting in the thread, so that when
 * the worker was launched more tasks than it has threads (the driver sent them ahead, or
 * --task-threads is below --cores) a thread starts its next task without waiting for a
 * message from the main thread. A task given to a busy thread waits for the one before
 * it, even if another thread frees meanwhile: hence no more than one.
 */
export const TASKS_PER_THREAD = 2;

/**
 * How long at most a task whose cached partition a busy thread keeps decoded waits for that
 * thread while another is free (a thread-level locality wait, as Spark's spark.locality.wait
 * between executors): taken elsewhere it decodes the block again (about 0.5 us a small record),
 * and its second read there keeps a second copy.
 */
export const THREAD_LOCALITY_WAIT_MS = 250;

/**
 * The isolated context one job's tasks run in on a worker: up to `threads` threads, each
 * with its own import of the job bundle, so jobs never share module state and a crash
 * in one job's thread leaves other jobs alone. A thread runs one task at a time; tasks
 * beyond the free threads wait here, or (up to TASKS_PER_THREAD) in a busy thread, and all
 * the tasks a thread is given in one turn go in one message. A killed task's thread is
 * terminated and replaced, and the other tasks it held run elsewhere. Threads come from
 * `newThread`, bound to this job (SpareTaskThreads.take): they serve no other job while
 * this sandbox has them; `close()` terminates them, or hands the idle ones back.
 */
export class JobSandbox {
  private readonly slots: Slot[] = [];
  private readonly queue: QueuedTask[] = [];
  private closed = false;
  private pumpScheduled = false;
  /** A pump when the first task waiting for a busy thread that keeps its partition decoded has waited THREAD_LOCALITY_WAIT_MS. */
  private waitTimer: NodeJS.Timeout | undefined;
  /** Receivers run in threads of their own, outside the task slots. */
  private readonly receivers = new Map<number, { thread: Thread; events: ReceiverEvents; done: boolean; receiverId: string }>();

  constructor(
    private readonly jobId: string,
    /** The sha256 of the job's bundle, which its threads loaded: an idle thread given back on close serves a later job of the same bundle. */
    readonly bundleSha256: string,
    /** A new thread for this job only, bound to it (its bundle loaded or loading). */
    private readonly newThread: () => Thread,
    /** Threads at most (each runs one task at a time). */
    private readonly threads: number,
    private readonly host: SandboxHost,
    private readonly log: Logger,
  ) {}

  /**
   * Retire the threads that could not load the job's bundle (loadFailed), the tasks they hold
   * back to the queue: asked once a bundle found gone from disk was fetched again (Executor),
   * so that the next tasks start threads that load it. A bundle that is there but fails to load
   * (its code throws) keeps its threads: each would fail the same way. How many were retired.
   */
  retireLoadFailures(): number {
    const failed = this.slots.filter((s) => s.loadFailed === true);
    for (const s of failed) this.requeue(this.retire(s));
    if (failed.length > 0) this.pump();
    return failed.length;
  }

  /** Whether a task run now may start a thread (which loads the job's bundle): fewer than `threads` run. */
  get mayStartThread(): boolean {
    return this.slots.length < this.threads;
  }

  /**
   * Run a task of the stage `stageKey` (its encoded payload `stagePayload`, shared by the
   * stage's tasks: a thread is sent it with its first task of the stage and keeps it decoded
   * until `forgetStage`), with its own encoded TaskPart `taskData`; `onGiven` is called when it
   * is posted to a thread (a task beyond the threads waits for one).
   */
  run(taskId: string, partition: number, stageKey: string, stagePayload: Uint8Array, taskData: Uint8Array, onGiven?: (at: number) => void): Promise<ThreadOutcome | TaskKilled> {
    return new Promise((finish) => {
      this.queue.push({ taskId, partition, stageKey, stagePayload, taskData, finish, onGiven, queuedAt: performance.now() });
      // Once the tasks launched in this turn are all queued (the executor's launches of one
      // RunTasks message resume in one run of the microtask queue): a thread given several gets them in one message.
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        process.nextTick(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  /** No task of the stage comes again: threads holding its payload drop it. */
  forgetStage(stageKey: string): void {
    for (const slot of this.slots) {
      if (!slot.stages.delete(stageKey)) continue;
      slot.thread.postMessage({ type: 'forgetStage', stageKey } satisfies MainToThread);
    }
  }

  /** The driver removed broadcast `id`: threads holding its value drop it. How many held it. */
  forgetBroadcast(id: number): number {
    let n = 0;
    for (const slot of this.slots) {
      if (!slot.broadcasts.delete(id)) continue;
      slot.thread.postMessage({ type: 'forgetBroadcast', id } satisfies MainToThread);
      n++;
    }
    return n;
  }

  /** The store dropped `holder`'s decoded copy of `blockId` (its block removed or spilled, or for room): its thread drops it, if the holder is one of this sandbox's. */
  forgetDecoded(holder: object, blockId: string): void {
    const slot = this.slots.find((s) => s === holder);
    if (slot?.decoded.delete(blockId) !== true) return;
    slot.affinity.noteDropped(blockId);
    slot.thread.postMessage({ type: 'forgetDecoded', blockIds: [blockId] } satisfies MainToThread);
  }

  /** Stop a running or queued task; its promise resolves with its TaskKilled (what it measured, if its compute had started). */
  kill(taskId: string): boolean {
    const q = this.queue.findIndex((t) => t.taskId === taskId);
    if (q >= 0) {
      this.queue.splice(q, 1)[0].finish(KILLED);
      return true;
    }
    const slot = this.slots.find((s) => s.held.has(taskId));
    if (!slot) return false;
    const task = slot.held.get(taskId)!;
    // Read before the thread is told to stop (it runs on meanwhile: figures a fetch apart at most).
    const killed = this.measuredSoFar(slot, taskId);
    slot.held.delete(taskId);
    // The thread is terminated with whatever it runs: the other tasks it held run elsewhere.
    this.requeue(this.retire(slot));
    task.finish(killed);
    this.pump();
    return true;
  }

  /**
   * Stop every running or queued task whose stage key starts with `stageKeyPrefix` (the
   * tasks of one task stream: task-stream-handler.ts prefixes its stages' keys): each ends
   * as killed, the threads that held them are terminated (with what they hold: sockets,
   * rdd.pipe's processes) and replaced, and the other tasks those threads held run
   * elsewhere. How many were killed.
   */
  killStream(stageKeyPrefix: string): number {
    const doomed = (t: QueuedTask): boolean => t.stageKey.startsWith(stageKeyPrefix);
    const killed: QueuedTask[] = [];
    const kept = this.queue.splice(0).filter((t) => !doomed(t) || (killed.push(t), false));
    const survivors: QueuedTask[] = [];
    for (const slot of [...this.slots]) {
      if (![...slot.held.values()].some(doomed)) continue;
      for (const t of this.retire(slot)) (doomed(t) ? killed : survivors).push(t);
    }
    // The other tasks retired threads held go first, as `kill`'s (they were given out before the queue's).
    this.queue.push(...survivors, ...kept);
    for (const t of killed) t.finish(KILLED);
    this.pump();
    return killed.length;
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
    const finish = (reason: string, stack = ''): void => {
      if (r.done) return;
      r.done = true;
      if (this.receivers.get(streamId) === r) this.receivers.delete(streamId);
      events.stopped(reason, stack);
      void thread.terminate();
    };
    thread.on('message', (msg: ThreadToMain) => {
      switch (msg.type) {
        case 'receiverBlock': {
          const blockId = msg.blockId;
          events.block(blockId, msg.data, msg.count, msg.firstPosition, (error, code) => {
            if (!r.done) thread.postMessage({ type: 'receiverBlockStored', streamId, blockId, ...(error === undefined ? {} : { error }), ...(code === undefined ? {} : { code }) } satisfies MainToThread);
          });
          return;
        }
        case 'receiverError':
          events.error(msg.message, msg.stack);
          return;
        case 'receiverStarted':
          events.started();
          return;
        case 'receiverStopped':
          finish(msg.reason, msg.stack);
          return;
        case 'receiverRestarting':
          events.restarting(msg.reason, msg.stack);
          return;
        case 'retire':
          // The error's stack is the stop's lastError, as Spark's deregisterReceiver keeps a stop's error.
          finish(`receiver thread retired: ${msg.reason}`, msg.stack);
          return;
        default:
          return;
      }
    });
    thread.on('error', (err) => {
      events.error(`the receiver thread died: ${threadDeathReason(err, 'receiver')}`, err.stack ?? '');
      finish('receiver thread died', err.stack ?? '');
    });
    thread.on('exit', (code) => finish(`receiver thread exited (code ${code})`));
    thread.postMessage({ type: 'startReceiver', streamId, receiver, ...opts } satisfies MainToThread);
  }

  /** Backpressure's new rate (records/s) for the receiver of that placement. */
  updateReceiverRate(streamId: number, receiverId: string, rate: number): void {
    const r = this.receivers.get(streamId);
    if (r && !r.done && r.receiverId === receiverId) r.thread.postMessage({ type: 'receiverRate', streamId, rate } satisfies MainToThread);
  }

  /**
   * Ask a receiver (of that placement, if `receiverId` is given) to store its last block and
   * stop; its `stopped` event follows. `graceful` (a graceful stop of the StreamingContext):
   * its onStop is waited for however long it takes, as Spark's.
   */
  stopReceiver(streamId: number, receiverId?: string, options: { readonly graceful?: boolean } = {}): boolean {
    const r = this.receivers.get(streamId);
    if (!r || (receiverId !== undefined && r.receiverId !== receiverId)) return false;
    r.thread.postMessage({ type: 'stopReceiver', streamId, graceful: options.graceful === true } satisfies MainToThread);
    if (options.graceful === true) return true;
    // A receiver that does not stop within 10 s is terminated.
    setTimeout(() => {
      if (!r.done) void r.thread.terminate();
    }, 10_000).unref();
    return true;
  }

  get runningTaskIds(): string[] {
    return this.slots.flatMap((s) => [...s.held.keys()]);
  }

  /**
   * Terminate every thread; queued and running tasks end as killed. With `giveBack`, a task
   * thread that holds no task is handed to it instead (this sandbox's listeners taken off),
   * to be unbound and kept for a later job (SpareTaskThreads.giveBack); receiver threads
   * and threads that hold tasks are terminated.
   */
  close(giveBack?: (thread: Thread) => void): void {
    this.closed = true;
    clearTimeout(this.waitTimer);
    for (const r of this.receivers.values()) {
      r.done = true;
      r.events.stopped('job released', '');
      void r.thread.terminate();
    }
    this.receivers.clear();
    for (const t of this.queue.splice(0)) t.finish(KILLED);
    for (const s of [...this.slots]) {
      if (giveBack !== undefined && s.held.size === 0) {
        this.slots.splice(this.slots.indexOf(s), 1);
        // Its unbind drops what it kept decoded.
        this.releaseDecoded(s);
        s.detach();
        giveBack(s.thread);
      } else for (const t of this.retire(s)) t.finish(KILLED);
    }
  }

  /**
   * Give the waiting tasks to threads: to idle ones first (starting threads up to
   * `threads`), then one more to each busy thread (up to TASKS_PER_THREAD). A thread gets
   * the tasks of one call in one message. Each thread takes first the waiting tasks of the
   * partitions whose cached blocks it keeps decoded, then of those it read (ThreadAffinity),
   * so that a cached partition is decoded and kept by one thread and read there after. A task
   * whose partition a busy thread keeps decoded waits for it (no other thread takes it, none
   * is started for it) up to THREAD_LOCALITY_WAIT_MS; one whose partition a busy thread only
   * read does not wait. No task is given to a busy thread while another is free.
   */
  private pump(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    if (this.closed || this.queue.length === 0) return;
    const now = performance.now();
    const given = new Map<Slot, QueuedTask[]>();
    const give = (slot: Slot, i = 0): void => {
      const task = this.queue.splice(i, 1)[0];
      slot.held.set(task.taskId, task);
      let list = given.get(slot);
      if (!list) given.set(slot, (list = []));
      list.push(task);
    };
    /** The first waiting task `slot` has the partition of at `rank`, no other thread at a higher one; -1 for none. */
    const wanted = (slot: Slot, rank: 1 | 2): number => this.queue.findIndex((t) => slot.affinity.rank(t.partition) === rank && (rank === 2 || this.slots.every((s) => s.affinity.rank(t.partition) < 2)));
    /** Whether a task is to wait for a busy thread that keeps its partition decoded (its wait not over). */
    const waits = (t: QueuedTask): boolean => now - t.queuedAt < THREAD_LOCALITY_WAIT_MS && this.slots.some((s) => s.held.size > 0 && s.affinity.rank(t.partition) === 2);
    /** The first task no other thread has the partition of, else the first that is not to wait; -1 for none. */
    const other = (slot: Slot): number => {
      const free = this.queue.findIndex((t) => this.slots.every((s) => s === slot || s.affinity.rank(t.partition) === 0));
      return free >= 0 ? free : this.queue.findIndex((t) => !waits(t));
    };
    const byAffinity = (depth: number): void => {
      for (const rank of [2, 1] as const) {
        for (const slot of this.slots) {
          if (this.queue.length === 0 || slot.held.size !== depth) continue;
          const i = wanted(slot, rank);
          if (i >= 0) give(slot, i);
        }
      }
    };
    byAffinity(0);
    for (const slot of this.slots) {
      const i = this.queue.length > 0 && slot.held.size === 0 ? other(slot) : -1;
      if (i >= 0) give(slot, i);
    }
    for (let i = this.queue.findIndex((t) => !waits(t)); i >= 0 && this.slots.length < this.threads; i = this.queue.findIndex((t) => !waits(t))) give(this.spawn(), i);
    const free = this.slots.length < this.threads || this.slots.some((s) => s.held.size === 0);
    if (!free) {
      for (let depth = 1; depth < TASKS_PER_THREAD; depth++) {
        byAffinity(depth);
        for (const slot of this.slots) {
          const i = this.queue.length > 0 && slot.held.size === depth ? other(slot) : -1;
          if (i >= 0) give(slot, i);
        }
      }
    } else if (this.queue.length > 0) {
      // Those left wait for the threads that keep their partitions: look again when the first one's wait is over (or a thread frees).
      const until = Math.min(...this.queue.map((t) => t.queuedAt)) + THREAD_LOCALITY_WAIT_MS - now;
      this.waitTimer = setTimeout(() => this.pump(), Math.max(1, until));
      this.waitTimer.unref();
    }
    for (const [slot, tasks] of given) this.post(slot, tasks);
  }

  /** Send tasks to a slot's thread in one message, each stage's payload with the thread's first task of it. */
  private post(slot: Slot, tasks: readonly QueuedTask[]): void {
    const transfer: ArrayBuffer[] = [];
    const out: ThreadTask[] = tasks.map((task) => {
      const known = slot.stages.has(task.stageKey);
      if (!known) slot.stages.add(task.stageKey);
      // The payloads are views into the gRPC message they came in (or a larger pooled
      // buffer): posted as they are, the whole underlying buffer would be copied. Their own
      // bytes are copied once and moved to the thread instead.
      const stage = known ? undefined : ownBytes(task.stagePayload);
      const taskData = task.taskData.length > 0 ? ownBytes(task.taskData) : undefined;
      if (stage) transfer.push(stage.buffer);
      if (taskData) transfer.push(taskData.buffer);
      return { taskId: task.taskId, partition: task.partition, stageKey: task.stageKey, ...(stage ? { stage } : {}), ...(taskData ? { taskData } : {}) };
    });
    const first = slot.given === 0;
    slot.given += tasks.length;
    const at = performance.now();
    for (const task of tasks) task.onGiven?.(at);
    slot.thread.postMessage({ type: 'run', tasks: out, ...(first ? { running: slot.running.buffer as SharedArrayBuffer } : {}) } satisfies MainToThread, transfer);
  }

  /**
   * Of the tasks a retired thread held (`held`, in the order given, as `retire` returns
   * them): the one it ran when it died (or could not be served), by its running-task cell.
   * When the cell names none (it died between tasks, or while loading), the first it held:
   * a thread that dies before any task starts must fail one, or its tasks would go to thread
   * after thread forever. Tasks before the one it ran had ended, but their outcomes were not
   * sent yet (task-thread.ts's startNext): they run again.
   */
  private taskItRan(slot: Slot, held: readonly QueuedTask[]): number {
    const n = Atomics.load(slot.running, 0);
    if (n === 0) return 0;
    const i = n - 1 - (slot.given - held.length);
    return i >= 0 && i < held.length ? i : 0;
  }

  /**
   * What task `taskId`, held by `slot`, had measured, if it is the one its thread runs and its
   * compute has started (the measurements are its own: RunningMeasure.Task names it); else
   * KILLED. Its run time is to now, on the clock both threads read (performance.timeOrigin + now).
   */
  private measuredSoFar(slot: Slot, taskId: string): TaskKilled {
    const n = Atomics.load(slot.running, 0);
    if (n === 0) return KILLED;
    const held = [...slot.held.keys()];
    if (held[n - 1 - (slot.given - held.length)] !== taskId) return KILLED;
    const m = slot.measure;
    if (m[RunningMeasure.Task] !== n) return KILLED;
    const runMs = Math.max(0, performance.timeOrigin + performance.now() - m[RunningMeasure.ComputeFrom]);
    const metrics: ThreadTaskMetrics = [0, runMs, 0, m[RunningMeasure.RecordsRead], 0, m[RunningMeasure.FetchWaitMs], m[RunningMeasure.InputBytes], m[RunningMeasure.InputRecords], m[RunningMeasure.OutputBytes], m[RunningMeasure.OutputRecords]];
    return { kind: 'killed', metrics, shuffleReadBytes: m[RunningMeasure.ShuffleReadBytes] };
  }

  /** Tasks back to the front of the queue, in their order (they had not ended). */
  private requeue(tasks: readonly QueuedTask[]): void {
    this.queue.unshift(...tasks);
  }

  private spawn(): Slot {
    const thread = this.newThread();
    const onMessage = (msg: ThreadToMain): void => this.onMessage(slot, msg);
    const onError = (err: unknown): void => crashed(threadDeathReason(err, 'task'));
    const onExit = (code: number): void => crashed(`exited with code ${code}`);
    const detach = (): void => {
      thread.off('message', onMessage);
      thread.off('error', onError);
      thread.off('exit', onExit);
    };
    const shared = new SharedArrayBuffer(RUNNING_CELL_BYTES);
    const slot: Slot = { thread, held: new Map(), stages: new Set(), broadcasts: new Set(), decoded: new Set(), affinity: new ThreadAffinity(), given: 0, children: new Set(), running: new Int32Array(shared, 0, 1), measure: new Float64Array(shared, RUNNING_MEASURE_OFFSET, RUNNING_MEASURES), detach };
    this.slots.push(slot);
    thread.on('message', onMessage);
    const crashed = (why: string): void => {
      if (!this.slots.includes(slot)) return;
      // The task it ran fails; the others (not started, or ended with their outcomes unsent) run elsewhere.
      const held = this.retire(slot);
      const ran = this.taskItRan(slot, held);
      const running = held[ran];
      const waiting = held.filter((_, i) => i !== ran);
      this.log.warn({ taskId: running?.taskId, requeued: waiting.length, why }, 'task thread died');
      this.requeue(waiting);
      running?.finish({ kind: 'error', code: 'SLUICE_TASK_FAILED', message: `the task thread died: ${why}`, stack: '' });
      this.pump();
    };
    thread.on('error', onError);
    thread.on('exit', onExit);
    return slot;
  }

  /** Take a slot out of service and terminate its thread; returns the tasks it held that had not ended, in order. */
  private retire(slot: Slot): QueuedTask[] {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const held = [...slot.held.values()];
    slot.held.clear();
    this.releaseDecoded(slot);
    void slot.thread.terminate();
    for (const pid of slot.children) killChild(pid);
    slot.children.clear();
    return held;
  }

  /** A slot's decoded copies are no longer counted by the store (its thread ends, or is handed back and unbinds). */
  private releaseDecoded(slot: Slot): void {
    for (const id of slot.decoded) this.host.releaseDecoded(id, slot);
    slot.decoded.clear();
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
      this.log.error({ err, taskId: slot.held.keys().next().value, message: msg.type }, 'cannot serve a task thread');
      const why = `worker error serving the task's ${msg.type}: ${(err as Error).message}`;
      if ('reqId' in msg) return this.reply(slot, { type: 'requestFailed', reqId: msg.reqId, message: why });
      if (!this.slots.includes(slot)) return;
      const held = this.retire(slot);
      const ran = this.taskItRan(slot, held);
      const running = held[ran];
      this.requeue(held.filter((_, i) => i !== ran));
      // A cached partition that cannot spill to a full --local-dir fails its task as Spark's
      // DiskStore does; the job fails SLUICE_DISK_FULL after the retries, as for map outputs.
      running?.finish({ kind: 'error', code: isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_INTERNAL', message: why, stack: '' });
      this.pump();
    }
  }

  private requestFailed(slot: Slot, reqId: number, what: string): (err: unknown) => void {
    return (err) => {
      this.log.error({ err, taskId: slot.held.keys().next().value }, `${what} failed`);
      this.reply(slot, { type: 'requestFailed', reqId, message: `${what} failed on the worker: ${err instanceof Error ? err.message : String(err)}` });
    };
  }

  private serve(slot: Slot, msg: ThreadToMain): void {
    switch (msg.type) {
      case 'ready':
      case 'warmedUp':
      case 'unbound':
        return;
      case 'done': {
        for (const { taskId, outcome } of msg.ended) {
          const task = slot.held.get(taskId);
          if (!task) continue; // Killed meanwhile (and the slot retired).
          slot.held.delete(taskId);
          if (outcome.kind === 'error' && outcome.code === 'SLUICE_JOB_LOAD' && outcome.message.startsWith(BUNDLE_LOAD_FAILED)) slot.loadFailed = true;
          task.finish(outcome);
        }
        this.pump();
        return;
      }
      case 'child':
        // A process of a retired thread's task is killed as soon as it is known (its start may come after the retire).
        if (msg.exited) slot.children.delete(msg.pid);
        else if (this.slots.includes(slot)) slot.children.add(msg.pid);
        else killChild(msg.pid);
        return;
      case 'warn': {
        // This logger binds component (the worker's) and jobId: the task's own component
        // (file-stream, ...) goes in `from`, so no key appears twice in the line.
        const { component, jobId: _jobId, taskId: _taskId, ...fields } = msg.fields;
        this.log.warn({ ...fields, ...(component === undefined ? {} : { from: component }), ...(msg.taskId === '' ? {} : { taskId: msg.taskId }) }, msg.message);
        return;
      }
      case 'cachePut':
        this.host.onCachePut(msg.taskId, msg.blockId, msg.data, msg.level);
        return;
      case 'cacheGet': {
        // The host's copy is the thread's to keep (cacheGet): moved, where a structured clone copied it twice more (into the message, out of it).
        const data = this.host.cacheGet(msg.blockId);
        if (data !== undefined) slot.affinity.noteRead(msg.blockId);
        this.reply(slot, { type: 'cacheGot', reqId: msg.reqId, data }, data === undefined ? undefined : [data.buffer as ArrayBuffer]);
        return;
      }
      case 'cacheDecoded':
        if (!this.slots.includes(slot)) return;
        if (this.host.holdDecoded(msg.blockId, slot, msg.bytes)) {
          if (!slot.decoded.has(msg.blockId)) slot.affinity.noteKept(msg.blockId);
          slot.decoded.add(msg.blockId);
        } else slot.thread.postMessage({ type: 'forgetDecoded', blockIds: [msg.blockId] } satisfies MainToThread);
        return;
      case 'broadcastGet':
        this.host.broadcasts(msg.ids).then(
          (values) => {
            for (const id of msg.ids) slot.broadcasts.add(id);
            this.reply(slot, { type: 'broadcasts', reqId: msg.reqId, values });
          },
          (err: Error) => this.reply(slot, { type: 'broadcasts', reqId: msg.reqId, values: {}, error: err.message }),
        );
        return;
      case 'blockGet':
        this.host.blockGet(msg.blockId, msg.locations).then(
          // The host's block (or its lines' pieces) is a copy of its own (blockGet): moved to the thread, not cloned.
          (r) =>
            this.reply(
              slot,
              { type: 'cacheGot', reqId: msg.reqId, data: r.data, ...(r.lines === undefined ? {} : { lines: r.lines }), misses: r.misses },
              r.lines !== undefined ? r.lines.map((p) => p.buffer as ArrayBuffer) : r.data === undefined ? undefined : [r.data.buffer as ArrayBuffer],
            ),
          this.requestFailed(slot, msg.reqId, `reading block ${msg.blockId}`),
        );
        return;
      case 'fetch':
        this.host.fetch(msg).then(
          // The fetched buffers are this worker's own copies (concatOwned): moved, not copied again.
          (reply) => this.reply(slot, reply, fetchTransfer(reply)),
          this.requestFailed(slot, msg.reqId, `fetching shuffle ${msg.shuffleId} partition ${msg.reducePartition}`),
        );
        return;
      case 'retire': {
        // The thread failed the task it ran (if any) already, in a message before this one; the tasks it held since have not started there.
        if (!this.slots.includes(slot)) return;
        const pending = this.retire(slot);
        this.log.warn({ reason: msg.reason, requeued: pending.map((t) => t.taskId) }, 'task thread retired after an unhandled error in the job code');
        this.requeue(pending);
        this.pump();
        return;
      }
      case 'receiverBlock':
      case 'receiverError':
      case 'receiverStarted':
      case 'receiverStopped':
      case 'receiverRestarting':
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

/** The memory a fetch's answer moves to the task thread: each buffer's, once (a peer's answer for a range is one buffer its partitions are views of). */
function fetchTransfer(reply: MainToThread): ArrayBuffer[] | undefined {
  if (reply.type === 'fetched') return reply.framed.map((b) => b.buffer as ArrayBuffer);
  if (reply.type !== 'fetchedRange') return undefined;
  const buffers = new Set<ArrayBuffer>();
  for (const f of reply.framed) for (const b of f) buffers.add(b.buffer as ArrayBuffer);
  return [...buffers];
}

/** SIGKILL a task's process (rdd.pipe's command) whose task's thread was stopped; one already gone is no error. */
function killChild(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Exited meanwhile.
  }
}
