/**
 * Entry of a driver-program thread: it runs one job's program at a time, so jobs never
 * share module state. A thread started ahead of its job (SpareJobThreads) loads Sluice and
 * waits for a `bind` message, which carries the job's data; a thread started for a job has
 * it. It imports the job bundle, builds a SluiceContext whose actions run on the cluster
 * through the driver's main thread, and calls the bundle's default export.
 *
 * When the program returned and left nothing behind — no timer, socket, global, builtin
 * property, environment variable or process listener (ThreadBaseline), no request to the
 * main thread unanswered, no StreamingContext running (driverProgramLeftover), its stdout
 * and stderr open — the thread forgets the job (resetDriverProgramState), prints the job's
 * `outputEnd` line on both streams (what came before is the job's output), says `done`
 * with `reusable` and waits for the `bind` of a later job of the same bundle, which
 * imports the bundle under a new URL (BundleImports: a module instance of its own, bounded
 * jobs and code a thread). Otherwise, or when the program failed, it lets itself exit as
 * before: once the program's own timers and sockets are done.
 */
import fs from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  BundleImports,
  PortRequests,
  SluiceContext,
  SluiceError,
  StreamingContext,
  TaskFailedError,
  ThreadBaseline,
  encode,
  errorClassName,
  isSluiceError,
  setJobWorkingDirectory,
  setSparkFilesRoot,
  setRecordClassScope,
  bundleEval,
  checkStreamingContextsStarted,
  currentOutputOperation,
  currentJobDescription,
  currentJobGroup,
  driverProgramLeftover,
  resetDriverProgramState,
  userErrorInfo,
  creationSiteText,
  cancelReason,
  stopStreamingAfterFailure,
  type ClusterBackend,
  type CreationSite,
  type LineageGraph,
  type JobRunResult,
  type ReceiverEvent,
  type SchedulerEvent,
  type TaskAccumulatorUpdates,
  type StreamingBackend,
} from '@sluice/core/internal';
import type { JobThreadData, JobToMain, MainToJob } from './job-protocol.js';
import { MainOutbox } from './main-outbox.js';
import { noMainMessage } from './no-main-message.js';
import { unrecoverableWhy } from './unrecoverable-failure.js';
import { isDataCloneError, unsendableJob } from './unsendable-job.js';
import { startTestGc } from './test-gc-timer.js';

/** How long a failed program's end waits for its StreamingContext's stop (stopStreamingAfterFailure). */
const FAILED_STOP_WAIT_MS = 5_000;
/** A cancelled action's reason as the cancelJob message carries it. */
const withReason = (reason: string | undefined): { reason?: string } => (reason === undefined ? {} : { reason });

/** Stack frames an error of the driver program keeps: enough for Sluice's under the user's call. */
const PROGRAM_STACK_FRAMES = 64;
/** What an error that rejected a promise nobody awaited is prefixed with. */
const UNAWAITED_REJECTION =
  'a promise nobody awaited was rejected (in a program, usually an action not awaited: write `stream.foreachRDD(async (rdd) => { await rdd.foreach(f); })`, await every action)';

process.setSourceMapsEnabled(true);
// An error Sluice throws in the program's call (Task not serializable, a bad argument) has
// Sluice's frames above the program's: within V8's default 10 frames the stack ended before
// the user's, and userErrorInfo, finding none of theirs, showed Sluice's frames alone.
Error.stackTraceLimit = Math.max(Error.stackTraceLimit, PROGRAM_STACK_FRAMES);
// A promise that rejects with nobody awaiting it ends the program, as before (the thread's
// error); its message now says so, as the program's frames show no place that waited (a Spark
// user's `stream.foreachRDD((rdd) => { rdd.foreach(f); })`, whose action is not awaited).
process.on('unhandledRejection', (reason) => {
  if (reason instanceof Error) reason.message = `${UNAWAITED_REJECTION}: ${programMessage(reason, reason.message)}`;
  throw reason;
});
// An error thrown where nothing catches it (a timer's callback) ends the program too (the
// thread's error, 'the driver program crashed: ...'): its message leads with its class, as
// main's throw does (programMessage). A monitor only looks: the thread still dies of it.
process.on('uncaughtExceptionMonitor', (err) => {
  if (err instanceof Error && !err.message.startsWith(UNAWAITED_REJECTION)) err.message = programMessage(err, err.message);
});
const port = parentPort!;
/** Notifications go at the end of the turn, together; requests and the end go at once, after them. */
const outbox = new MainOutbox(port);
const requests = new PortRequests<JobToMain & { reqId: number }, MainToJob & { reqId: number }>({ postMessage: (m: JobToMain) => outbox.send(m) });

