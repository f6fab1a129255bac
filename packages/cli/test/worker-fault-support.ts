// What the worker-fault test files share (stream-worker-pause.test, stream-worker-kill.test):
// their cluster (a driver in the test's process, worker processes over loopback, a short worker
// timeout), a record of what the driver's DAG scheduler reports, and a run of
// fixtures/stream-stateful.ts checked batch by batch against stateful-outputs.ts.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode, type TaskPayload } from '@sluice/core/internal';
import { pino } from 'pino';
import { addWorkers } from './cluster-workers.js';
import { batchesWhere } from './batch-progress.js';
import { cancelIfRunning, fixture, jsonLine, sleep, startJob, withCluster, type ClusterHandle, type JobRun, type RunningJob } from './harness.js';
import { checkCounts, type ReplayableSource } from './replayable-source.js';
import { assertStateCheckpoints, assertStatefulOutputs, expectedStatefulOutputs } from './stateful-outputs.js';

export const WORKER_TIMEOUT_MS = 3000;
export const BATCH_MS = 500;

type Listener = Parameters<ClusterHandle['cluster']['driver']['dag']['addListener']>[0];
export type TaskEndEvent = Parameters<NonNullable<Listener['onTaskEnd']>>[0];
export type StageSubmittedEvent = Parameters<NonNullable<Listener['onStageSubmitted']>>[0];

export const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.slice(-40).join('\n')}`;

/** Each key's sum as fixtures/shuffle-freeze.ts computes it (keys i % 97 of 0 .. n - 1), by arithmetic. */
export function shuffleFreezeSums(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < 97 && k < n; k++) {
    const count = Math.floor((n - 1 - k) / 97) + 1; // k, k + 97, ..., the last under n
    out.push([k, count * k + (97 * count * (count - 1)) / 2]);
  }
  return out;
}

/** What the driver's DAG scheduler reported: each stage's kind, and every task end. */
export interface Observed {
  readonly stageKind: Map<number, StageSubmittedEvent['kind']>;
  readonly taskEnds: (TaskEndEvent & { readonly at: number })[];
  /** Called on each task end, after it is noted (tests arm a fault here). */
  onTaskEnd: (e: TaskEndEvent) => void;
  /** Called on each stage submitted (the action's kind known from its job start: 'collect', 'writeCheckpoint', ...). */
  onStage: (e: StageSubmittedEvent, actionKind: string) => void;
}

export function observe(h: ClusterHandle): Observed {
  const jobNames = new Map<string, string>();
  const o: Observed = { stageKind: new Map(), taskEnds: [], onTaskEnd: () => undefined, onStage: () => undefined };
  h.cluster.driver.dag.addListener({
    onJobStart: (e) => jobNames.set(`${e.runId}/${e.jobId}`, e.action),
    onStageSubmitted: (e) => {
      o.stageKind.set(e.stageId, e.kind);
      o.onStage(e, jobNames.get(`${e.runId}/${e.jobId}`) ?? '');
    },
    onTaskEnd: (e) => {
      o.taskEnds.push({ ...e, at: Date.now() });
      o.onTaskEnd(e);
    },
  });
  return o;
}

export function reasons(es: readonly TaskEndEvent[]): Record<string, number> {
  const r: Record<string, number> = {};
  for (const e of es) r[`${e.workerId.slice(-6)}:${e.reason}`] = (r[`${e.workerId.slice(-6)}:${e.reason}`] ?? 0) + 1;
  return r;
}

export function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sluice-test-${name}-`));
}

/** The last warnings and errors the driver of each fault cluster logged (at most DRIVER_LOG_LINES), for a failure's message. */
const driverLogs = new WeakMap<object, string[]>();
const DRIVER_LOG_LINES = 200;

/**
 * Where the driver stood when a job stopped making progress: its workers (and their last
 * heartbeat), the job's stage attempts running and its longest-running tasks, and the driver's
 * last warnings: a stall seen once in CI (network-partition-stream) said only how many batches
 * had completed.
 */
export function driverState(h: ClusterHandle, job: RunningJob): string {
  const d = h.cluster.driver;
  const now = Date.now();
  const runId = d.jobs.get(job.id)?.runId;
  const workers = d.registry.all().map((w) => `${w.id} ${w.address} free ${w.freeSlots}/${w.cores} queued ${w.queuedTasks} heartbeat ${now - w.lastHeartbeat} ms ago${w.unresponsiveSince === undefined ? '' : ' unresponsive'}${w.decommissioning ? ' decommissioning' : ''}`);
  const stages = runId === undefined ? [] : d.dag.stageProgress(runId).map((s) => JSON.stringify(s));
  const tasks = runId === undefined ? [] : d.dag.runningTasks(runId).slice(0, 10).map((t) => JSON.stringify(t));
  return [`workers:`, ...workers, `stage attempts running (run ${runId ?? 'none'}):`, ...stages, `longest-running tasks:`, ...tasks, `the driver's last warnings:`, ...(driverLogs.get(h.cluster) ?? [])].join('\n');
}

