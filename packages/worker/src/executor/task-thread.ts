/**
 * Entry of a task thread. A thread starts as a spare, with Sluice's code loaded and no
 * job's: its first message, `bind`, names the one job it serves, and it imports that
 * job's bundle then. It serves that job until it is terminated, or until the job is
 * released and `unbind` finds it clean (ThreadBaseline): then it may be bound to a later
 * job of the same bundle, which imports the bundle afresh (SpareTaskThreads.giveBack). It runs that job's tasks one at a time (or one
 * receiver), reaching the worker's block store and shuffle fetcher through messages to
 * the main thread (see thread-protocol.ts).
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import {
  Broadcast,
  setSparkFilesRoot,
  PortRequests,
  FetchFailedError,
  TaskAccumulators,
  broadcastIds,
  broadcastValue,
  bundleEval,
  decode,
  decodeSmall,
  SluiceError,
  encode,
  encodeSmall,
  encodeMapStatus,
  hasLineBlockHeadroom,
  mapsWithDataIn,
  placesOf,
  type MapOutputLocation,
  recordsMadeAt,
  reviveClosure,
  reviveReceiver,
  type ShippedReceiver,
  runResultRange,
  runTask,
  TaskContext,
  setRecordClassScope,
  toWire,
  userErrorInfo,
  isTooManyOpenFiles,
  tooManyOpenFilesFix,
  type BundleOrigin,
  type ShippedFunction,
  type StorageLevel,
  type TaskEnv,
  type BlockRead,
  type DecodedRead,
  type TaskPart,
  type TaskPayload,
  BundleImports,
  ThreadBaseline,
  ExecutorEnvOverlay,
  bytesWithoutMapMarks,
  estimateRecordsSize,
} from '@sluice/core/internal';
import { BUNDLE_LOAD_FAILED, RUNNING_MEASURE_OFFSET, RUNNING_MEASURES, RunningMeasure, type MainToThread, type TaskEnded, type ThreadOutcome, type ThreadTask, type ThreadTaskMetrics, type ThreadToMain, type ThreadData } from './thread-protocol.js';
import { ReceiverSupervisorImpl, type SupervisorSink } from '../receiver/receiver-supervisor.js';
import { MemoryReleaser } from '../storage/memory-release.js';

process.setSourceMapsEnabled(true);
const port = parentPort!;
const data = workerData as ThreadData;

/** The job this thread serves, once bound: its id and its bundle, loaded (or why not). */
interface BoundJob {
  readonly jobId: string;
  readonly evalInScope: ((src: string) => unknown) | undefined;
  readonly origin: BundleOrigin | undefined;
  readonly loadError: unknown;
}

/** Set by `bind` (unset by a clean `unbind`); resolves once the job's bundle is imported (or failed to). */
let job: Promise<BoundJob> | undefined;
/** The job bundles this thread imported (each stays loaded: ES modules are never unloaded). */
const imports = new BundleImports();
/** What a `job` resolved to (`of`: that promise): while it is still `job`, a task starts without a wait for it. */
let loaded: { readonly of: Promise<BoundJob>; readonly job: BoundJob } | undefined;

async function loadJob(jobId: string, bundlePath: string): Promise<BoundJob> {
  try {
    // A thread bound again imports the bundle as a module of its own (a new URL): the job
    // before's module state is not seen, even when its bundle was the same file.
    const url = imports.bind(jobId, bundlePath);
    const mod = (await import(url)) as Record<string, unknown>;
    const evalInScope = bundleEval(mod, bundlePath);
    // Revived functions are placed as in the bundle, so their stack frames map to the user's file.
    const origin = { url, text: fs.readFileSync(bundlePath, 'utf8') };
    imports.imported(origin.text.length);
    // Records that are instances of the job's classes are revived in this thread.
    setRecordClassScope(evalInScope, origin.text);
    return boundJobOf(jobId, evalInScope, origin, undefined);
  } catch (err) {
    return boundJobOf(jobId, undefined, undefined, err);
  }
}

/** A BoundJob, made here only: the job's and the warm-up's (warmUp) are made at one site, with one object shape for `runBound`'s optimized code. */
function boundJobOf(jobId: string, evalInScope: BoundJob['evalInScope'], origin: BundleOrigin | undefined, loadError: unknown): BoundJob {
  return { jobId, evalInScope, origin, loadError };
}

/** The bound job, or an error if this thread was given work before `bind` (a worker bug). */
function boundJob(): Promise<BoundJob> {
  return job ?? Promise.reject(new Error('this task thread was given work before it was bound to a job'));
}

const requests = new PortRequests<ThreadToMain & { reqId: number }, MainToThread & { reqId: number }>(port);

/** A request to the main thread; its `requestFailed` reply fails the task with the worker's message. */
async function ask(build: (reqId: number) => ThreadToMain & { reqId: number }): Promise<Exclude<MainToThread & { reqId: number }, { type: 'requestFailed' }>> {
  const reply = await requests.request(build);
  if (reply.type === 'requestFailed') throw new Error(reply.message);
  return reply;
}

function send(msg: ThreadToMain, transfer?: ArrayBuffer[]): void {
  port.postMessage(msg, transfer);
}

/**
 * Broadcast values decoded in this thread, by id: each is fetched and decoded once per thread,
 * until the driver removes it (`forgetBroadcast`: Broadcast.unpersist or destroy).
 */
const broadcastValues = new Map<number, unknown>();