/** The running job's listeners of receiver events and stop requests (a new set each job). */
let receiverListeners: ((e: ReceiverEvent) => void)[] = [];
let stopHandlers: ((graceful: boolean) => void)[] = [];
/** A stop asked for before the program's StreamingContext started (JobThreadData.stopRequested): given to each handler as it is added. */
let stopAsked: boolean | undefined;
/** The program's SparkListeners' bus, while it has any (listenToScheduler). */
let schedulerHandler: ((event: SchedulerEvent) => void) | undefined;
/** Where successful tasks' accumulator updates are merged (the job's SluiceContext). */
let accumulatorHandler: ((updates: TaskAccumulatorUpdates) => void) | undefined;
/**
 * The job whose program runs on this thread now (undefined once it returned). A thread kept
 * for a later job still holds the earlier jobs' SluiceContexts and RDDs: a context's
 * FinalizationRegistry (its ContextCleaner) may drop the shuffles of its RDDs collected while
 * the later job runs, and its shuffle ids are the later job's too (each context numbers its
 * shuffles from 0). Only the running job's context may ask that; an ended job's shuffles all
 * went with its release (Worker.ReleaseJob).
 */
let programOf: JobThreadData | undefined;
/** `bind` messages not taken yet, and the taker waiting for one. */
const binds: JobThreadData[] = [];
let bindWaiter: ((data: JobThreadData) => void) | undefined;

port.on('message', onMainMessage);

function onMainMessage(m: MainToJob): void {
  if (m.type === 'bind') {
    // A new program: the RDD ids it makes are its own.
    rddSites.clear();
    const w = bindWaiter;
    bindWaiter = undefined;
    if (w) w(m.data);
    else binds.push(m.data);
    return;
  }
  if (m.type === 'receiverEvent') {
    for (const l of receiverListeners) l(m.event);
    return;
  }
  if (m.type === 'schedulerEvent') {
    schedulerHandler?.(m.event);
    return;
  }
  if (m.type === 'taskAccumulators') {
    const { type: _type, ...updates } = m;
    accumulatorHandler?.(updates);
    return;
  }
  if (m.type === 'stopRequested') {
    for (const h of stopHandlers) h(m.graceful);
    return;
  }
  if (m.type === 'jobPartial') {
    partialHandlers.get(m.reqId)?.(m.partition, m.value);
    return;
  }
  if (m.type === 'jobStarted') {
    startHandlers.get(m.reqId)?.(m.jobId);
    return;
  }
  if (m.type === 'formatCallSites') {
    outbox.send({ type: 'callSites', reqId: m.reqId, sites: m.rddIds.map((id) => [id, creationSiteText(rddSites.get(id)?.deref()) ?? null] as const) });
    return;
  }
  requests.resolve(m);
}

/**
 * The creation sites of the RDDs of the program's actions, not formatted (their stacks as
 * captured), by RDD id: the last RDD_SITES_KEPT. The driver asks for some formatted
 * (formatCallSites) when a page or REST call shows them, so an action pays for none. Held
 * weakly: a stack not yet formatted holds its frames' receivers, the RDDs themselves, and a
 * strong hold kept every RDD of the last 10,000 from the garbage collector, so the RDD
 * checkpoints and shuffles cleaned when their RDD is collected (ContextCleaner's way) piled up
 * (rdd-checkpoints). An RDD collected has no site to show any more.
 */
