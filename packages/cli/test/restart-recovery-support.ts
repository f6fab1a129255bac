// What the driver-restart recovery tests (and bench/recovery.js's idea of the same run)
// share: the restart-stateful fixture's directories and arguments, a feeder of its input
// directory, its outputs read back, and the check of those outputs against a failure-free
// computation done from the test's own input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixture, freePort, mulberry32, runCli } from './harness.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

export const RESTART_JOB = fixture('restart-stateful.ts');

export interface JobDirs {
  readonly ckpt: string;
  readonly input: string;
  readonly staging: string;
  readonly out: string;
  readonly control: string;
}

export function jobDirs(root: string): JobDirs {
  const d = { ckpt: path.join(root, 'ckpt'), input: path.join(root, 'in'), staging: path.join(root, 'staging'), out: path.join(root, 'out'), control: path.join(root, 'control') };
  for (const x of [d.input, d.staging, d.out, d.control]) fs.mkdirSync(x, { recursive: true });
  return d;
}

export function jobArgs(d: JobDirs, batchMs: number): string[] {
  return [d.ckpt, d.input, d.out, d.control, String(batchMs)];
}

/**
 * Writes input files as a user should (written elsewhere, dated in the past so the stream
 * takes them at its next listing, then renamed into the directory). Every line
 * `key value id` is unique, so a record read twice or never is seen.
 */
export class Feeder {
  readonly lines: string[] = [];
  private n = 0;

  constructor(
    private readonly d: JobDirs,
    private readonly rand: () => number,
  ) {}

  file(numLines = 5): void {
    const id = this.n++;
    const lines: string[] = [];
    for (let i = 0; i < numLines; i++) lines.push(`k${Math.floor(this.rand() * 6)} ${1 + Math.floor(this.rand() * 9)} f${id}l${i}`);
    const tmp = path.join(this.d.staging, `f${String(id).padStart(5, '0')}.txt`);
    fs.writeFileSync(tmp, lines.join('\n') + '\n');
    // Settled (older than a batch interval), and inside the remember window (60 s).
    const past = new Date(Date.now() - 5_000);
    fs.utimesSync(tmp, past, past);
    fs.renameSync(tmp, path.join(this.d.input, path.basename(tmp)));
    this.lines.push(...lines);
  }

  /** Feed a file every `everyMs` until the returned function is called. */
  every(everyMs: number): () => void {
    const t = setInterval(() => this.file(), everyMs);
    return () => clearInterval(t);
  }
}

export type Pairs = [string, number][];

export interface Outputs {
  readonly input: Map<number, string[]>;
  readonly state: Map<number, Pairs>;
}

export function readOutputs(out: string): Outputs {
  const o: Outputs = { input: new Map(), state: new Map() };
  for (const n of fs.readdirSync(out)) {
    const m = /^(input|state)-(\d+)\.json$/.exec(n);
    if (m) (o[m[1] as keyof Outputs] as Map<number, unknown>).set(Number(m[2]), JSON.parse(fs.readFileSync(path.join(out, n), 'utf8')));
  }
  return o;
}

/** Input lines the batches took so far, over all batches. */
export function linesTaken(out: string): number {
  let n = 0;
  for (const v of readOutputs(out).input.values()) n += v.length;
  return n;
}

/** The first-batch records the program's runs wrote (one per run of the program). */
export function firstBatches(out: string): { batchTime: number; programStart: number; completedAt: number }[] {
  return fs
    .readdirSync(out)
    .filter((n) => /^first-\d+\.json$/.test(n))
    .map((n) => JSON.parse(fs.readFileSync(path.join(out, n), 'utf8')) as { batchTime: number; programStart: number; completedAt: number })
    .sort((a, b) => a.programStart - b.programStart);
}

/**
 * The outputs against a failure-free run over the same input, computed here: every fed
 * line was taken by exactly one batch, and every batch's running sums equal the sums of
 * the fed values of its own and every earlier batch's lines. Returns how many records
 * (input lines and state entries) were compared.
 */
export function checkAgainstFailureFree(out: Outputs, fed: readonly string[]): number {
  const times = [...out.input.keys()].sort((a, b) => a - b);
  assert.deepEqual([...out.state.keys()].sort((a, b) => a - b), times, 'every batch wrote both its input and its state');
  const taken = times.flatMap((t) => out.input.get(t)!);
  const seen = new Set<string>();
  const dup = taken.filter((l) => seen.has(l) || !seen.add(l));
  assert.deepEqual(dup, [], 'no input line was taken by two batches (or twice by one)');
  const missing = fed.filter((l) => !seen.has(l));
  assert.deepEqual(missing, [], 'every fed line was taken by a batch');
  assert.equal(taken.length, fed.length);
  const acc = new Map<string, number>();
  let compared = taken.length;
  for (const t of times) {
    for (const l of out.input.get(t)!) {
      const [k, v] = l.split(' ');
      acc.set(k, (acc.get(k) ?? 0) + Number(v));
    }
    const want = [...acc].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    assert.deepEqual(out.state.get(t), want, `the state after batch ${t}`);
    compared += want.length;
  }
  return compared;
}

/** `sluice driver` on `port` with its `--state-dir` and a 500 ms heartbeat (and `extra` options). */
export function startStateDirDriver(secret: string, port: number, stateDir: string, extra: readonly string[] = []): Promise<SluiceProcess> {
  return spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '500', '--state-dir', stateDir, ...extra], secret, /driver listening/);
}

/** SIGKILL `p` and wait for its exit. */
export async function kill9(p: SluiceProcess): Promise<void> {
  const c = p.child;
  const gone = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGKILL');
  await gone;
}

/** A --state-dir driver (procs[0]) and two workers running the restart job, fed all along. */
export interface FedRestartJob {
  readonly d: JobDirs;
  readonly stateDir: string;
  readonly secret: string;
  readonly port: number;
  /** The driver's address. */
  readonly addr: string;
  /** The submitted job's id. */
  readonly id: string;
  readonly feeder: Feeder;
}

/**
 * Under `root`: a --state-dir driver and two workers (pushed onto `procs` as they start, the
 * driver first, so the caller's `finally` stops them whatever fails), the restart job
 * submitted detached with batches of `batchMs`, fed a file every 120 ms from its first batch
 * on (files already there when the stream starts are not new) until `stop` is called, and
 * resolved once its batches took 60 lines.
 */
export async function startFedRestartJob(root: string, batchMs: number, seed: number, procs: SluiceProcess[], onFeeding: (stop: () => void) => void): Promise<FedRestartJob> {
  const d = jobDirs(root);
  const stateDir = path.join(root, 'state');
  const secret = randomSecret();
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  procs.push(await startStateDirDriver(secret, port, stateDir));
  procs.push(await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret));
  const sub = await runCli(['submit', RESTART_JOB, '--driver', addr, '--detach', '--', ...jobArgs(d, batchMs)], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
  assert.equal(sub.code, 0, sub.stderr);
  const id = /submitted \S+ as (job-\S+)/.exec(sub.stderr)?.[1];
  assert.ok(id, sub.stderr);
  await pollUntil(() => (firstBatches(d.out).length > 0 ? true : undefined), 40_000, 'the first batch');
  const feeder = new Feeder(d, mulberry32(seed));
  onFeeding(feeder.every(120));
  await pollUntil(() => (linesTaken(d.out) >= 60 ? true : undefined), 40_000, 'batches over 60 input lines');
  return { d, stateDir, secret, port, addr, id, feeder };
}