/** The values of broadcasts `ids` for one task: those this thread holds, the others fetched and kept. */
async function loadBroadcasts(ids: number[]): Promise<Map<number, unknown>> {
  const values = new Map<number, unknown>();
  const missing: number[] = [];
  for (const id of ids) {
    if (broadcastValues.has(id)) values.set(id, broadcastValues.get(id));
    else missing.push(id);
  }
  if (missing.length === 0) return values;
  const reply = await ask((reqId) => ({ type: 'broadcastGet', reqId, ids: missing }));
  if (reply.type !== 'broadcasts') throw new Error(`unexpected reply ${reply.type}`);
  if (reply.error) throw new Error(reply.error);
  for (const id of missing) {
    const value = broadcastValue(reply.values[id]);
    // The task has its value even if a forgetBroadcast came while it was fetched.
    values.set(id, value);
    broadcastValues.set(id, value);
  }
  return values;
}

/**
 * Cached partitions of deserialized levels this thread keeps decoded, by block id (the store's
 * own block, read by cacheGet): their records, shared by every read here (each record copied for
 * its reader: partition-computer.ts). Told to the main thread (`cacheDecoded`), which counts them
 * under the worker's --memory and says when to drop one (`forgetDecoded`: its block removed or
 * spilled, or no room); dropped with the job (unbind).
 */
const decodedBlocks = new Map<string, { readonly records: readonly unknown[]; readonly blockBytes: number }>();

/**
 * Cached blocks of any level this thread read from the store (cacheGet) and did not keep
 * decoded, the oldest forgotten past READ_ONCE_KEPT: a partition of a deserialized level is
 * kept decoded at its second read here, so one read once (a stream's state RDD, read by the next
 * batch) costs no more than before, and its records die young.
 */
const readOnce = new Set<string>();
const READ_ONCE_KEPT = 4096;

/** A stage's payload as this thread keeps it for the stage's tasks: decoded once, with the broadcasts it reads. */
interface KeptStage {
  readonly payload: TaskPayload;
  readonly broadcastIds: number[];
}

/** Stages whose tasks this thread runs, by stage key, until the main thread says `forgetStage`. */
const stages = new Map<string, KeptStage>();

/** One range fetch of a shuffle: its partitions `first` .. `first + count - 1`, each's segments. */
interface ShuffleRange {
  readonly first: number;
  readonly count: number;
  readonly framed: Promise<Uint8Array[][]>;
}

/**
 * What one task's compute code reaches the worker through (TaskEnv): one object of one class a
 * task, its methods shared (a literal of eight closures a task before: each task made them
 * anew, and every isolate compiled them on the task path).
 */
class ThreadTaskEnv implements TaskEnv {
  /** The accumulators' updates the task made (its partial copies), sent with its outcome. */
  readonly accumulators = new TaskAccumulators();
  /** The bytes of the shuffle segments this task read (Spark's shuffle read metrics). */
  shuffleReadBytes = 0;
  /** Records of the shuffle segments this task decoded (Spark's shuffleReadMetrics.recordsRead). */
  shuffleRecordsRead = 0;
  /** Milliseconds this task waited for its shuffle segments (Spark's shuffleReadMetrics.fetchWaitTime). */
  fetchWaitMs = 0;
  /** Bytes and records of input files this task read (Spark's inputMetrics). */
  inputBytes = 0;
  inputRecords = 0;
  /** Bytes and records of the part file this task wrote (Spark's outputMetrics). */
  outputBytes = 0;
  outputRecords = 0;
  /**
   * A range task's fetches, by shuffle (ShuffleClient.fetchRange): made at the first partition
   * of the shuffle the task reads, for as many of the shuffle's partitions on from there as the
   * range has partitions left to compute (a union's member reads its own partitions, not the
   * stage's: partition 200 of a union of 200 + 50 partitions is partition 0 of the second).
   */
  private ranges: Map<number, ShuffleRange> | undefined = undefined;
  /** The reduce partitions of each shuffle the stage reads, from its plan (made at the first range). */
  private shufflePartitions: Map<number, number> | undefined = undefined;
  /** Given to reviveClosure for the captured values that are not data (made at the first revive). */
  private shippable: ((type: string, d: unknown) => unknown) | undefined = undefined;

  constructor(
    readonly jobId: string,
    readonly taskId: string,
    private readonly partition: number,
    private readonly rangeCount: number,
    private readonly scope: (src: string) => unknown,
    private readonly origin: BundleOrigin | undefined,
    private readonly broadcasts: Map<number, unknown> | undefined,
    private readonly payload: TaskPayload,
  ) {}

  warn(message: string, fields: Record<string, unknown>): void {
    send({ type: 'warn', taskId: this.taskId, message, fields });
  }

  childProcess(pid: number, exited: boolean): void {
    send({ type: 'child', pid, exited });
  }

  revive(fn: ShippedFunction): Function {
    this.shippable ??= (type, d) => this.reviveShippable(type, d);
    return reviveClosure(fn, this.scope, this.shippable, this.origin);
  }

  private reviveShippable(type: string, d: unknown): unknown {
    if (type === 'accumulator') return this.accumulators.revive(d);
    if (type === 'accumulatorV2') return this.accumulators.reviveV2(d);
    if (type === 'broadcast') return Broadcast.revive(d, (id) => this.broadcasts?.get(id));
    throw new Error(`cannot revive a captured value of type '${type}'`);
  }