const rddSites = new Map<number, WeakRef<CreationSite>>();
const RDD_SITES_KEPT = 10_000;

/** `graph` without its creation sites, which it keeps (rddSites): what is sent to the driver's scheduler. */
function keepCreationSites(graph: LineageGraph): LineageGraph {
  const { creationSitesToFormat: sites, ...sent } = graph;
  if (sites === undefined) return graph;
  for (const [id, site] of sites) {
    rddSites.delete(id);
    rddSites.set(id, new WeakRef(site));
  }
  for (const id of rddSites.keys()) {
    if (rddSites.size <= RDD_SITES_KEPT) break;
    rddSites.delete(id);
  }
  return sent;
}

/** The runJob requests that asked for each partition's value as it comes (an approximate action's), by reqId. */
const partialHandlers = new Map<number, (partition: number, value: unknown) => void>();
/** The runJob requests that asked for their job id as it starts (FutureAction.jobIds), by reqId. */
const startHandlers = new Map<number, (jobId: number) => void>();

/** Ids of blocking requests (runJobSync): negative, so never one of PortRequests'. */
let nextSyncReqId = -1;
const syncPause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Send `m` (a request with `reqId`) and block this thread until its reply: the main thread's
 * messages are taken off the port here meanwhile, and those that are not the reply are
 * handled once the reply came, in their order (after this turn, as if they came then).
 */
function requestBlocking(make: (reqId: number) => JobToMain & { reqId: number }): MainToJob {
  const reqId = nextSyncReqId--;
  outbox.send(make(reqId));
  const held: MainToJob[] = [];
  for (;;) {
    const got = receiveMessageOnPort(port);
    if (got === undefined) {
      Atomics.wait(syncPause, 0, 0, 2);
      continue;
    }
    const m = got.message as MainToJob;
    // Merged now: the blocking job's accumulators show its tasks' updates once it returns.
    if (m.type === 'taskAccumulators') {
      onMainMessage(m);
      continue;
    }
    if ('reqId' in m && m.reqId === reqId) {
      // A microtask, not setImmediate: a message the port delivers later (an event of the poll
      // phase, before setImmediate's check phase) must not overtake these (a job's result its
      // jobStarted, which FutureAction.jobIds would then miss).
      if (held.length > 0) queueMicrotask(() => held.forEach(onMainMessage));
      return m;
    }
    held.push(m);
  }
}

/** The next job's data, from its `bind`. */
function nextBind(): Promise<JobThreadData> {
  const queued = binds.shift();
  return queued ? Promise.resolve(queued) : new Promise((resolve) => (bindWaiter = resolve));
}

const streaming: StreamingBackend = {
  startReceiver(streamId, receiver, options) {
    outbox.post({ type: 'startReceiver', streamId, receiver: encode(receiver), options, name: receiver.className } satisfies JobToMain);
  },
  async stopReceivers(options) {
    await requests.request((reqId) => ({ type: 'stopReceivers', reqId, graceful: options?.graceful === true }));
  },
  async allocateBlocks(streamId, before) {
    const reply = await requests.request((reqId) => ({ type: 'allocateBlocks', reqId, streamId, ...(before === undefined ? {} : { before }) }));
    return reply.type === 'blocks' ? { blocks: reply.blocks, liveWriters: reply.liveWriters, endedWriters: reply.endedWriters, releasedWriters: reply.releasedWriters } : { blocks: [], liveWriters: [] };
  },
  removeBlocks(blockIds) {
    outbox.post({ type: 'removeBlocks', blockIds } satisfies JobToMain);
  },
  onReceiverEvent(listener) {
    receiverListeners.push(listener);
  },
  reportBatch(info) {
    outbox.post({ type: 'batch', info } satisfies JobToMain);
  },
  reportProgress(event) {
    outbox.post({ type: 'progress', event } satisfies JobToMain);
  },
  reportFlow(status) {
    outbox.post({ type: 'flow', status } satisfies JobToMain);
  },
  reportDashboard(event) {
    outbox.post({ type: 'dashboard', event } satisfies JobToMain);
  },
  onStopRequested(handler) {
    stopHandlers.push(handler);
    // After the start that adds it has returned.
    if (stopAsked !== undefined) {
      const graceful = stopAsked;
      setImmediate(() => handler(graceful));
    }
  },
};

