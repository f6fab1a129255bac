import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL_OPTIONS, channelCredentials, loadProto, secretMetadata, type wire } from '@sluice/core/internal';
import type { JobStateName } from '@sluice/driver';
import { bundleJob } from '../src/bundle-job.js';
import { LocalCluster, type LocalClusterOptions } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import type { JobOutcome } from '../src/submit-client.js';

/** packages/cli (tests run from packages/cli/dist/test). */
export const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_BIN = path.join(CLI_DIR, 'bin', 'sluice.js');
export const REPO_DIR = path.resolve(CLI_DIR, '..', '..');

/** Source path of a fixture job (fixtures stay .ts: the CLI bundles them). */
export function fixture(name: string): string {
  return path.join(CLI_DIR, 'test', 'fixtures', name);
}

export interface ClusterHandle {
  readonly cluster: LocalCluster;
  run(file: string, args?: readonly string[]): Promise<JobRun>;
}

export interface JobRun extends JobOutcome {
  /** How the job ended (ok: it succeeded, or was stopped and ended without failing). */
  readonly state: JobStateName;
  readonly lines: string[];
}

/** Scratch directories (`<tmp>/sluice-<workerId>-*`) of a worker that exist now. */
export function scratchDirsOf(workerId: string): string[] {
  return fs
    .readdirSync(os.tmpdir())
    .filter((n) => n.startsWith(`sluice-${workerId}-`))
    .map((n) => path.join(os.tmpdir(), n));
}

/**
 * Start a driver (in this process) and `workers` worker processes; always stopped after
 * `fn`. Then no worker that ever joined may have left a scratch directory behind (not
 * even one killed with -9): that fails a test that passed otherwise.
 */
export async function withCluster<T>(opts: Partial<LocalClusterOptions> & { workers?: number }, fn: (h: ClusterHandle) => Promise<T>): Promise<T> {
  const log = createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false });
  const cluster = new LocalCluster({ workers: 2, coresPerWorker: 1, logLevel: process.env.SLUICE_TEST_LOG ?? 'warn', log, ...opts });
  const joined = new Set<string>();
  cluster.driver.registry.addListener({ workerAdded: (w) => joined.add(w.id), workerLost: () => undefined });
  let passed = false;
  await cluster.start();
  try {
    const out = await fn({
      cluster,
      async run(file, args = []) {
        const bundle = await bundleJob(file);
        const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
        const lines: string[] = [];
        job.on('output', (l) => lines.push(l));
        return new Promise<JobRun>((resolve) => job.once('end', (state, error) => resolve({ jobId: job.id, state, ok: state === 'succeeded' || state === 'stopped', failure: error, lines })));
      },
    });
    passed = true;
    return out;
  } finally {
    await cluster.stop();
    const left = [...joined].flatMap(scratchDirsOf);
    for (const d of left) fs.rmSync(d, { recursive: true, force: true });
    // Only when `fn` passed: otherwise its own failure is the one to report.
    if (passed && left.length > 0) throw new Error(`workers left scratch directories behind: ${left.join(', ')}`);
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Run the `sluice` CLI as a user would, with a hard timeout so a hang fails the test. */
export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; cliBin?: string; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [opts.cliBin ?? CLI_BIN, ...args], { env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? REPO_DIR, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** GET `p` of job `jobId`'s REST API (/api/v1/applications/JOB/p on the driver's web port): its JSON, once the answer is a 200. */
export function appRest(cluster: LocalCluster, jobId: string): <T>(p: string) => Promise<T> {
  const app = `http://127.0.0.1:${cluster.driver.webPort}/api/v1/applications/${jobId}`;
  return async <T>(p: string): Promise<T> => {
    const r = await fetch(`${app}/${p}`);
    const body = await r.text();
    assert.equal(r.status, 200, `GET ${p}: ${r.status} ${body}`);
    return JSON.parse(body) as T;
  };
}

/**
 * A Spark-suite fixture's run ended well: the job succeeded, its last line is `DONE` (every
 * case ran) and no case printed an `E ` line (a case that threw).
 */
export function assertCasesDone(r: JobRun): void {
  assert.ok(r.ok, String(r.failure));
  assert.equal(r.lines.at(-1), 'DONE', r.lines.slice(-40).join('\n'));
  assert.deepEqual(r.lines.filter((l) => l.startsWith('E ')), [], 'no case threw');
}

/** The JSON value a fixture printed on a line starting with `prefix`. */
export function jsonLine<T>(lines: readonly string[], prefix: string): T {
  const l = lines.find((x) => x.startsWith(prefix));
  if (l === undefined) throw new Error(`no line starting with '${prefix}' in:\n${lines.join('\n')}`);
  return JSON.parse(l.slice(prefix.length)) as T;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` is there (signal 0). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `p`, or a rejection after `ms`: no wait in these tests is unbounded. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/**
 * Ends `job` if it still runs (cancelled, then waited for up to 30 s): a check that failed
 * mid-run must not leave its job sharing the cluster with the file's next test, nor writing
 * into a directory about to be removed (that failed with ENOTEMPTY, hiding the check's error).
 */
export async function cancelIfRunning(cluster: LocalCluster, job: RunningJob | undefined): Promise<void> {
  if (job === undefined || job.ended) return;
  cluster.driver.jobs.get(job.id)?.cancel();
  await within(job.done, 30_000, 'the cancelled job to end').catch(() => undefined);
}

/**
 * Call `probe` every `everyMs` until it returns a value other than undefined, and resolve
 * with it; reject after `ms` (or with what `probe` throws). Every poll in these tests goes
 * through here, not a `while (...) await sleep()` raced by within(): within() rejects at its
 * deadline but leaves such a loop polling, and that keeps the file's process (and its
 * cluster) alive after the test failed, until the runner kills it. This loop stops at its
 * deadline. For a boolean: `pollUntil(() => cond() || undefined, ...)`.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export { freePort } from '@sluice/test-disk/free-port';

/** A seeded PRNG in [0, 1), so generated inputs are the same on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 1-based line of `file` that contains `text`. */
export function lineOf(file: string, text: string): number {
  const n = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
  if (n === 0) throw new Error(`'${text}' not found in ${file}`);
  return n;
}

/**
 * A call site short form as Spark names jobs, stages and RDDs, `<operation> at <file>:<line>:<column>`:
 * the file the fixture `file`, the line the one holding `text` (read from the fixture), any column.
 */
export function siteAt(operation: string, file: string, text: string): RegExp {
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${operation} at ${escaped}:${lineOf(file, text)}:\\d+$`);
}

