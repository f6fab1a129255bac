/**
 * Entry of a task thread: one per core per job. Imports the job bundle once, then runs
 * tasks one at a time, reaching the worker's block store and shuffle fetcher through
 * messages to the main thread (see thread-protocol.ts).
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import {
  Broadcast,
  PortRequests,
  FetchFailedError,
  TaskAccumulators,
  broadcastIds,
  bundleEval,
  decode,
  decodeRecords,
  encode,
  reviveClosure,
  reviveReceiver,
  type ShippedReceiver,
  runTask,
  setRecordClassScope,
  toWire,
  userErrorInfo,
  type BundleOrigin,
  type ShippedFunction,
  type StorageLevel,
  type TaskEnv,
  type TaskPayload,
} from '@sluice/core/internal';
import type { MainToThread, ThreadOutcome, ThreadToMain, ThreadData } from './thread-protocol.js';
import { ReceiverSupervisorImpl, type SupervisorSink } from '../receiver/receiver-supervisor.js';
import { MemoryReleaser } from '../storage/memory-release.js';

process.setSourceMapsEnabled(true);
const port = parentPort!;
const data = workerData as ThreadData;

let evalInScope: ((src: string) => unknown) | undefined;
let origin: BundleOrigin | undefined;
let loadError: unknown;
try {
  const url = pathToFileURL(data.bundlePath).href;
  const mod = (await import(url)) as Record<string, unknown>;
  evalInScope = bundleEval(mod, data.bundlePath);
  // Revived functions are placed as in the bundle, so their stack frames map to the user's file.
  origin = { url, text: fs.readFileSync(data.bundlePath, 'utf8') };
  // Records that are instances of the job's classes are revived in this thread.
  setRecordClassScope(evalInScope, origin.text);
} catch (err) {
  loadError = err;
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

/** Broadcast values decoded in this thread, by id: each is fetched and decoded once per thread. */
const broadcastValues = new Map<number, unknown>();

async function loadBroadcasts(ids: number[]): Promise<void> {
  const missing = ids.filter((id) => !broadcastValues.has(id));
  if (missing.length === 0) return;
  const reply = await ask((reqId) => ({ type: 'broadcastGet', reqId, ids: missing }));
  if (reply.type !== 'broadcasts') throw new Error(`unexpected reply ${reply.type}`);
  if (reply.error) throw new Error(reply.error);
  for (const id of missing) broadcastValues.set(id, decodeRecords(reply.values[id]));
}

async function run(taskId: string, partition: number, payloadBytes: Uint8Array): Promise<ThreadOutcome> {
  if (loadError !== undefined || !evalInScope) {
    const info = userErrorInfo(loadError);
    return { kind: 'error', code: 'SLUICE_JOB_LOAD', message: `the job bundle failed to load on this worker: ${info.message}`, stack: info.stack };
  }
  const payload = decode<TaskPayload>(payloadBytes);
  try {
    await loadBroadcasts(broadcastIds(payload));
  } catch (err) {
    return { kind: 'error', code: 'SLUICE_JOB_LOAD', message: `cannot get a broadcast variable: ${(err as Error).message}`, stack: '' };
  }
  const accumulators = new TaskAccumulators();
  const scope = evalInScope;
  const reviveShippable = (type: string, d: unknown): unknown => {
    if (type === 'accumulator') return accumulators.revive(d);
    if (type === 'broadcast') return Broadcast.revive(d, (id) => broadcastValues.get(id));
    throw new Error(`cannot revive a captured value of type '${type}'`);
  };
  const env: TaskEnv = {
    jobId: data.jobId,
    warn: (message, fields) => send({ type: 'warn', taskId, message, fields }),
    revive: (fn: ShippedFunction) => reviveClosure(fn, scope, reviveShippable, origin),
    async fetchShuffle(shuffleId, reducePartition, locations) {
      const reply = await ask((reqId) => ({ type: 'fetch', reqId, taskId, shuffleId, reducePartition, locations: [...locations] }));
      if (reply.type === 'fetchFailed') throw new FetchFailedError(reply.shuffleId, reply.mapPartition, reply.workerId, reply.message);
      if (reply.type !== 'fetched') throw new Error(`unexpected reply ${reply.type}`);
      return reply.segments;
    },
    writeShuffleSegment(blockId, bytes) {
      send({ type: 'segment', taskId, blockId, data: bytes });
    },
    async getCached(blockId) {
      const reply = await ask((reqId) => ({ type: 'cacheGet', reqId, blockId }));
      return reply.type === 'cacheGot' ? reply.data : undefined;
    },
    putCached(blockId: string, bytes: Uint8Array, level: StorageLevel) {
      send({ type: 'cachePut', taskId, blockId, data: bytes, level });
    },
    async getBlock(blockId, locations) {
      const reply = await ask((reqId) => ({ type: 'blockGet', reqId, blockId, locations: [...locations] }));
      if (reply.type !== 'cacheGot') throw new Error(`unexpected reply ${reply.type}`);
      return reply.data ? { data: reply.data } : { misses: reply.misses ?? [] };
    },
  };
  try {
    const out = await runTask(payload, partition, env, { spillRecords: data.shuffleSpillRecords });
    if (out.kind === 'mapStatus') return { kind: 'mapStatus', sizes: out.sizes, accumulators: encode(toWire(accumulators.updates)) };
    return { kind: 'result', value: encode({ value: toWire(out.value), accumulators: toWire(accumulators.updates) }) };
  } catch (err) {
    if (err instanceof FetchFailedError) {
      return { kind: 'fetchFailed', shuffleId: err.shuffleId, mapPartition: err.mapPartition, workerId: err.workerId, message: err.message };
    }
    const info = userErrorInfo(err);
    return { kind: 'error', code: info.code, message: info.message, stack: info.stack };
  }
}