/** How the job `data` describes reaches the cluster. */
const backendOf = (data: JobThreadData): ClusterBackend => ({
  jobId: data.jobId,
  appName: data.appName,
  master: data.master,
  ...(data.uiWebUrl === undefined ? {} : { uiWebUrl: data.uiWebUrl }),
  defaultParallelism: () => data.parallelism,
  defaultParallelismSet: data.parallelismSet === true,
  broadcastCompress: data.broadcastCompress === true,
  checkpointCompress: data.checkpointCompress === true,
  rddCompress: data.rddCompress === true,
  referenceTracking: data.referenceTracking !== false,
  async runJob(graph, action, partitions, onPartition, signal, onStart): Promise<JobRunResult> {
    const outputOperation = currentOutputOperation();
    const description = currentJobDescription();
    const groupTags = groupAndTags();
    let partialId: number | undefined;
    let startId: number | undefined;
    let cancel: (() => void) | undefined;
    try {
      const reply = await requests
        .request((reqId) => {
          if (onPartition) partialHandlers.set((partialId = reqId), onPartition);
          if (onStart) startHandlers.set((startId = reqId), onStart);
          if (signal) signal.addEventListener('abort', (cancel = () => outbox.send({ type: 'cancelJob', reqId, ...withReason(cancelReason(signal)) })), { once: true });
          return { type: 'runJob', reqId, graph: keepCreationSites(graph), action, partitions, ...(outputOperation && { outputOperation }), ...(description !== undefined && { description }), ...groupTags, ...(onPartition && { partials: true }), ...(onStart && { jobIds: true }) };
        })
        .catch((err: unknown) => {
          throw isDataCloneError(err) ? unsendableJob(graph, err) : err;
        });
      return jobReply(reply);
    } finally {
      if (partialId !== undefined) partialHandlers.delete(partialId);
      if (startId !== undefined) startHandlers.delete(startId);
      if (cancel) signal?.removeEventListener('abort', cancel);
    }
  },
  runJobSync(graph, action, partitions): JobRunResult {
    const outputOperation = currentOutputOperation();
    const description = currentJobDescription();
    const groupTags = groupAndTags();
    let reply: MainToJob;
    try {
      reply = requestBlocking((reqId) => ({ type: 'runJob', reqId, graph: keepCreationSites(graph), action, partitions, ...(outputOperation && { outputOperation }), ...(description !== undefined && { description }), ...groupTags }));
    } catch (err) {
      throw isDataCloneError(err) ? unsendableJob(graph, err) : err;
    }
    return jobReply(reply);
  },
  onTaskAccumulators(handler) {
    accumulatorHandler = handler;
  },
  listenToScheduler(handler) {
    schedulerHandler = handler;
    outbox.send({ type: 'listen', on: handler !== undefined });
  },
  status(query) {
    // A query about an RDD (rdd.preferredLocations, any other that carries a lineage) is sent
    // without the creation sites as captured, which do not travel (closures), as an action's is.
    const sent = 'graph' in query ? { ...query, graph: keepCreationSites(query.graph) } : query;
    const reply = requestBlocking((reqId) => ({ type: 'status', reqId, query: sent }));
    if (reply.type !== 'status') throw new SluiceError('SLUICE_INTERNAL', `unexpected reply ${reply.type} to a status query`);
    return reply.answer;
  },
  async removeRdd(rddId) {
    // An ended program's RDD (its context's cleaner, on a thread kept for a later job): its ids are the later job's too, and its blocks went with its release.
    if (programOf !== data) return;
    await requests.request((reqId) => ({ type: 'removeRdd', reqId, rddId }));
  },
  cancelJob(jobId, reason) {
    outbox.send({ type: 'cancelJobId', jobId, ...(reason !== undefined && { reason }) });
  },
  killTaskAttempt(taskId, reason) {
    const reply = requestBlocking((reqId) => ({ type: 'killTaskAttempt', reqId, taskId, reason }));
    if (reply.type !== 'taskKilled') throw new SluiceError('SLUICE_INTERNAL', `unexpected reply ${reply.type} to killTaskAttempt`);
    return reply.killed;
  },
  cancelStage(stageId, reason) {
    outbox.send({ type: 'cancelStage', stageId, ...(reason !== undefined && { reason }) });
  },
  async cachedPartitions(rddId) {
    const reply = await requests.request((reqId) => ({ type: 'cachedPartitions', reqId, rddId }));
    return reply.type === 'partitions' ? reply.partitions : [];
  },
  putBroadcast(id, value) {
    outbox.post({ type: 'putBroadcast', id, value } satisfies JobToMain);
  },
  addFile(ref) {
    outbox.post({ type: 'addFile', ref } satisfies JobToMain);
  },
  async removeBroadcast(id, fromDriver) {
    // As removeRdd's: an ended program's broadcasts went with its release.
    if (programOf !== data) return;
    await requests.request((reqId) => ({ type: 'removeBroadcast', reqId, id, fromDriver }));
  },
  removeShuffles(shuffleIds) {
    if (programOf !== data) return;
    outbox.post({ type: 'removeShuffles', shuffleIds } satisfies JobToMain);
  },
  checkpointDirSet(dir) {
    outbox.post({ type: 'checkpointDir', dir } satisfies JobToMain);
  },
  setScheduler(config) {
    outbox.post({ type: 'scheduler', config } satisfies JobToMain);
  },
  reportAccumulables(values) {
    // At once (SluiceContext sends them once a turn, as tasks' updates are merged): the last
    // ones reach the main thread before the action's result reaches the program, which may
    // then read its stages from the REST API.
    outbox.send({ type: 'accumulables', values } satisfies JobToMain);
  },
  log(level, message, fields) {
    // A warning goes at once: the thread may be about to fail.
    const m = { type: 'log', level, message, fields } satisfies JobToMain;
    if (level === 'warn') outbox.send(m);
    else outbox.post(m);
  },
  streaming,
});