/** Every JSON value printed on a line starting with `prefix`. */
export function jsonLines<T>(lines: readonly string[], prefix: string): T[] {
  return lines.filter((l) => l.startsWith(prefix)).map((l) => JSON.parse(l.slice(prefix.length)) as T);
}

/** Sleep until `offsetMs` after the next multiple of `intervalMs` of the epoch: batches fall on those multiples. */
export async function untilPhase(intervalMs: number, offsetMs: number): Promise<void> {
  const now = Date.now();
  let target = now - (now % intervalMs) + offsetMs;
  if (target <= now + 5) target += intervalMs;
  await sleep(target - now);
}

export interface RunningJob {
  readonly id: string;
  readonly lines: string[];
  readonly ended: boolean;
  readonly done: Promise<JobRun>;
  /** Resolves with the first line starting with `prefix` that `pred` accepts (rejects if the job ends first or after `ms`). */
  waitLine(prefix: string, ms: number, pred?: (line: string) => boolean): Promise<string>;
}

/** Submit a fixture job and watch its output while it runs (`ClusterHandle.run` only returns at the end). */
export async function startJob(cluster: LocalCluster, file: string, args: readonly string[]): Promise<RunningJob> {
  const bundle = await bundleJob(file);
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
  const lines: string[] = [];
  job.on('output', (l) => lines.push(l));
  let ended = false;
  const done = new Promise<JobRun>((resolve) =>
    job.once('end', (state, error) => {
      ended = true;
      resolve({ jobId: job.id, state, ok: state === 'succeeded' || state === 'stopped', failure: error, lines });
    }),
  );
  const waitLine = async (prefix: string, ms: number, pred: (line: string) => boolean = () => true): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const l = lines.find((x) => x.startsWith(prefix) && pred(x));
      if (l !== undefined) return l;
      if (ended) throw new Error(`the job ended before printing '${prefix}':\n${lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`no line '${prefix}' within ${ms} ms:\n${lines.join('\n')}`);
      await sleep(10);
    }
  };
  return {
    id: job.id,
    lines,
    get ended() {
      return ended;
    },
    done,
    waitLine,
  };
}

/**
 * Which of `ids` the worker at `address` stores, asked block by block over its Worker
 * service (GetBlock reads the block store as is: no map-output bookkeeping in between).
 * Returns each held id with its segments.
 */
export async function blocksOn(address: string, secret: string, ids: readonly string[]): Promise<Map<string, Buffer[]>> {
  const client = new (loadProto().sluice.v1.Worker)(address, channelCredentials({ secret }), CHANNEL_OPTIONS);
  const held = new Map<string, Buffer[]>();
  try {
    for (const id of ids) {
      await new Promise<void>((resolve, reject) => {
        const segments: Buffer[] = [];
        let parts: Buffer[] = [];
        let missing = false;
        // 60 s: a 50 MB block read back from a worker took over 10 s at load 44 (failed the test on main).
        const call = client.GetBlock({ block_id: id }, secretMetadata(secret), { deadline: Date.now() + 60_000 });
        call.on('data', (c: wire.BlockChunk__Output) => {
          if (c.missing) missing = true;
          if (c.end_of_block || c.missing) return;
          parts.push(c.data);
          if (c.last) {
            segments.push(Buffer.concat(parts));
            parts = [];
          }
        });
        call.on('error', reject);
        call.on('end', () => {
          if (!missing) held.set(id, segments);
          resolve();
        });
      });
    }
  } finally {
    client.close();
  }
  return held;
}

/** Drop blocks from the worker at `address` by id prefix (its RemoveBlocks RPC); resolves with how many it removed. */
export function removeBlocksOn(address: string, secret: string, prefixes: readonly string[]): Promise<number> {
  const client = new (loadProto().sluice.v1.Worker)(address, channelCredentials({ secret }), CHANNEL_OPTIONS);
  return new Promise<number>((resolve, reject) => {
    client.RemoveBlocks({ block_ids: [], prefixes: [...prefixes] }, secretMetadata(secret), { deadline: Date.now() + 10_000 }, (err: Error | null, res?: { removed: number }) => (err ? reject(err) : resolve(res?.removed ?? 0)));
  }).finally(() => client.close());
}
