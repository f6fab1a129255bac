/**
 * Entry of a driver-program thread: one per submitted job, so jobs never share module
 * state. A thread started ahead of its job (SpareJobThread) loads Sluice and waits for
 * its one `bind` message, which carries the job's data. Imports the job bundle, builds a SluiceContext whose actions run on the
 * cluster through the driver's main thread, and calls the bundle's default export.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import {
  PortRequests,
  SluiceContext,
  SluiceError,
  TaskFailedError,
  encode,
  isSluiceError,
  setJobWorkingDirectory,
  setRecordClassScope,
  bundleEval,
  checkStreamingContextsStarted,
  currentOutputOperation,
  currentJobDescription,
  userErrorInfo,
  type ClusterBackend,
  type JobRunResult,
  type ReceiverEvent,
  type StreamingBackend,
} from '@sluice/core/internal';
import type { JobThreadData, JobToMain, MainToJob } from './job-protocol.js';
import { MainOutbox } from './main-outbox.js';

process.setSourceMapsEnabled(true);
const port = parentPort!;
/** A spare thread (SpareJobThread) waits for its job's data; a thread started for a job has it. */
const data: JobThreadData = (workerData as { spare?: boolean }).spare
  ? await new Promise<JobThreadData>((resolve) => port.once('message', (m: MainToJob) => resolve((m as Extract<MainToJob, { type: 'bind' }>).data)))
  : (workerData as JobThreadData);
/** Notifications go at the end of the turn, together; requests and the end go at once, after them. */
const outbox = new MainOutbox(port);
const requests = new PortRequests<JobToMain & { reqId: number }, MainToJob & { reqId: number }>({ postMessage: (m: JobToMain) => outbox.send(m) });

const receiverListeners: ((e: ReceiverEvent) => void)[] = [];
const stopHandlers: ((graceful: boolean) => void)[] = [];

port.on('message', (m: MainToJob) => {
  if (m.type === 'bind') return; // a spare's first message, taken above
  if (m.type === 'receiverEvent') {
    for (const l of receiverListeners) l(m.event);
    return;
  }
  if (m.type === 'stopRequested') {
    for (const h of stopHandlers) h(m.graceful);
    return;
  }
  requests.resolve(m);
});

const streaming: StreamingBackend = {
  startReceiver(streamId, receiver, options) {
    outbox.post({ type: 'startReceiver', streamId, receiver: encode(receiver), options, name: receiver.className } satisfies JobToMain);
  },
  async stopReceivers() {
    await requests.request((reqId) => ({ type: 'stopReceivers', reqId }));
  },
  async allocateBlocks(streamId) {
    const reply = await requests.request((reqId) => ({ type: 'allocateBlocks', reqId, streamId }));
    return reply.type === 'blocks' ? { blocks: reply.blocks, liveWriters: reply.liveWriters } : { blocks: [], liveWriters: [] };
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
  },
};


const backend: ClusterBackend = {
  jobId: data.jobId,
  defaultParallelism: () => data.parallelism,
  async runJob(graph, action, partitions): Promise<JobRunResult> {
    const outputOperation = currentOutputOperation();
    const description = currentJobDescription();
    const reply = await requests.request((reqId) => ({ type: 'runJob', reqId, graph, action, partitions, ...(outputOperation && { outputOperation }), ...(description !== undefined && { description }) }));
    if (reply.type === 'jobResult') return reply.result;
    if (reply.type === 'jobError') {
      if (reply.code === 'SLUICE_TASK_FAILED') throw new TaskFailedError(reply.message, reply.stack);
      throw new SluiceError(reply.code as SluiceError['code'], reply.message);
    }
    throw new SluiceError('SLUICE_INTERNAL', `unexpected reply ${reply.type}`);
  },
  async removeRdd(rddId) {
    await requests.request((reqId) => ({ type: 'removeRdd', reqId, rddId }));
  },
  putBroadcast(id, value) {
    outbox.post({ type: 'putBroadcast', id, value } satisfies JobToMain);
  },
  removeShuffles(shuffleIds) {
    outbox.post({ type: 'removeShuffles', shuffleIds } satisfies JobToMain);
  },
  checkpointDirSet(dir) {
    outbox.post({ type: 'checkpointDir', dir } satisfies JobToMain);
  },
  log(level, message, fields) {
    // A warning goes at once: the thread may be about to fail.
    const m = { type: 'log', level, message, fields } satisfies JobToMain;
    if (level === 'warn') outbox.send(m);
    else outbox.post(m);
  },
  streaming,
};

function fail(code: string, err: unknown, prefix = ''): void {
  const info = userErrorInfo(err);
  outbox.send({ type: 'failed', code: isSluiceError(err) ? err.code : code, message: prefix + info.message, stack: info.stack } satisfies JobToMain);
}

async function runMain(): Promise<void> {
  // Before the job's module runs: paths it resolves at load time resolve the same way.
  setJobWorkingDirectory(data.workingDir);
  let main: unknown;
  try {
    const mod = (await import(pathToFileURL(data.bundlePath).href)) as Record<string, unknown>;
    main = mod.default;
    // Records that are instances of the job's classes are revived in this thread.
    setRecordClassScope(bundleEval(mod, data.bundlePath), fs.readFileSync(data.bundlePath, 'utf8'));
  } catch (err) {
    return fail('SLUICE_JOB_LOAD', err, 'the job threw while loading: ');
  }
  if (typeof main !== 'function') {
    return fail('SLUICE_JOB_NO_MAIN', new SluiceError('SLUICE_JOB_NO_MAIN', 'the job file has no default export function: add `export default async function (sc: SluiceContext) { ... }`'));
  }
  const sc = new SluiceContext(backend);
  try {
    await (main as (sc: SluiceContext, args: readonly string[]) => unknown)(sc, data.args);
  } catch (err) {
    await sc.rddCheckpoints.removeAll();
    return fail('SLUICE_JOB_FAILED', err);
  }
  // The program is over: nothing can read the checkpoints of the RDDs it marked.
  await sc.rddCheckpoints.removeAll();
  try {
    // Streams defined and never started: the job did nothing; it says so instead of succeeding.
    checkStreamingContextsStarted();
  } catch (err) {
    return fail('SLUICE_NOT_STARTED', err);
  }
  outbox.send({ type: 'done' } satisfies JobToMain);
}

await runMain();
// Nothing more to ask the main thread: let this thread exit once the program's own
// timers and sockets are done, so its last printed lines flush and the job ends at once.
port.unref();
