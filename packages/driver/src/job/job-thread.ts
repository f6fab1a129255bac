/**
 * Entry of a driver-program thread: one per submitted job, so jobs never share module
 * state. Imports the job bundle, builds a SluiceContext whose actions run on the
 * cluster through the driver's main thread, and calls the bundle's default export.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import {
  SluiceContext,
  SluiceError,
  TaskFailedError,
  encode,
  isSluiceError,
  userErrorInfo,
  type ClusterBackend,
  type JobRunResult,
  type ReceiverEvent,
  type StreamingBackend,
} from '@sluice/core/internal';
import type { JobThreadData, JobToMain, MainToJob } from './job-protocol.js';

process.setSourceMapsEnabled(true);
const port = parentPort!;
const data = workerData as JobThreadData;
let nextReq = 0;
const pending = new Map<number, (m: MainToJob) => void>();

const receiverListeners: ((e: ReceiverEvent) => void)[] = [];
const stopHandlers: ((graceful: boolean) => void)[] = [];

port.on('message', (m: MainToJob) => {
  if (m.type === 'receiverEvent') {
    for (const l of receiverListeners) l(m.event);
    return;
  }
  if (m.type === 'stopRequested') {
    for (const h of stopHandlers) h(m.graceful);
    return;
  }
  const p = pending.get(m.reqId);
  pending.delete(m.reqId);
  p?.(m);
});

const streaming: StreamingBackend = {
  startReceiver(streamId, receiver, blockIntervalMs) {
    port.postMessage({ type: 'startReceiver', streamId, receiver: encode(receiver), blockIntervalMs, name: receiver.className } satisfies JobToMain);
  },
  async stopReceivers() {
    await request({ type: 'stopReceivers', reqId: nextReq++ });
  },
  async allocateBlocks(streamId) {
    const reply = await request({ type: 'allocateBlocks', reqId: nextReq++, streamId });
    return reply.type === 'blocks' ? reply.blocks : [];
  },
  removeBlocks(blockIds) {
    port.postMessage({ type: 'removeBlocks', blockIds } satisfies JobToMain);
  },
  onReceiverEvent(listener) {
    receiverListeners.push(listener);
  },
  reportBatch(info) {
    port.postMessage({ type: 'batch', info } satisfies JobToMain);
  },
  onStopRequested(handler) {
    stopHandlers.push(handler);
  },
};

function request(msg: JobToMain & { reqId: number }): Promise<MainToJob> {
  return new Promise((resolve) => {
    pending.set(msg.reqId, resolve);
    port.postMessage(msg);
  });
}

const backend: ClusterBackend = {
  jobId: data.jobId,
  defaultParallelism: () => data.parallelism,
  async runJob(graph, action, partitions): Promise<JobRunResult> {
    const reply = await request({ type: 'runJob', reqId: nextReq++, graph, action, partitions });
    if (reply.type === 'jobResult') return reply.result;
    if (reply.type === 'jobError') {
      if (reply.code === 'SLUICE_TASK_FAILED') throw new TaskFailedError(reply.message, reply.stack);
      throw new SluiceError(reply.code as SluiceError['code'], reply.message);
    }
    throw new SluiceError('SLUICE_INTERNAL', `unexpected reply ${reply.type}`);
  },
  async removeRdd(rddId) {
    await request({ type: 'removeRdd', reqId: nextReq++, rddId });
  },
  putBroadcast(id, value) {
    port.postMessage({ type: 'putBroadcast', id, value } satisfies JobToMain);
  },
  removeShuffles(shuffleIds) {
    port.postMessage({ type: 'removeShuffles', shuffleIds } satisfies JobToMain);
  },
  streaming,
};

function fail(code: string, err: unknown, prefix = ''): void {
  const info = userErrorInfo(err);
  port.postMessage({ type: 'failed', code: isSluiceError(err) ? err.code : code, message: prefix + info.message, stack: info.stack } satisfies JobToMain);
}

async function runMain(): Promise<void> {
  let main: unknown;
  try {
    const mod = (await import(pathToFileURL(data.bundlePath).href)) as Record<string, unknown>;
    main = mod.default;
  } catch (err) {
    return fail('SLUICE_JOB_LOAD', err, 'the job threw while loading: ');
  }
  if (typeof main !== 'function') {
    return fail('SLUICE_JOB_NO_MAIN', new SluiceError('SLUICE_JOB_NO_MAIN', 'the job file has no default export function: add `export default async function (sc: SluiceContext) { ... }`'));
  }
  try {
    await (main as (sc: SluiceContext, args: readonly string[]) => unknown)(new SluiceContext(backend), data.args);
    port.postMessage({ type: 'done' } satisfies JobToMain);
  } catch (err) {
    fail('SLUICE_JOB_FAILED', err);
  }
}

await runMain();
// Nothing more to ask the main thread: let this thread exit once the program's own
// timers and sockets are done, so its last printed lines flush and the job ends at once.
port.unref();