/** The job group, tags and scheduler pool of the action being started, as a runJob message's fields (none when it has none). */
function groupAndTags(): { group?: string; tags?: readonly string[]; pool?: string } {
  const g = currentJobGroup();
  return { ...(g?.group !== undefined && { group: g.group }), ...(g?.tags !== undefined && g.tags.length > 0 && { tags: g.tags }), ...(g?.pool !== undefined && { pool: g.pool }) };
}

/** A runJob's result, or its error thrown. */
function jobReply(reply: MainToJob): JobRunResult {
  if (reply.type === 'jobResult') return reply.result;
  if (reply.type === 'jobError') {
    const err = reply.code === 'SLUICE_TASK_FAILED' ? new TaskFailedError(reply.message, reply.stack) : new SluiceError(reply.code as SluiceError['code'], reply.message);
    throw err;
  }
  throw new SluiceError('SLUICE_INTERNAL', `unexpected reply ${reply.type}`);
}

/** The message of a program that failed with `err`. */
/**
 * The message of an error the program threw, led by its class (`TypeError: ...`,
 * `QuotaExceeded: ...`), as Spark's driver prints the exception that ended main
 * (Throwable.toString) and as a task's error reads here (userErrorInfo's header); before, the
 * job's failure said the message alone. Sluice's own errors name their code instead, as is.
 */