  async fetchShuffle(shuffleId: number, reducePartition: number, locations: readonly MapOutputLocation[], maps?: readonly number[]): Promise<Uint8Array[]> {
    const range = this.rangeCount > 1 ? this.rangeOf(shuffleId, reducePartition, locations) : undefined;
    if (range !== undefined) {
      // A task over a range: the range's segments fetched once a shuffle, each partition's taken in turn.
      const waitFrom = performance.now();
      const framed = (await range.framed)[reducePartition - range.first];
      this.fetchWaitMs += performance.now() - waitFrom;
      for (const b of framed) this.shuffleReadBytes += bytesWithoutMapMarks(b);
      this.showFetched();
      return framed;
    }
    const places = placesOf(locations);
    const taskId = this.taskId;
    const waitFrom = performance.now();
    const reply = await ask((reqId) => ({ type: 'fetch', reqId, taskId, shuffleId, reducePartition, places, ...(maps === undefined ? {} : { maps: Int32Array.from(maps) }) }));
    this.fetchWaitMs += performance.now() - waitFrom;
    if (reply.type === 'fetchFailed') throw new FetchFailedError(reply.shuffleId, reply.mapPartition, reply.workerId, reply.message);
    if (reply.type !== 'fetched') throw new Error(`unexpected reply ${reply.type}`);
    for (const b of reply.framed) this.shuffleReadBytes += bytesWithoutMapMarks(b);
    this.showFetched();
    return reply.framed;
  }

  /** This task's fetch figures where the sandbox reads them if it kills the task (runningMeasure). */
  private showFetched(): void {
    if (runningMeasure === undefined) return;
    runningMeasure[RunningMeasure.FetchWaitMs] = this.fetchWaitMs;
    runningMeasure[RunningMeasure.ShuffleReadBytes] = this.shuffleReadBytes;
  }

  /**
   * The range fetch of shuffle `shuffleId` holding its partition `reduce`, made at the task's
   * first read of the shuffle: from `reduce` on, as many partitions as the range has left to
   * compute (the one TaskContext names on), within the shuffle's own partitions. Undefined for
   * a partition outside it (a fetch of its own), or where the range would be one partition.
   */
  private rangeOf(shuffleId: number, reduce: number, locations: readonly MapOutputLocation[]): ShuffleRange | undefined {
    const ranges = (this.ranges ??= new Map());
    let range = ranges.get(shuffleId);
    if (range === undefined) {
      const at = TaskContext.getPartitionId() - this.partition;
      const left = at >= 0 && at < this.rangeCount ? this.rangeCount - at : 1;
      const count = Math.min(left, (this.partitionsOf(shuffleId) ?? 0) - reduce);
      if (count <= 1) return undefined;
      range = { first: reduce, count, framed: this.fetchRange(shuffleId, reduce, count, locations) };
      ranges.set(shuffleId, range);
    }
    return reduce >= range.first && reduce < range.first + range.count ? range : undefined;
  }

  /** How many reduce partitions shuffle `shuffleId` has, as the stage's plan reads it. */
  private partitionsOf(shuffleId: number): number | undefined {
    if (this.shufflePartitions === undefined) {
      const m = new Map<number, number>();
      for (const n of Object.values(this.payload.plan.nodes)) {
        const specs = n.op.kind === 'shuffled' ? [n.op.shuffle] : n.op.kind === 'cogroup' ? n.op.shuffles : [];
        for (const spec of specs) if (spec) m.set(spec.shuffleId, spec.partitioner.numPartitions);
      }
      this.shufflePartitions = m;
    }
    return this.shufflePartitions.get(shuffleId);
  }

  private async fetchRange(shuffleId: number, first: number, count: number, locations: readonly MapOutputLocation[]): Promise<Uint8Array[][]> {
    const taskId = this.taskId;
    const places = placesOf(locations);
    // The map outputs any partition of the range reads (an empty segment adds nothing to the others).
    const empties = this.payload.emptySegments?.[shuffleId];
    const maps = empties === undefined ? undefined : mapsWithDataIn(empties, first, count);
    const reply = await ask((reqId) => ({ type: 'fetch', reqId, taskId, shuffleId, reducePartition: first, count, places, ...(maps === undefined ? {} : { maps }) }));
    if (reply.type === 'fetchFailed') throw new FetchFailedError(reply.shuffleId, reply.mapPartition, reply.workerId, reply.message);
    if (reply.type !== 'fetchedRange' || reply.framed.length !== count) throw new Error(`unexpected reply ${reply.type}`);
    return reply.framed;
  }

  countShuffleRecordsRead(records: number): void {
    this.shuffleRecordsRead += records;
    if (runningMeasure !== undefined) runningMeasure[RunningMeasure.RecordsRead] = this.shuffleRecordsRead;
  }

  countInput(bytes: number, records: number): void {
    this.inputBytes += bytes;
    this.inputRecords += records;
    if (runningMeasure !== undefined) {
      runningMeasure[RunningMeasure.InputBytes] = this.inputBytes;
      runningMeasure[RunningMeasure.InputRecords] = this.inputRecords;
    }
  }

  countOutput(bytes: number, records: number): void {
    this.outputBytes += bytes;
    this.outputRecords += records;
    if (runningMeasure !== undefined) {
      runningMeasure[RunningMeasure.OutputBytes] = this.outputBytes;
      runningMeasure[RunningMeasure.OutputRecords] = this.outputRecords;
    }
  }

