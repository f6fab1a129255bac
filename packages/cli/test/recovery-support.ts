// What the recovery tests share: a driver process on a given port (started again after
// kill -9), submitting the recovery fixture, feeding its input directory, reading its
// outputs, and the failure-free computation the outputs are checked against.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { completeLines } from './complete-lines.js';
import { fixture, freePort, pollUntil, runCli, type CliResult } from './harness.js';
import { spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

export const RECOVERY_JOB = fixture('recovery-job.ts');

/** `sluice driver` on `port` (the same port again after a kill). */
export function driverOn(port: number, secret: string): Promise<SluiceProcess> {
  return spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info'], secret, /driver listening/);
}

/** What driverAndWorkers started: the driver, its address, and the workers by pid. */
export interface FaultCluster {
  readonly port: number;
  readonly address: string;
  readonly driver: SluiceProcess;
  readonly workers: Map<number, SluiceProcess>;
  /** Starts one more worker process (pushed to `procs`, added to `workers`). */
  readonly addWorker: () => Promise<void>;
}

/** `sluice driver` on a free loopback port and `count` worker processes, each pushed to `procs` (the test stops them). */
export async function driverAndWorkers(secret: string, procs: SluiceProcess[], count: number): Promise<FaultCluster> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const driver = await driverOn(port, secret);
  procs.push(driver);
  const workers = new Map<number, SluiceProcess>();
  const addWorker = async (): Promise<void> => {
    const w = await startWorkerProcess(address, secret);
    procs.push(w);
    workers.set(w.child.pid!, w);
  };
  for (let i = 0; i < count; i++) await addWorker();
  return { port, address, driver, workers, addWorker };
}

/** Resolves once `n` workers joined the driver (its log says so). */
export async function workersJoined(driver: SluiceProcess, n: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (driver.logLines.filter((l) => l.includes('"worker joined"')).length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} workers joined within ${ms} ms:\n${driver.logLines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The pending batch times a metadata checkpoint's JSON lists: runs of the batch interval
 * (`pendingRuns`, [first, count]), or one by one (`pendingTimes`, version 1).
 */
export function pendingBatchTimes(md: { pendingTimes?: number[]; pendingRuns?: [number, number][]; batchIntervalMs: number }): number[] {
  if (md.pendingTimes) return md.pendingTimes;
  return (md.pendingRuns ?? []).flatMap(([first, n]) => Array.from({ length: n }, (_, i) => first + i * md.batchIntervalMs));
}

/**
 * The newest complete metadata checkpoint in `dir` (`checkpoint-<seq>`: a header line, then JSON;
 * one being written is a temporary file beside them, renamed once whole), read here by hand;
 * undefined while `dir` holds none.
 */
export function newestMetadata<T>(dir: string): T | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^checkpoint-\d+$/.test(f)).sort() : [];
  if (files.length === 0) return undefined;
  const text = fs.readFileSync(path.join(dir, files[files.length - 1]!), 'utf8');
  return JSON.parse(text.slice(text.indexOf('\n') + 1)) as T;
}

export interface JobDirs {
  readonly ckpt: string;
  readonly input: string;
  readonly out: string;
  readonly control: string;
}

export function jobDirs(root: string): JobDirs {
  const d = { ckpt: path.join(root, 'ckpt'), input: path.join(root, 'in'), out: path.join(root, 'out'), control: path.join(root, 'control') };
  for (const x of [d.input, d.out, d.control]) fs.mkdirSync(x, { recursive: true });
  return d;
}

export function jobArgs(d: JobDirs, batchMs: number, checkpointEvery: number, variant = 'base'): string[] {
  return [d.ckpt, d.input, d.out, d.control, String(batchMs), String(checkpointEvery), variant];
}