function programMessage(err: unknown, message: string): string {
  return err instanceof Error && !isSluiceError(err) ? `${errorClassName(err)}: ${message}` : message;
}

function failure(code: string, err: unknown, prefix = ''): JobToMain {
  const info = userErrorInfo(err);
  const c = isSluiceError(err) ? err.code : code;
  const unrecoverable = unrecoverableWhy(c, err instanceof Error ? err.name : undefined);
  return { type: 'failed', code: c, message: prefix + programMessage(err, info.message), stack: info.stack, ...(unrecoverable === undefined ? {} : { unrecoverable }) };
}

/** Run the job `data` describes to its end: the message that says how it ended (sent by the caller). */
async function runMain(data: JobThreadData): Promise<JobToMain> {
  receiverListeners = [];
  schedulerHandler = undefined;
  accumulatorHandler = undefined;
  stopHandlers = [];
  stopAsked = data.stopRequested === 'graceful' ? true : undefined;
  // Before the job's module runs: paths it resolves at load time resolve the same way.
  setJobWorkingDirectory(data.workingDir);
  setSparkFilesRoot(data.filesDir);
  let main: unknown;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(imports.bind(data.jobId, data.bundlePath))) as Record<string, unknown>;
    main = mod.default;
    const text = fs.readFileSync(data.bundlePath, 'utf8');
    imports.imported(text.length);
    // Records that are instances of the job's classes are revived in this thread.
    setRecordClassScope(bundleEval(mod, data.bundlePath), text);
  } catch (err) {
    return failure('SLUICE_JOB_LOAD', err, 'the job threw while loading: ');
  }
  if (typeof main !== 'function') {
    // The user's mistake, in the user's file: no frame of this thread would help.
    return { type: 'failed', code: 'SLUICE_JOB_NO_MAIN', message: noMainMessage(mod), stack: '', unrecoverable: unrecoverableWhy('SLUICE_JOB_NO_MAIN', undefined) };
  }
  const sc = new SluiceContext(backendOf(data));
  try {
    await (main as (sc: SluiceContext, args: readonly string[]) => unknown)(sc, data.args);
  } catch (err) {
    // The attempt ends (its receivers cut, its blocks dropped) once its StreamingContext's stop
    // did, as Spark's driver stops it when main throws: the receivers' onStop run first. Before,
    // it ended at once and an MQTT receiver's stores under way were never acknowledged (the
    // broker sent them again to a --supervise restart, beside their logged blocks: doubles).
    if (!(await stopStreamingAfterFailure(FAILED_STOP_WAIT_MS))) {
      sc.log('warn', `the failed job's StreamingContext did not stop within ${FAILED_STOP_WAIT_MS} ms: the attempt ends without waiting longer, its receivers are stopped where they run, and what they received and had not acknowledged comes again (at least once)`, { component: 'job', waitedMs: FAILED_STOP_WAIT_MS });
    }
    await sc.rddCheckpoints.removeAll();
    return failure('SLUICE_JOB_FAILED', err);
  }
  // Returned with its StreamingContext running (no awaitTermination): the job ends and the
  // context with it, as when a Spark driver's main returns. Quiet there; said here, as a
  // program that started a stream and returned at once most likely forgot to wait.
  const running = StreamingContext.getActive();
  if (running !== undefined) {
    sc.log('warn', `the job's program returned while the StreamingContext created at ${running.createdAt} was running: the job ends, and the context stops with it; to keep it running, await ssc.awaitTermination() (or ssc.awaitTerminationOrTimeout(ms)) before returning`, { component: 'job', createdAt: running.createdAt });
  }
  // The program is over: nothing can read the checkpoints of the RDDs it marked.
  await sc.rddCheckpoints.removeAll();
  try {
    // Streams defined and never started: the job did nothing; it says so instead of succeeding.
    checkStreamingContextsStarted();
  } catch (err) {
    return failure('SLUICE_NOT_STARTED', err);
  }
  return { type: 'done', reusable: false };
}