  async getCached(blockId: string): Promise<Uint8Array | undefined> {
    const reply = await ask((reqId) => ({ type: 'cacheGet', reqId, blockId }));
    const data = reply.type === 'cacheGot' ? reply.data : undefined;
    if (data !== undefined && !readOnce.has(blockId)) {
      readOnce.add(blockId);
      if (readOnce.size > READ_ONCE_KEPT) readOnce.delete(readOnce.values().next().value as string);
    }
    return data;
  }

  putCached(blockId: string, bytes: Uint8Array, level: StorageLevel): void {
    send({ type: 'cachePut', taskId: this.taskId, blockId, data: bytes, level });
  }

  decodedCached(blockId: string): DecodedRead {
    return decodedBlocks.get(blockId) ?? { keep: readOnce.has(blockId) };
  }

  keepDecoded(blockId: string, records: readonly unknown[], blockBytes: number): void {
    readOnce.delete(blockId);
    decodedBlocks.set(blockId, { records, blockBytes });
    send({ type: 'cacheDecoded', blockId, bytes: estimateRecordsSize(records) });
  }

  async getBlock(blockId: string, locations: readonly MapOutputLocation[]): Promise<BlockRead> {
    const reply = await ask((reqId) => ({ type: 'blockGet', reqId, blockId, locations: [...locations] }));
    if (reply.type !== 'cacheGot') throw new Error(`unexpected reply ${reply.type}`);
    return reply.lines ? { lines: reply.lines } : reply.data ? { data: reply.data } : { misses: reply.misses ?? [] };
  }
}

/** Run one task; `queuedMs`, how long it waited for this thread behind its other tasks (reported with its metrics). */
async function run(taskId: string, partition: number, stageKey: string, stageBytes: Uint8Array | undefined, taskData: Uint8Array | undefined, queuedMs: number): Promise<ThreadOutcome> {
  let bound = loaded !== undefined && loaded.of === job ? loaded.job : undefined;
  if (bound === undefined) {
    try {
      bound = await boundJob();
    } catch (err) {
      return { kind: 'error', code: 'SLUICE_INTERNAL', message: (err as Error).message, stack: '' };
    }
  }
  return runBound(bound, taskId, partition, stageKey, stageBytes, taskData, queuedMs);
}

/** Run one task of job `bound` (`run`'s body, once the job is loaded; the warm-up's too). */
async function runBound(bound: BoundJob, taskId: string, partition: number, stageKey: string, stageBytes: Uint8Array | undefined, taskData: Uint8Array | undefined, queuedMs: number): Promise<ThreadOutcome> {
  const { evalInScope, origin } = bound;
  if (bound.loadError !== undefined || !evalInScope) {
    const info = userErrorInfo(bound.loadError);
    // Out of descriptors (the bundle's import could not open its file): the limit and how to raise it, as the executor's own bundle fetch says.
    const fix = isTooManyOpenFiles(bound.loadError) || isTooManyOpenFiles(info.message) ? `. ${tooManyOpenFilesFix('This worker process')}` : '';
    return { kind: 'error', code: 'SLUICE_JOB_LOAD', message: `${BUNDLE_LOAD_FAILED}${info.message}${fix}`, stack: info.stack };
  }
  let stage = stages.get(stageKey);
  if (stageBytes !== undefined) {
    const decoded = decode<TaskPayload>(stageBytes);
    stage = { payload: decoded, broadcastIds: broadcastIds(decoded) };
    stages.set(stageKey, stage);
  }
  if (stage === undefined) return { kind: 'error', code: 'SLUICE_INTERNAL', message: `this task thread holds no stage ${stageKey} (a worker bug)`, stack: '' };
  const part = taskData === undefined ? undefined : decodeSmall<TaskPart>(taskData);
  const payload = stage.payload;
  const rangeCount = part?.partitions ?? 1;
  // Spark's executorRunTime starts here, once the job's module is loaded and the task decoded
  // (before: deserialization); broadcast values are got in it, as Spark's are (lazily, in the task's run).
  const computeFrom = performance.now();
  if (runningMeasure !== undefined) showComputeStart(runningMeasure, computeFrom);
  let broadcasts: Map<number, unknown> | undefined;
  if (stage.broadcastIds.length > 0) {
    try {
      broadcasts = await loadBroadcasts(stage.broadcastIds);
    } catch (err) {
      // A damaged compressed value (its LZ4 checksums) is SLUICE_CORRUPT_DATA, named, as Spark's "corrupt remote block broadcast_N_pieceM".
      if (err instanceof SluiceError && err.code === 'SLUICE_CORRUPT_DATA') {
        return { kind: 'error', code: err.code, message: `cannot get a broadcast variable: SLUICE_CORRUPT_DATA: ${err.message} (its compressed bytes were damaged after sc.broadcast made them; broadcast the value again)`, stack: '' };
      }
      return { kind: 'error', code: 'SLUICE_JOB_LOAD', message: `cannot get a broadcast variable: ${(err as Error).message}`, stack: '' };
    }
  }
  const env = new ThreadTaskEnv(bound.jobId, taskId, partition, rangeCount, evalInScope, origin, broadcasts, payload);
  const accumulators = env.accumulators;
  try {
    if (rangeCount > 1) {
      // One value a partition of the range, each as its own task would send it.
      const values = await runResultRange(payload, partition, rangeCount, env, part);
      return resultOutcome(() => encodeSmall({ value: values.map(toWire), accumulators: toWire(accumulators.updates) }), partition, env, computeFrom, queuedMs, payload);
    }
    const out = await runTask(payload, partition, env, { spillRecords: data.shuffleSpillRecords, part, shuffleCompress: data.shuffleCompress === true, shuffleChecksum: data.shuffleChecksum !== false });
    if (out.kind === 'mapStatus') {
      const encodeFrom = performance.now();
      const status = encodeMapStatus(out.sizes);
      const updates = encode(toWire(accumulators.updates));
      const metrics = taskMetrics(env, computeFrom, encodeFrom, queuedMs, out.records);
      return { kind: 'mapStatus', status, accumulators: updates, index: out.output.index, data: out.output.data, shuffleReadBytes: env.shuffleReadBytes, metrics };
    }
    return resultOutcome(() => encodeSmall({ value: toWire(out.value), accumulators: toWire(accumulators.updates) }), partition, env, computeFrom, queuedMs, payload);
  } catch (err) {
    if (err instanceof FetchFailedError) {
      return { kind: 'fetchFailed', shuffleId: err.shuffleId, mapPartition: err.mapPartition, workerId: err.workerId, message: err.message };
    }
    const info = userErrorInfo(err);
    // Spark's executor sets a failed task's executorRunTime (start of its run to the failure)
    // and sends its shuffle read metrics with the failure; nothing was serialized or written.
    const metrics: ThreadTaskMetrics = [queuedMs, performance.now() - computeFrom, 0, env.shuffleRecordsRead, 0, env.fetchWaitMs, env.inputBytes, env.inputRecords, env.outputBytes, env.outputRecords];
    return { kind: 'error', code: info.code, message: info.message, stack: info.stack, metrics, shuffleReadBytes: env.shuffleReadBytes };
  }
}

