/**
 * The worker processes of `sluice run`'s local cluster: how one is spawned (LocalCluster
 * and the prestart share it, so both start the very same command), and the prestart —
 * cli-entry spawns them for `sluice run` before it loads the command's code, so they boot
 * while the driver's process is still loading its own.
 *
 * A prestart is only an offer: LocalCluster adopts the prestarted workers when they were
 * started with exactly the options the parsed command asks for (count, cores, log level,
 * worker arguments), and otherwise ends them (they exit when their standard input closes)
 * and starts its own. The prestart understands only the `run` options below; with any
 * other option before the job file, `--help`, or no job file, it starts nothing.
 *
 * This file imports only Node's own modules: cli-entry loads it before anything else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

/**
 * Allocator settings for worker processes (glibc): the same as @sluice/worker's
 * WORKER_MALLOC_ENV, which this file cannot import (a test pins the two equal).
 */
export const LOCAL_WORKER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '1048576',
};

/**
 * The floor under a local worker's old-generation limit, in MB (`--initial-old-space-size`:
 * with it configured, V8 keeps the limit at it or above, in every isolate of the process).
 * A worker's main thread keeps a small heap (~12 MB at 300,000 lines/s) but passes
 * block-sized buffers through it (a received block copied from the receiver thread, the
 * replica's pieces encoded and framed, HTTP/2 frames, a task's 64 KiB pieces), and V8 counts
 * the external memory allocated since the last mark-compact against that limit (~23 MB
 * there): it collected the whole heap for every ~11 MB of buffers, 33 and 39 times in a 12 s
 * run on the two workers' main threads, ~2 s of each (bench/README, received blocks, eighth
 * round). 64 MB is V8's own soft limit on external memory, which then decides instead (8 and
 * 4 in 10 s; 128 MB did no better). The garbage buffers wait longer for their collection; an
 * idle worker's MemoryReleaser still collects after a job. The main thread's only: cli-entry
 * puts the option back at once (heap-floor-option.ts), so the task threads and the code caches
 * see V8's default options.
 */
export const LOCAL_WORKER_OLD_SPACE_FLOOR_MB = 64;

/**
 * V8 options for a local cluster's worker processes: the old-generation floor above, and
 * `--single-threaded-gc` when the cluster's task threads alone fill the machine's cores
 * (workers x cores >= `parallelism`). V8 otherwise helps each collection with threads of its
 * own (parallel scavenges, concurrent marking and sweeping), which on a machine with no core
 * to spare only take turns with the task, receiver and main threads and add their
 * synchronization: measured on the 2-core machine, 2 workers x 1 core at 300,000 lines/s
 * (bench/README, received blocks, seventh round), the workers' CPU a line 5% lower with it in
 * 4 of 4 alternated pairs, 50 ms batches' p99 unchanged. With cores to spare the helpers run
 * beside the work: left as V8 has them.
 */
export function localWorkerGcArgs(workers: number, cores: number, parallelism: number = os.availableParallelism()): string[] {
  const floor = `--initial-old-space-size=${LOCAL_WORKER_OLD_SPACE_FLOOR_MB}`;
  return workers * cores >= parallelism ? [floor, '--single-threaded-gc'] : [floor];
}

/** What a local worker process is started with. */
export interface LocalWorkerSpec {
  readonly cores: number;
  readonly logLevel: string;
  /** Extra `sluice worker` options (e.g. ['--shuffle-spill-records', '100']). */
  readonly workerArgs: readonly string[];
}

/**
 * The environment variable by which a local cluster's worker processes are told that the
 * process starting them found the command's bundle fresh (cli-entry): the manifest's path,
 * size and modification time then; '' when it did not run the bundle; BUNDLE_CHECK_ON_STDIN
 * when they were spawned before the check (the prestart), and its result comes as the first
 * line of their standard input (tellPrestartedBundleCheck), before the driver's address.
 */
export const BUNDLE_CHECKED_ENV = 'SLUICE_BUNDLE_CHECKED';
export const BUNDLE_CHECK_ON_STDIN = '-';
/** Longer than any stamp (a path, two numbers): a first line past it is not one. */
const MAX_CHECK_LINE = 8192;
const BUNDLE_CHECKED = Symbol.for('sluice.bundleChecked');
const WORKER_ENTRY = Symbol.for('sluice.localWorkerEntry');

/**
 * cli-entry: this process found the bundle fresh, with its manifest as `stamp` says (see
 * BUNDLE_CHECKED_ENV), and its local workers start from `entry` (the CommonJS build of
 * cli-entry made with the bundle, or cli-entry itself).
 */