/** The thread's output streams and their own `write`, as they were before any job ran. */
const outputs = (['stdout', 'stderr'] as const).map((name) => ({ name, stream: process[name], write: process[name].write }));
/** How long the thread waits for its output to be handed over before it gives up serving a later job. */
const FLUSH_TIMEOUT_MS = 2000;

/**
 * Resolves with true once `text`, after what was written before, was handed to the driver's
 * main thread on both streams; false if a stream was closed or replaced by the job, or did
 * not answer in FLUSH_TIMEOUT_MS. Writes with the streams' own `write`: a job's patch is not
 * called (and makes the thread unfit for a later job, as it would change that job's output).
 */
function written(text: string): Promise<boolean> {
  if (outputs.some(({ name, stream, write }) => process[name] !== stream || stream.write !== write || stream.writableEnded || stream.destroyed)) {
    return Promise.resolve(false);
  }
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.all(outputs.map(({ stream, write }) => new Promise<boolean>((resolve) => write.call(stream, text, 'utf8', (err?: Error | null) => resolve(err == null))))).then((ok) => ok.every(Boolean)),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), FLUSH_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Why this thread may not serve a later job now that its program returned (undefined: it
 * may, and core's state of the job is forgotten). Called once what the program printed was
 * handed over, so the streams' own port is idle again and does not count as something left
 * behind.
 */
function notReusable(): string | undefined {
  if (requests.waiting > 0) return `the job left ${requests.waiting} request(s) to the driver unanswered`;
  const why = imports.exhausted() ?? driverProgramLeftover();
  if (why !== undefined) return why;
  // Core's state of the job goes first (its inspector session is not the job's doing).
  resetDriverProgramState();
  return baseline.difference();
}

/**
 * The program of `data`'s job ended: say so, and whether this thread serves a later job
 * (then the job's output ends with its `outputEnd` line on both streams). Returns whether
 * it does.
 */
async function end(data: JobThreadData, ended: JobToMain): Promise<boolean> {
  if (ended.type !== 'done') {
    outbox.send(ended);
    return false;
  }
  const flushed = await written('');
  const why = flushed ? notReusable() : 'the job closed, replaced or held up its stdout or stderr';
  if (why !== undefined) {
    outbox.send({ type: 'done', reusable: false, notReusable: why });
    return false;
  }
  const line = `${data.outputEnd}\n`;
  if (!(await written(line))) {
    outbox.send({ type: 'done', reusable: false, notReusable: 'the end of its output could not be written' });
    return false;
  }
  outbox.send({ type: 'done', reusable: true });
  return true;
}

/** The job bundles this thread imported (a new module instance a job; bounded). */
const imports = new BundleImports();
/** A spare thread (SpareJobThreads) waits for its job's data; a thread started for a job has it. */
let data: JobThreadData = (workerData as { spare?: boolean }).spare ? await nextBind() : (workerData as JobThreadData);
/** What this thread held before its first job's code ran. */
const baseline = new ThreadBaseline();
/** runMain, with `programOf` naming its job while its program runs. */
async function runProgram(job: JobThreadData): Promise<JobToMain> {
  let stopTestGc: () => void;
  try {
    stopTestGc = startTestGc();
  } catch (err) {
    return failure('SLUICE_BAD_ARGUMENT', err);
  }
  programOf = job;
  try {
    return await runMain(job);
  } finally {
    programOf = undefined;
    stopTestGc();
  }
}
while (await end(data, await runProgram(data))) data = await nextBind();
// Nothing more to ask the main thread: let this thread exit once the program's own
// timers and sockets are done, so its last printed lines flush and the job ends at once.
port.unref();