/**
 * A result task's outcome: its value encoded for the driver, or, when the value cannot be
 * encoded (a function, a symbol, an instance of a class not at a module's top level),
 * SLUICE_TASK_NOT_SERIALIZABLE naming the partition, the operator whose records it holds and
 * its call site in the program (as "Task not serializable" names them), and what could not
 * travel; its stack is that call site alone, none of Sluice's frames. The driver does not
 * retry it (every attempt would compute the same value), as Spark's TaskSetManager aborts on
 * "a not serializable result".
 */
function resultOutcome(encodeResult: () => Uint8Array, partition: number, env: ThreadTaskEnv, computeFrom: number, queuedMs: number, payload: TaskPayload): ThreadOutcome {
  let value: Uint8Array;
  const encodeFrom = performance.now();
  try {
    value = encodeResult();
  } catch (err) {
    const why = (err as Error).message ?? String(err);
    const made = recordsMadeAt(payload.plan);
    const message = `the result of partition ${partition}${made ? ` (records of ${made.operator} at ${made.site})` : ''} cannot be sent to the driver: ${why} (an action's result must be data the record codec carries: map functions, symbols and such to plain data first)`;
    return { kind: 'error', code: 'SLUICE_TASK_NOT_SERIALIZABLE', message, stack: made ? `SluiceError: ${message}\n    at ${made.operator} (${made.site})` : '' };
  }
  return { kind: 'result', value, shuffleReadBytes: env.shuffleReadBytes, metrics: taskMetrics(env, computeFrom, encodeFrom, queuedMs, 0) };
}

/**
 * The clock read at the end of the running task's encoding (taskMetrics), which startNext's
 * check for a quick task reuses rather than read the clock again (a read is 0.1-0.3 us, and a
 * tiny task makes a few); undefined until the task has one.
 */
let encodedAt: number | undefined;

/**
 * A successful task's metrics as this thread measured them: its wait for the thread, its
 * compute's (from `computeFrom` to `encodeFrom`) and encoding's (to now) times, and its shuffle records.
 */
function taskMetrics(env: ThreadTaskEnv, computeFrom: number, encodeFrom: number, queuedMs: number, recordsWritten: number): ThreadTaskMetrics {
  const now = performance.now();
  encodedAt = now;
  return [queuedMs, encodeFrom - computeFrom, now - encodeFrom, env.shuffleRecordsRead, recordsWritten, env.fetchWaitMs, env.inputBytes, env.inputRecords, env.outputBytes, env.outputRecords];
}

const receivers = new Map<number, ReceiverSupervisorImpl>();
/** Backpressure rates that came for a receiver still starting, by stream. */
const pendingRates = new Map<number, number>();

/** The task this thread runs now (one at a time), if any. */
let runningTask: string | undefined;
/** Tasks given to this thread and not started yet, in the order they run. */
const pending: ThreadTask[] = [];
/** When each of `pending` came (performance.now()), in its order: a wait behind this thread's other tasks is no part of the task's deserialization. */
const pendingSince: number[] = [];
/** Outcomes not yet sent (tasks that ended in one turn go to the main thread in one message). */
let ended: TaskEnded[] = [];
let endedTransfer: ArrayBuffer[] = [];
let flushScheduled = false;

/** Send the outcomes gathered so far, in the order their tasks ran. */
function flushEnded(): void {
  flushScheduled = false;
  if (ended.length === 0) return;
  const batch = ended;
  const transfer = endedTransfer;
  ended = [];
  endedTransfer = [];
  send({ type: 'done', ended: batch }, transfer);
}

/**
 * A task's outcome: sent now if no task waits here, else later in this turn of the event
 * loop (with the outcome of the next task, when that one is started first and ends in the
 * same turn: see startNext).
 */