export function setBundleChecked(stamp: string | undefined, entry: string): void {
  (globalThis as Record<symbol, string | undefined>)[BUNDLE_CHECKED] = stamp;
  (globalThis as Record<symbol, string | undefined>)[WORKER_ENTRY] = entry;
}

/** The file a local worker process starts from: what cli-entry chose (setBundleChecked), else `fallback` (cli-entry.js). */
export function localWorkerEntry(fallback: string): string {
  return (globalThis as Record<symbol, string | undefined>)[WORKER_ENTRY] ?? fallback;
}

/**
 * Start one `sluice worker --driver -` (the address comes on its standard input) of a local
 * cluster. `checkOnStdin`: it is told the bundle's check on its standard input first (the
 * prestart, spawned before the check; see BUNDLE_CHECKED_ENV).
 */
export function spawnLocalWorker(cliEntry: string, spec: LocalWorkerSpec, secret: string, opts: { readonly execArgv?: readonly string[]; readonly stderr?: 'inherit' | 'pipe'; readonly mallocEnv?: Readonly<Record<string, string>>; readonly checkOnStdin?: boolean } = {}): ChildProcess {
  const child = spawn(
    process.execPath,
    [...(opts.execArgv ?? []), cliEntry, 'worker', '--driver', '-', '--cores', String(spec.cores), '--log-level', spec.logLevel, '--exit-with-parent', ...spec.workerArgs],
    // stdin is a pipe from this process: when this process dies, however, the pipe closes
    // and the worker stops (--exit-with-parent), so no worker outlives its local cluster.
    {
      env: { ...(opts.mallocEnv ?? LOCAL_WORKER_MALLOC_ENV), ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '', [BUNDLE_CHECKED_ENV]: opts.checkOnStdin ? BUNDLE_CHECK_ON_STDIN : ((globalThis as Record<symbol, string | undefined>)[BUNDLE_CHECKED] ?? '') },
      stdio: ['pipe', 'inherit', opts.stderr ?? 'inherit'],
    },
  );
  // A worker that died has a closed stdin: writing to it then must not throw.
  child.stdin?.on('error', () => undefined);
  return child;
}

/** Worker processes started by cli-entry for `sluice run`, waiting for their driver's address. */
export interface PrestartedWorkers extends LocalWorkerSpec {
  readonly workers: number;
  readonly secret: string;
  readonly children: readonly ChildProcess[];
}

/** What the prestart reads from a `sluice run` command line. */
export interface PrestartPlan extends LocalWorkerSpec {
  readonly workers: number;
}

/** `run` options with a value and without one, as main.ts declares them; the prestart reads four of them. */
const VALUED = new Set(['--workers', '--cores', '--task-timeout', '--shuffle-spill-records', '--web-port', '--log-level']);
const FLAGS = new Set(['--typecheck', '--no-progress', '--stop-gracefully-on-shutdown', '--shuffle-compress', '--no-shuffle-checksum']);
/** At most this many prestarted workers (a typo of --workers 2000 must not fork 2,000 processes before the command is parsed). */
const MAX_PRESTART = 16;

/**
 * The workers `sluice run <args>` will want, read from its arguments (those after `run`),
 * or undefined when the prestart should not guess: an option it does not know, `--help`,
 * a value that is not a plain count, or no job file.
 */
export function prestartPlan(args: readonly string[], env: NodeJS.ProcessEnv = process.env): PrestartPlan | undefined {
  const values = new Map<string, string>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) break;
    if (FLAGS.has(a)) continue;
    if (!VALUED.has(a) || i + 1 >= args.length) return undefined;
    values.set(a, args[++i]!);
  }
  if (i >= args.length) return undefined; // no job file: commander reports it
  const count = (name: string, dflt: number): number | undefined => {
    const v = values.get(name);
    if (v === undefined) return dflt;
    // 0 and what is not a small whole number: no prestart (the command refuses 0, as it does the others).
    return /^[1-9][0-9]{0,3}$/.test(v) ? Number(v) : undefined;
  };
  const workers = count('--workers', 2);
  const cores = count('--cores', 1);
  if (workers === undefined || cores === undefined || workers > MAX_PRESTART) return undefined;
  const spill = values.get('--shuffle-spill-records');
  if (spill !== undefined && !/^[0-9]{1,12}$/.test(spill)) return undefined;
  const logLevel = values.get('--log-level') ?? env.SLUICE_LOG_LEVEL ?? 'warn';
  return { workers, cores, logLevel, workerArgs: runWorkerArgs(spill === undefined ? undefined : Number(spill), args.slice(0, i).includes('--shuffle-compress'), args.slice(0, i).includes('--no-shuffle-checksum')) };
}