/** The driver's warnings and errors so far (its last DRIVER_LOG_LINES), as JSON lines; none when SLUICE_TEST_LOG prints them instead. */
export function driverWarnings(h: ClusterHandle): readonly string[] {
  return driverLogs.get(h.cluster) ?? [];
}

/** Run the fixture for `batches` batches (each with input), `during` injecting the fault; returns its run once it ended. */
export async function runStateful(h: ClusterHandle, batches: number, during: (job: Awaited<ReturnType<typeof startJob>>) => Promise<void>, describe: () => string = () => ''): Promise<JobRun> {
  const dir = tmpDir('worker-faults');
  let job: RunningJob | undefined;
  let passed = false;
  try {
    job = await startJob(h.cluster, fixture('stream-stateful.ts'), [path.join(dir, 'ckpt'), String(BATCH_MS), String(batches), String(batches), '10']);
    await during(job);
    const running = job;
    const run = await whileProgressing(job, 'STATE ', 60_000, `the stateful job (${batches} batches)`, () => `${driverState(h, running)}\n${describe()}`);
    assert.equal(run.ok, true, show(run));
    assertStateCheckpoints(run, path.join(dir, 'ckpt'));
    assertStatefulOutputs(run, expectedStatefulOutputs(batches, batches), 'the stateful stream');
    passed = true;
    return run;
  } finally {
    await cancelIfRunning(h.cluster, job);
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch (err) {
      if (passed) throw err;
    }
  }
}

/**
 * Resolves with `job`'s run once it ended, as long as it goes on printing lines starting with
 * `prefix` (a batch's output): rejects once none came for `stallMs`, naming how far it got. A
 * loaded machine makes a stream slow, not stuck (the straggler's 60 batches outlasted a fixed
 * 120 s at load 40); a job that stopped completing batches fails as before.
 */
export async function whileProgressing(job: RunningJob, prefix: string, stallMs: number, what: string, describe: () => string = () => ''): Promise<JobRun> {
  const count = (): number => job.lines.filter((l) => l.startsWith(prefix)).length;
  let seen = count();
  let since = Date.now();
  while (!job.ended) {
    const now = count();
    if (now > seen) [seen, since] = [now, Date.now()];
    if (Date.now() - since > stallMs) throw new Error(`${what}: no '${prefix}' line for ${stallMs} ms (${seen} so far, the last: ${job.lines.filter((l) => l.startsWith(prefix)).at(-1)?.slice(0, 200)})\n${describe()}`);
    await sleep(50);
  }
  return job.done;
}

/**
 * A cluster of 3 (or `workers`) one-core workers (ids mapped to their processes in `procs`) whose driver
 * declares a worker lost after WORKER_TIMEOUT_MS (or `workerTimeoutMs`) of silence. The workers' bound on a silent
 * peer is Spark's network timeout (120 s, or `peerConnectTimeout`, `sluice worker
 * --peer-connect-timeout`): a task that waited it out on a frozen worker would outlast the freeze. Speculation is on (`--speculation`; Spark's default is off): the
 * fault files were written, and their results measured, with copies of slow tasks racing the
 * originals.
 */
export function withFaultCluster<T>(fn: (h: ClusterHandle, procs: Map<string, ChildProcess>) => Promise<T>, workers = 3, workerTimeoutMs = WORKER_TIMEOUT_MS, peerConnectTimeout = '120s'): Promise<T> {
  // The driver's warnings are kept (not printed) for driverState, unless SLUICE_TEST_LOG asks for a level.
  const lines: string[] = [];
  const keep = { write: (s: string) => lines.push(s.trimEnd()) > DRIVER_LOG_LINES && lines.shift() };
  const log = process.env.SLUICE_TEST_LOG === undefined ? { log: pino({ level: 'warn', base: null, timestamp: pino.stdTimeFunctions.isoTime }, keep) } : {};
  // Reduce-side locality off (spark.shuffle.reduceLocality.enabled false): these tests fault the
  // worker a reduce task fetches from, so a reduce task must read from another worker. With it
  // on, map outputs that all landed on one worker (a busy machine, a worker just woken) send
  // every reduce task there, reading only its own outputs, and the fault never comes.
  return withCluster({ workers: 0, logLevel: 'error', workerArgs: ['--peer-connect-timeout', peerConnectTimeout], driver: { workerTimeoutMs, heartbeatIntervalMs: 500, tasks: { speculation: true, reduceLocality: false } }, ...log }, async (h) => {
    driverLogs.set(h.cluster, lines);
    const procs = new Map<string, ChildProcess>();
    await addWorkers(h, workers, procs);
    return fn(h, procs);
  });
}