const receivers = new Map<number, ReceiverSupervisorImpl>();

/** The task this thread runs now (one at a time), if any. */
let runningTask: string | undefined;

// This thread's heap, grown by a large task or a receiver's backlog, is collected once it
// is idle, so a worker gives memory back after an overload.
new MemoryReleaser(
  () => {
    const h = v8.getHeapStatistics();
    return h.used_heap_size + h.external_memory;
  },
  () => runningTask === undefined,
).start();

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
  if (runningTask !== undefined) send({ type: 'done', taskId: runningTask, outcome: { kind: 'error', code: 'SLUICE_TASK_FAILED', message, stack: info.stack } });
  runningTask = undefined;
  for (const streamId of receivers.keys()) send({ type: 'receiverError', streamId, message });
  if (!retired) send({ type: 'retire', reason: message });
  retired = true;
}
process.on('unhandledRejection', unhandled);
process.on('uncaughtException', unhandled);

function startReceiver(msg: Extract<MainToThread, { type: 'startReceiver' }>): void {
  const streamId = msg.streamId;
  const sink: SupervisorSink = {
    block: (blockId, bytes, count, firstPosition) => send({ type: 'receiverBlock', streamId, blockId, data: bytes, count, ...(firstPosition === undefined ? {} : { firstPosition }) }),
    error: (message) => send({ type: 'receiverError', streamId, message }),
    started: () => send({ type: 'receiverStarted', streamId }),
    stopped: (reason) => send({ type: 'receiverStopped', streamId, reason }),
  };
  try {
    if (loadError !== undefined || !evalInScope) throw loadError ?? new Error('the job bundle did not load');
    const receiver = reviveReceiver(decode<ShippedReceiver>(msg.receiver), evalInScope);
    const sup = new ReceiverSupervisorImpl(receiver, msg.blockPrefix, msg.blockIntervalMs, msg.maxBufferedRecords, sink);
    receivers.set(streamId, sup);
    sup.start();
  } catch (err) {
    sink.error(`receiver could not start: ${userErrorInfo(err).message}`);
    sink.stopped('failed to start');
  }
}

port.on('message', (msg: MainToThread) => {
  switch (msg.type) {
    case 'startReceiver':
      startReceiver(msg);
      return;
    case 'receiverBlockStored':
      receivers.get(msg.streamId)?.onStored(msg.blockId, msg.error);
      return;
    case 'stopReceiver': {
      const sup = receivers.get(msg.streamId);
      receivers.delete(msg.streamId);
      if (sup) sup.stop('stopped by the driver');
      else send({ type: 'receiverStopped', streamId: msg.streamId, reason: 'not running' });
      return;
    }
    case 'run':
      if (retired) return; // The sandbox gives this task to a fresh thread.
      runningTask = msg.taskId;
      void run(msg.taskId, msg.partition, msg.payload).then((outcome) => {
        if (runningTask !== msg.taskId) return; // Already failed by an unhandled error.
        runningTask = undefined;
        send({ type: 'done', taskId: msg.taskId, outcome });
      });
      return;
    case 'fetched':
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
send({ type: 'ready' });