function taskEnded(taskId: string, outcome: ThreadOutcome): void {
  ended.push({ taskId, outcome });
  // A map output goes to the main thread without a copy (its buffers are its own: MapOutputWriter).
  if (outcome.kind === 'mapStatus') endedTransfer.push(outcome.index.buffer as ArrayBuffer, outcome.data.buffer as ArrayBuffer);
  if (pending.length === 0) flushEnded();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushEnded);
  }
}

/**
 * A task that ran less than this (ms, wall time: on a busy machine a one-record task takes
 * a few) was tiny: when the next task here is of the same stage, it starts before the
 * outcome is sent, so that its outcome (likely tiny too) goes in the same message.
 */
const QUICK_TASK_MS = 10;

/** Where this thread shows the task it runs, for the sandbox (`run`'s `running`); set by the first `run`. */
let runningCell: Int32Array | undefined;
/** Tasks started here so far: the number of the one running, as `runningCell` shows it. */
let started = 0;
/** The running task's measurements, in the same shared memory (thread-protocol's RunningMeasure); set with `runningCell`. */
let runningMeasure: Float64Array | undefined;

/** A task's compute starts: its measurements so far are none, and its start on the clock both threads read. */
function showComputeStart(m: Float64Array, computeFrom: number): void {
  m[RunningMeasure.RecordsRead] = 0;
  m[RunningMeasure.FetchWaitMs] = 0;
  m[RunningMeasure.ShuffleReadBytes] = 0;
  m[RunningMeasure.InputBytes] = 0;
  m[RunningMeasure.InputRecords] = 0;
  m[RunningMeasure.OutputBytes] = 0;
  m[RunningMeasure.OutputRecords] = 0;
  m[RunningMeasure.ComputeFrom] = performance.timeOrigin + computeFrom;
  m[RunningMeasure.Task] = started;
}

/**
 * Start the next pending task, if the thread is idle. The task after one that ended starts
 * in a later turn (`setImmediate`): an error the ended task's code left unhandled surfaces
 * before, and is never blamed on the next task. The ended task's outcome is sent in that
 * later turn too: before the next task starts, or — when the ended task was tiny
 * (QUICK_TASK_MS) and the next is of its stage — after the next task's start and the
 * microtasks that follow it, so that a tiny next task, which ends there, sends both outcomes
 * in one message (one wake-up of the main thread for two tasks). An outcome is held no
 * longer than that turn: at most the next task's synchronous part (tiny, like its stage's
 * task before). If the next task kills the thread meanwhile, the sandbox reads from
 * `runningCell` which task ran: that one fails, the one whose outcome was not sent runs
 * again elsewhere (JobSandbox.taskItRan).
 */
function startNext(): void {
  if (retired || runningTask !== undefined || pending.length === 0) return;
  const t = pending.shift()!;
  const since = pendingSince.shift();
  runningTask = t.taskId;
  started++;
  if (runningCell) Atomics.store(runningCell, 0, started);
  const t0 = performance.now();
  encodedAt = undefined;
  void run(t.taskId, t.partition, t.stageKey, t.stage, t.taskData, since === undefined ? 0 : t0 - since).then((outcome) => {
    if (runningTask === t.taskId) {
      runningTask = undefined;
      if (runningCell) Atomics.store(runningCell, 0, 0);
      // A tiny task's outcome is flushed after the next task's start (immediates run in the order queued).
      if (pending.length > 0 && pending[0].stageKey === t.stageKey && (encodedAt ?? performance.now()) - t0 < QUICK_TASK_MS) {
        setImmediate(startNext);
        taskEnded(t.taskId, outcome);
        return;
      }
      taskEnded(t.taskId, outcome);
    } // Else: already failed by an unhandled error.
    if (pending.length > 0) setImmediate(startNext);
  });
}

// This thread's heap, grown by a large task or a receiver's backlog, is collected once it
// is idle, so a worker gives memory back after an overload.
new MemoryReleaser(
  () => {
    const h = v8.getHeapStatistics();
    return h.used_heap_size + h.external_memory;
  },
  () => runningTask === undefined,
).start();

/** The warm-up's tasks between two turns of the event loop: a `bind` waits for at most these. */
const WARM_UP_TURN = 25;
const WARM_UP_STAGE = '(warm-up)';
/**
 * The warm-up's tasks carry the stage's payload (as a stage's first task on a thread does)
 * once every this many: once only, V8 had no feedback for that branch when it optimized
 * `runBound`, and deoptimized it at a job's first task in every thread.
 */
const WARM_UP_STAGE_EVERY = 50;

/**
 * A fresh spare, while no job is bound to it, runs `tasks` synthetic tiny tasks through the
 * task path (WorkerOptions.warmUpTasks): the payload of `sc.parallelize(xs, n).count()` as the
 * driver ships it and each task's part as the driver encodes it, decoded here, run by runTask
 * through PartitionComputer, the result encoded and its metrics taken, as `run` does for a
 * job's task. Each of a worker's task threads is an isolate of its own that otherwise
 * compiles and optimizes this code on a job's first tiny tasks (bench/README, perf30); a
 * worker that waits for jobs does it beforehand. Nothing of it is seen by a job: no task
 * message is sent, its stage is forgotten, and it stops at the first turn of the event loop
 * after a `bind` (it yields one every WARM_UP_TURN tasks). Says `warmedUp` when it ran all.
 */