/**
 * The `sluice worker` options `sluice run` starts its workers with: they serve its one job,
 * so a spare task thread it takes is not replaced; and its --shuffle-spill-records, --shuffle-compress and --no-shuffle-checksum.
 */
export function runWorkerArgs(shuffleSpillRecords: number | undefined, shuffleCompress = false, noShuffleChecksum = false): string[] {
  return ['--no-replace-spare-threads', ...(shuffleSpillRecords === undefined ? [] : ['--shuffle-spill-records', String(shuffleSpillRecords)]), ...(shuffleCompress ? ['--shuffle-compress'] : []), ...(noShuffleChecksum ? ['--no-shuffle-checksum'] : [])];
}

const PRESTARTED = Symbol.for('sluice.prestartedWorkers');
type Slot = Record<symbol, PrestartedWorkers | undefined>;

/** For `sluice run`: spawn the workers its command line asks for, kept for LocalCluster to adopt. Returns them, or undefined. */
export function prestartLocalWorkers(cliEntry: string, argv: readonly string[]): PrestartedWorkers | undefined {
  if (argv[0] !== 'run' || process.env.SLUICE_NO_PRESTART === '1') return undefined;
  const plan = prestartPlan(argv.slice(1));
  if (!plan) return undefined;
  const secret = crypto.randomBytes(16).toString('hex');
  const children = Array.from({ length: plan.workers }, () => spawnLocalWorker(cliEntry, plan, secret, { checkOnStdin: true, execArgv: localWorkerGcArgs(plan.workers, plan.cores) }));
  const prestarted: PrestartedWorkers = { ...plan, secret, children };
  (globalThis as Slot)[PRESTARTED] = prestarted;
  return prestarted;
}

/**
 * cli-entry, once it has checked the bundle: tells the prestarted workers, which wait for it
 * on their standard input, the manifest's stamp when the bundle was found fresh (else an
 * empty line: they check for themselves); or, `keep` false, ends them before they load
 * anything (they exit at the end of their standard input) and drops them, so the command
 * starts its own.
 */
export function tellPrestartedBundleCheck(stamp: string | undefined, keep: boolean): void {
  const p = (globalThis as Slot)[PRESTARTED];
  if (!p) return;
  if (!keep) {
    (globalThis as Slot)[PRESTARTED] = undefined;
    for (const c of p.children) c.stdin?.end();
    return;
  }
  // (A stamp that would not fit on one line is not sent: they check for themselves.)
  const line = stamp !== undefined && !stamp.includes('\n') && stamp.length < MAX_CHECK_LINE ? stamp : '';
  for (const c of p.children) c.stdin?.write(`${line}\n`);
}

/**
 * cli-entry, first thing: the bundle's check by the process that started this one
 * (BUNDLE_CHECKED_ENV, removed from the environment), read from standard input when it comes
 * there (one line, read a byte at a time, so what follows, the driver's address, stays
 * unread); undefined when there is none or it is empty, null when standard input ended first.
 */
export function parentBundleCheck(): string | undefined | null {
  const env = process.env[BUNDLE_CHECKED_ENV];
  delete process.env[BUNDLE_CHECKED_ENV];
  if (env !== BUNDLE_CHECK_ON_STDIN) return env || undefined;
  const line = readLineSync(0, MAX_CHECK_LINE);
  return line === null ? null : line || undefined;
}

/** One line from `fd`, read synchronously a byte at a time (without its newline); null at the end of the input before a newline. */
function readLineSync(fd: number, max: number): string | null {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, one, 0, 1, null);
    } catch (err) {
      // A non-blocking pipe with nothing in it yet: wait a moment.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if ((err as NodeJS.ErrnoException).code === 'EOF') return null;
      throw err;
    }
    if (n === 0) return null;
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    if (bytes.length >= max) return '';
    bytes.push(one[0]!);
  }
}

/** The prestarted workers, handed out once (LocalCluster adopts or ends them). */
export function takePrestartedWorkers(): PrestartedWorkers | undefined {
  const p = (globalThis as Slot)[PRESTARTED];
  (globalThis as Slot)[PRESTARTED] = undefined;
  return p;
}

/** Whether prestarted workers are what a cluster of `workers` x `spec` would start itself. */
export function prestartMatches(p: PrestartedWorkers, workers: number, spec: LocalWorkerSpec): boolean {
  return p.workers === workers && p.cores === spec.cores && p.logLevel === spec.logLevel && p.workerArgs.length === spec.workerArgs.length && p.workerArgs.every((a, i) => a === spec.workerArgs[i]);
}