/** Resolves once `workerId` is in `joined` (membership's) at or after `since`: a woken worker registered again; fails after `withinMs`. */
export async function registeredAgain(joined: readonly { id: string; at: number }[], workerId: string, since: number, withinMs = 30_000): Promise<void> {
  while (!joined.some((j) => j.id === workerId && j.at >= since)) {
    assert.ok(Date.now() - since < withinMs, `the woken worker did not register again within ${withinMs / 1000} s`);
    await sleep(50);
  }
}

/** When each worker joined and was lost, as the driver's registry told (from now on). */
export function membership(h: ClusterHandle): { readonly joined: { id: string; at: number }[]; readonly lost: { id: string; at: number }[] } {
  const m = { joined: [] as { id: string; at: number }[], lost: [] as { id: string; at: number }[] };
  h.cluster.driver.registry.addListener({ workerAdded: (w) => m.joined.push({ id: w.id, at: Date.now() }), workerLost: (w) => m.lost.push({ id: w.id, at: Date.now() }) });
  return m;
}

/**
 * Stop `source` and wait until the receiver acknowledged every line (everything generated is
 * durable once acknowledged) and a batch cut after that, of `batchMs`, took the rest.
 */
export async function stopAndDrain(job: RunningJob, source: ReplayableSource, batchMs: number): Promise<void> {
  source.stop();
  const deadline = Date.now() + 30_000;
  while (source.acked < source.lines.length) {
    assert.ok(Date.now() < deadline, `the receiver acknowledged every line (${source.acked} of ${source.lines.length})`);
    await sleep(20);
  }
  const allAckedAt = Date.now();
  await batchesWhere(job, 'a batch cut after every line was acknowledged', (bs) => bs.some((b) => b.time >= allAckedAt + batchMs));
}

/**
 * End a run of fixtures/stream-reliable-receiver.ts over `source`: stop the source, wait until
 * the receiver acknowledged every line and a batch cut after that completed, stop the job
 * (its stop file) and check that every line was counted exactly once. Returns the run.
 */
export async function stopAndCheckCounts(job: RunningJob, source: ReplayableSource, stopFile: string): Promise<JobRun> {
  await stopAndDrain(job, source, BATCH_MS);
  fs.writeFileSync(stopFile, '');
  // A graceful stop runs the batches queued first: waited for while batches go on completing
  // (recovery.test's fixed 60 s was outrun so at load 44, its job 95 s behind).
  const result = await whileProgressing(job, 'BATCH ', 60_000, 'the job to stop');
  assert.equal(result.ok, true, show(result));
  checkCounts(new Map(jsonLine<[string, number][]>(result.lines, 'FINAL ')), source);
  return result;
}

/**
 * faultOnFetch's arming: set while armed, called at each task launch with the workers holding
 * the map outputs the task reads. An endpoint is watched with the arming it was first seen
 * with: give every call with the same `wrapped` the same arming.
 */
export interface FetchArming {
  arm?: (holders: string[], launchedOn: string) => void;
}

/**
 * Arms a fault: the next task launched on a worker whose stage reads a map output held by
 * another worker that `pick` accepts calls `act` on that other worker first, so the task
 * fetches from a worker that cannot answer (frozen, cut off). Every registered worker's
 * launches are watched (one that registers again has a new endpoint: call again; `wrapped`
 * remembers the endpoints watched). Resolves with the worker acted on, and when.
 */
export function faultOnFetch(h: ClusterHandle, pick: (workerId: string) => boolean, wrapped: WeakSet<object>, state: FetchArming, act: (workerId: string) => void): Promise<{ victimId: string; at: number }> {
  for (const w of h.cluster.driver.registry.all()) {
    if (wrapped.has(w.endpoint)) continue;
    wrapped.add(w.endpoint);
    const launch = w.endpoint.launchTask.bind(w.endpoint);
    w.endpoint.launchTask = (desc) => {
      if (state.arm !== undefined) {
        const payload = decode<TaskPayload>(desc.stage.payload);
        state.arm(Object.values(payload.mapOutputs).flatMap((locs) => locs.map((l) => l.workerId)), w.id);
      }
      return launch(desc);
    };
  }
  return new Promise((resolve) => {
    state.arm = (holders, launchedOn) => {
      const victimId = holders.find((id) => id !== launchedOn && pick(id));
      if (victimId === undefined) return;
      state.arm = undefined;
      act(victimId);
      resolve({ victimId, at: Date.now() });
    };
  });
}