async function warmUp(tasks: number): Promise<void> {
  const from = performance.now();
  const plan = { nodes: { 0: { id: 0, numPartitions: tasks, op: { kind: 'parallelize', slices: [] }, parents: [], shuffleParents: [], storage: 'NONE' } }, root: 0 };
  // Bytes as a job's task brings them from the main thread (a message's Uint8Array, not the Buffer the encoders return):
  // V8 otherwise optimizes the decoders for a Buffer's map and deoptimizes them at a job's first task.
  const payload = new Uint8Array(encode({ plan, kind: 'result', action: { kind: 'count' }, shuffle: undefined, mapOutputs: {} }));
  const bound = boundJobOf(WARM_UP_STAGE, () => undefined, undefined, undefined);
  let error: string | undefined;
  let ran = 0;
  try {
    for (; ran < tasks && error === undefined; ran++) {
      if (job !== undefined || retired) return;
      // The wait given is a fraction of a ms, as a job's tasks' are (a double, not a small integer, in V8's feedback).
      const outcome = await runBound(bound, `${WARM_UP_STAGE}.p${ran}`, ran, WARM_UP_STAGE, ran % WARM_UP_STAGE_EVERY === 0 ? payload : undefined, new Uint8Array(encodeSmall({ slices: [0, ran, [ran]] })), performance.now() - from);
      if (outcome.kind !== 'result') error = outcome.kind === 'error' ? outcome.message : outcome.kind;
      if (ran % WARM_UP_TURN === WARM_UP_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    stages.delete(WARM_UP_STAGE);
  }
  if (job === undefined && !retired) send({ type: 'warmedUp', tasks: error === undefined ? ran : ran - 1, ms: performance.now() - from, ...(error === undefined ? {} : { error }) });
}

/** Set once the job's code left an error unhandled here: the thread runs nothing more. */
let retired = false;

/**
 * An error the job's code left unhandled (a promise rejected with nobody awaiting it, an
 * exception thrown from a timer) never reaches the worker process: it fails the task
 * running now with the user's message and stack (a receiver here reports it), and
 * retires this thread, whose state is suspect: it runs nothing more, and the sandbox
 * replaces it (messages, unlike an exit, arrive in order after the task's outcome).
 */
function unhandled(err: unknown): void {
  const info = userErrorInfo(err);
  const message = `an error the job's code left unhandled: ${info.message}`;
  // The outcomes of tasks that ended before go first: the main thread requeues only the tasks that did not end.
  if (runningTask !== undefined) ended.push({ taskId: runningTask, outcome: { kind: 'error', code: 'SLUICE_TASK_FAILED', message, stack: info.stack } });
  flushEnded();
  runningTask = undefined;
  if (runningCell) Atomics.store(runningCell, 0, 0);
  // The tasks not started yet run elsewhere: the main thread gives them to another thread on `retire`.
  pending.length = 0;
  pendingSince.length = 0;
  for (const streamId of receivers.keys()) send({ type: 'receiverError', streamId, message, stack: info.stack });
  if (!retired) send({ type: 'retire', reason: message, stack: info.stack });
  retired = true;
}
process.on('unhandledRejection', unhandled);
process.on('uncaughtException', unhandled);

/**
 * A process warning the job's code emits here (`process.emitWarning`, or a library it bundles
 * at its load: the AWS SDK's NodeVersionSupportWarning on Node 20) goes to the worker's log as
 * one JSON line at warn, once per thread for each warning, where Node's default printer wrote
 * nine lines of text into the worker's JSON log (`(node:PID) Warning: ...`) from every thread
 * that loaded the job (found by user61: 12 of them in one worker's log of a Kinesis job).
 */
const warningsLogged = new Set<string>();
process.removeAllListeners('warning');
process.on('warning', (w: Error & { code?: string }) => {
  const key = `${w.name}\0${w.code ?? ''}\0${w.message}`;
  if (warningsLogged.has(key)) return;
  warningsLogged.add(key);
  send({ type: 'warn', taskId: runningTask ?? '', message: "the job's code emitted a process warning", fields: { warning: w.name, ...(w.code === undefined ? {} : { warningCode: w.code }), detail: w.message } });
});

/**
 * The bound job was released: why this thread cannot serve another job (it holds work, it
 * retired, it served its share, or the job left something behind), or undefined. When
 * undefined, everything this thread kept of the job is dropped and it is unbound.
 */
async function unbind(): Promise<string | undefined> {
  const bound = job;
  if (bound) await bound;
  if (retired) return 'the thread retired';
  if (job !== bound) return 'the thread was bound again meanwhile';
  if (runningTask !== undefined || pending.length > 0) return 'the thread holds tasks';
  if (receivers.size > 0) return 'the thread runs a receiver';
  // The job's executor environment goes before the comparison: it was the job's, not left by it.
  jobEnv.restore();
  const left = imports.exhausted() ?? baseline?.difference();
  if (left !== undefined) return left;
  flushEnded();
  job = undefined;
  loaded = undefined;
  setSparkFilesRoot(undefined);
  stages.clear();
  broadcastValues.clear();
  decodedBlocks.clear();
  readOnce.clear();
  pendingRates.clear();
  setRecordClassScope(undefined);
  runningCell = undefined;
  runningMeasure = undefined;
  started = 0;
  return undefined;
}

/** The bound job's executor environment over this thread's process.env (spark.executorEnv.*), put back at `unbind`. */
const jobEnv = new ExecutorEnvOverlay();

/** What this thread held before its first job (taken once its own code is loaded, below). */
let baseline: ThreadBaseline | undefined;

async function startReceiver(msg: Extract<MainToThread, { type: 'startReceiver' }>): Promise<void> {
  const streamId = msg.streamId;
  const sink: SupervisorSink = {
    // A line block owns its ArrayBuffer (encodeLineBlock: the block and its headroom): it is
    // moved to the main thread, not cloned (a clone copies the bytes twice: into the
    // message and out of it). A block of records is copied: its buffer may be shared with others.
    block: (blockId, bytes, count, firstPosition) =>
      send(
        { type: 'receiverBlock', streamId, blockId, data: bytes, count, ...(firstPosition === undefined ? {} : { firstPosition }) },
        hasLineBlockHeadroom(bytes) ? [bytes.buffer as ArrayBuffer] : undefined,
      ),
    error: (message, stack) => send({ type: 'receiverError', streamId, message, stack }),
    started: () => send({ type: 'receiverStarted', streamId }),
    stopped: (reason, stack) => send({ type: 'receiverStopped', streamId, reason, stack }),
    restarting: (reason, stack) => send({ type: 'receiverRestarting', streamId, reason, stack }),
  };
  try {
    const { evalInScope, loadError } = await boundJob();
    if (loadError !== undefined || !evalInScope) throw loadError ?? new Error('the job bundle did not load');
    const receiver = reviveReceiver(decode<ShippedReceiver>(msg.receiver), evalInScope);
    const sup = new ReceiverSupervisorImpl(receiver, msg.blockPrefix, msg.blockIntervalMs, msg.maxBufferedRecords, sink, {
      streamId,
      ...(msg.maxRate === undefined ? {} : { maxRate: msg.maxRate }),
      ...(msg.initialRate === undefined ? {} : { initialRate: msg.initialRate }),
    });
    receivers.set(streamId, sup);
    // A rate that came while the receiver was starting.
    const rate = pendingRates.get(streamId);
    pendingRates.delete(streamId);
    if (rate !== undefined) sup.updateRate(rate);
    sup.start();
  } catch (err) {
    const info = userErrorInfo(err);
    sink.error(`receiver could not start: ${info.message}`, info.stack);
    sink.stopped('failed to start', info.stack);
  }
}

port.on('message', (msg: MainToThread) => {
  switch (msg.type) {
    case 'bind':
      // One job at a time: a bind while a job is bound (a worker bug) is never obeyed, and
      // the thread retires rather than run anything more.
      if (job || retired) {
        if (!retired) send({ type: 'retire', reason: `this task thread serves a job already; refused to serve ${msg.jobId} too` });
        retired = true;
        return;
      }
      {
        // Before the job's module loads: SparkFiles finds this job's files here (a bound thread serves one job).
        setSparkFilesRoot(msg.filesDir);
        // Before the job's module loads too: its top level may read process.env.
        jobEnv.apply(msg.env);
        const loading = loadJob(msg.jobId, msg.bundlePath);
        job = loading;
        void loading.then((b) => {
          if (job === loading) loaded = { of: loading, job: b };
        });
      }
      return;
    case 'unbind':
      void unbind().then((reason) => send({ type: 'unbound', clean: reason === undefined, ...(reason === undefined ? {} : { reason }) }));
      return;
    case 'startReceiver':
      void startReceiver(msg);
      return;
    case 'receiverRate': {
      const sup = receivers.get(msg.streamId);
      if (sup) sup.updateRate(msg.rate);
      else pendingRates.set(msg.streamId, msg.rate);
      return;
    }
    case 'receiverBlockStored':
      receivers.get(msg.streamId)?.onStored(msg.blockId, msg.error, msg.code);
      return;
    case 'stopReceiver': {
      const sup = receivers.get(msg.streamId);
      // Kept until it stopped: blocks cut while it drains still hear they were stored.
      if (sup) void sup.stop('stopped by the driver', undefined, { graceful: msg.graceful === true }).then(() => receivers.get(msg.streamId) === sup && receivers.delete(msg.streamId));
      else send({ type: 'receiverStopped', streamId: msg.streamId, reason: 'not running', stack: '' });
      return;
    }
    case 'forgetStage':
      stages.delete(msg.stageKey);
      return;
    case 'forgetBroadcast':
      broadcastValues.delete(msg.id);
      return;
    case 'forgetDecoded':
      for (const id of msg.blockIds) decodedBlocks.delete(id);
      return;
    case 'run': {
      if (msg.running !== undefined) {
        runningCell = new Int32Array(msg.running, 0, 1);
        runningMeasure = new Float64Array(msg.running, RUNNING_MEASURE_OFFSET, RUNNING_MEASURES);
      }
      if (retired) return; // The sandbox gives these tasks to a fresh thread.
      pending.push(...msg.tasks);
      const at = performance.now();
      for (let i = 0; i < msg.tasks.length; i++) pendingSince.push(at);
      startNext();
      return;
    }
    case 'fetched':
    case 'fetchedRange':
    case 'fetchFailed':
    case 'broadcasts':
    case 'cacheGot':
    case 'requestFailed': {
      requests.resolve(msg);
      return;
    }
    default: {
      const never: never = msg;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});
baseline = new ThreadBaseline();
send({ type: 'ready' });
if ((data.warmUpTasks ?? 0) > 0) void warmUp(data.warmUpTasks ?? 0);