/** `sluice submit --detach`; returns the job id it printed. */
export async function submitDetached(driver: string, secret: string, args: readonly string[]): Promise<string> {
  const r = await runCli(['submit', RECOVERY_JOB, '--driver', driver, '--detach', '--', ...args], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`submit failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return id;
}

/** `sluice submit` attached: waits for the job to end. */
export function submitAttached(driver: string, secret: string, args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  return runCli(['submit', RECOVERY_JOB, '--driver', driver, '--', ...args], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, timeoutMs });
}

/**
 * Writes input files as a user should: written elsewhere, dated in the past (so the
 * stream takes them at the first listing), then moved into the directory. Every line
 * `key value id` is unique, so a record read twice or never is seen.
 */
export class Feeder {
  readonly lines: string[] = [];
  private n = 0;
  private readonly staging: string;

  /**
   * `loneKeyEvery`: every that many files, one more line whose key no other line has (`u<file>`,
   * a value of 1-9): it is never removed (not a multiple of 25) and so times out in
   * mapWithState two batches later, whatever the batches hold (with only k0-k5, a timeout
   * needs a key absent from two batches in a row, which batches of many files, as under
   * load, may never give).
   * `ageMs`: how long before now each file is dated (5 s: settled, taken at the first
   * listing); 0 leaves the time it was written, as Spark's MasterFailureTest writes them.
   */
  constructor(
    private readonly dir: string,
    private readonly rand: () => number,
    private readonly loneKeyEvery = 0,
    private readonly ageMs = 5_000,
  ) {
    this.staging = path.join(path.dirname(dir), 'staging');
    fs.mkdirSync(this.staging, { recursive: true });
  }

  file(numLines = 5): void {
    const id = this.n++;
    const lines: string[] = [];
    for (let i = 0; i < numLines; i++) lines.push(`k${Math.floor(this.rand() * 6)} ${1 + Math.floor(this.rand() * 9)} f${id}l${i}`);
    if (this.loneKeyEvery > 0 && id % this.loneKeyEvery === 0) lines.push(`u${id} ${1 + (id % 9)} f${id}l${numLines}`);
    const tmp = path.join(this.staging, `f${String(id).padStart(5, '0')}.txt`);
    fs.writeFileSync(tmp, lines.join('\n') + '\n');
    // Settled (older than a batch interval), and inside the remember window (60 s).
    if (this.ageMs > 0) {
      const past = new Date(Date.now() - this.ageMs);
      fs.utimesSync(tmp, past, past);
    }
    fs.renameSync(tmp, path.join(this.dir, path.basename(tmp)));
    this.lines.push(...lines);
  }
}

export type Pairs = [string, number][];

export interface Outputs {
  readonly input: Map<number, string[]>;
  readonly state: Map<number, Pairs>;
  readonly window: Map<number, Pairs>;
  /** mapWithState's mapped records (sorted) and state snapshots (the variants without 'light'). */
  readonly mapped: Map<number, string[]>;
  readonly snapshot: Map<number, Pairs>;
}

/**
 * Waits for job `job`'s done file in `out` (written once its driver program stopped), for as
 * long as its batches go on writing to `out`: fails once nothing was written there for 60 s.
 * A graceful stop runs the batches already queued first, and under load a recovered job runs
 * far behind its clock (95 s at load 44 in recovery.test, where a fixed 60 s was outrun).
 */
export async function untilJobDone(out: string, job: string, what = 'the job to stop', maxMs = 600_000): Promise<void> {
  const done = path.join(out, `done-${job}.json`);
  const events = path.join(out, 'events.log');
  const written = (): number => fs.readdirSync(out).length + (fs.existsSync(events) ? fs.statSync(events).size : 0);
  let [last, since] = [written(), Date.now()];
  await pollUntil(
    () => {
      if (fs.existsSync(done)) return true;
      const n = written();
      if (n !== last) [last, since] = [n, Date.now()];
      if (Date.now() - since > 60_000) throw new Error(`${what}: it wrote no batch output for 60 s (${out})`);
      return undefined;
    },
    maxMs,
    what,
  );
}

export function readOutputs(out: string): Outputs {
  const o: Outputs = { input: new Map(), state: new Map(), window: new Map(), mapped: new Map(), snapshot: new Map() };
  for (const n of fs.readdirSync(out)) {
    const m = /^(input|state|window|mapped|snapshot)-(\d+)\.json$/.exec(n);
    if (m) (o[m[1] as keyof Outputs] as Map<number, unknown>).set(Number(m[2]), JSON.parse(fs.readFileSync(path.join(out, n), 'utf8')));
  }
  return o;
}

export interface OutputEvent {
  readonly job: string;
  readonly kind: string;
  readonly time: number;
  readonly hash: string;
}

export function readEvents(out: string): OutputEvent[] {
  // Complete lines only: the job may be appending (a line seen cut short is left for the next read).
  return completeLines(path.join(out, 'events.log')).map((l) => JSON.parse(l) as OutputEvent);
}

function sumByKey(lines: readonly string[], into = new Map<string, number>()): Map<string, number> {
  for (const l of lines) {
    const [k, v] = l.split(' ');
    into.set(k, (into.get(k) ?? 0) + Number(v));
  }
  return into;
}

function sortedPairs(m: Map<string, number>): Pairs {
  return [...m].filter(([, v]) => v !== 0).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The running sums after each batch: a failure-free updateStateByKey over the batches' input. */
export function expectedStates(input: Map<number, string[]>): Map<number, Pairs> {
  const acc = new Map<string, number>();
  const out = new Map<number, Pairs>();
  for (const t of [...input.keys()].sort((a, b) => a - b)) out.set(t, sortedPairs(sumByKey(input.get(t)!, acc)));
  return out;
}

/**
 * What the fixture's mapWithState gives at each batch, failure-free: per key, the running
 * sum of its batch sums (`k:sum`), removed when a multiple of 25 (`R:k`), timed out when
 * idle longer than `timeoutMs` (`T:k:sum`, then gone), as Spark's MapWithStateRDD only at a
 * batch whose state is checkpointed (every `checkpointEvery` batches, counted from the zero
 * time, a batch before the first: `input` must hold every batch from the first); and the
 * states after the batch.
 */
export function expectedMapWithState(input: Map<number, string[]>, timeoutMs: number, batchMs: number, checkpointEvery: number): { mapped: Map<number, string[]>; snapshot: Map<number, Pairs> } {
  const state = new Map<string, { s: number; at: number }>();
  const mapped = new Map<number, string[]>();
  const snapshot = new Map<number, Pairs>();
  const zeroTime = Math.min(...input.keys()) - batchMs;
  for (const t of [...input.keys()].sort((a, b) => a - b)) {
    const scan = ((t - zeroTime) / batchMs) % checkpointEvery === 0;
    const out: string[] = [];
    const sums = sumByKey(input.get(t)!);
    for (const [k, v] of sums) {
      const s = (state.get(k)?.s ?? 0) + v;
      if (s % 25 === 0) {
        state.delete(k);
        out.push(`R:${k}`);
      } else {
        state.set(k, { s, at: t });
        out.push(`${k}:${s}`);
      }
    }
    for (const [k, e] of [...state]) {
      if (!sums.has(k) && t - e.at > timeoutMs && scan) {
        out.push(`T:${k}:${e.s}`);
        state.delete(k);
      }
    }
    mapped.set(t, out.sort());
    snapshot.set(t, sortedPairs(new Map([...state].map(([k, e]) => [k, e.s]))));
  }
  return { mapped, snapshot };
}

/** Sums per key over the last `windowBatches` batches' input at each batch, zero keys dropped. */
export function expectedWindows(input: Map<number, string[]>, batchMs: number, windowBatches: number): Map<number, Pairs> {
  const out = new Map<number, Pairs>();
  for (const t of input.keys()) {
    const m = new Map<string, number>();
    for (let i = 0; i < windowBatches; i++) sumByKey(input.get(t - i * batchMs) ?? [], m);
    out.set(t, sortedPairs(m));
  }
  return out;
}

/**
 * The end of a recovered run of the recovery fixture (variant 'base', a 3-batch window, a
 * mapWithState timeout of one batch) against a failure-free computation from its own input:
 * no batch time missing between the first and the last, every line of `fed` read by exactly
 * one batch, every state, window and mapWithState output exact, and every saved directory
 * whole, holding its batch's lines upper-cased, once (`checkpointEvery`: the job's state
 * checkpoint interval in batches, where mapWithState times keys out). Returns the batch times.
 */
export function assertRecoveredExactly(out: string, fed: readonly string[], batchMs: number, checkpointEvery: number): number[] {
  const o = readOutputs(out);
  const times = [...o.input.keys()].sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], batchMs, `no batch time missing after ${times[i - 1]}`);
  const read = times.flatMap((t) => o.input.get(t)!);
  assert.equal(read.length, new Set(read).size, 'no line read by two batches');
  assert.deepEqual([...read].sort(), [...fed].sort(), 'every fed line read');
  const states = expectedStates(o.input);
  const windows = expectedWindows(o.input, batchMs, 3);
  const mws = expectedMapWithState(o.input, batchMs, batchMs, checkpointEvery);
  for (const t of times) {
    assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
    assert.deepEqual(o.window.get(t), windows.get(t), `window at ${t}`);
    assert.deepEqual(o.mapped.get(t), mws.mapped.get(t), `mapWithState's output at ${t}`);
    assert.deepEqual(o.snapshot.get(t), mws.snapshot.get(t), `mapWithState's state at ${t}`);
  }
  const save = path.join(out, 'save');
  assert.deepEqual(fs.readdirSync(save).filter((n) => n.startsWith('.')), [], 'no temporary save directory left');
  for (const t of times) {
    const d = path.join(save, `batch-${t}`);
    assert.ok(fs.existsSync(path.join(d, '_SUCCESS')), `${d} is whole`);
    const lines = fs.readdirSync(d).filter((f) => f.startsWith('part-')).flatMap((f) => fs.readFileSync(path.join(d, f), 'utf8').split('\n').filter(Boolean));
    assert.deepEqual(lines.sort(), o.input.get(t)!.map((l) => l.toUpperCase()).sort(), `${d} holds its batch's lines once`);
  }
  return times;
}
