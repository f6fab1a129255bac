// Runs a fixture job on a LocalCluster (driver in this process, worker processes on
// loopback), as the CLI tests' harness does, and lets a test watch its output: the connector
// packages' tests share it (`@sluice/test-servers/job-runner`), each with its own fixtures:
//
//   export const fixture = fixturesOf(new URL('../../', import.meta.url)); // the package's dir
//   const cluster = await startCluster(2);
//   const job = await startJob(cluster, fixture('count-job.ts'), [...args]);
//   await job.waitLine('COUNT ', 60_000);
//
// and a fixture run by `sluice run` in a driver process of its own (runDriverProcess), killed
// with its workers (kill9WithWorkers), its event logs read as it appends (completeJsonLines).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster, bundleJob, createRootLogger } from '@sluice/cli';

/**
 * `fixture(name)`: the path of `<package>/test/fixtures/<name>`, given the package's
 * directory (tests run from `<package>/dist/test`, so `new URL('../../', import.meta.url)`).
 */
export function fixturesOf(packageDir: URL): (name: string) => string {
  const dir = fileURLToPath(packageDir);
  return (name) => path.join(dir, 'test', 'fixtures', name);
}

export async function startCluster(workers: number): Promise<LocalCluster> {
  const log = createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false });
  const cluster = new LocalCluster({ workers, coresPerWorker: 1, logLevel: process.env.SLUICE_TEST_LOG ?? 'warn', log });
  await cluster.start();
  return cluster;
}

/**
 * A cluster whose worker processes a test kills: `workers` workers started one by one (each
 * process mapped to the id it registered with), the driver's heartbeat at 500 ms so a killed
 * worker is noticed soon. The kill tests start 3: once the receiver's dies, two are left, so
 * stored blocks still get a second copy. `driverOptions`: driver options beside the heartbeat (the pause
 * tests set a short `workerTimeoutMs`, so a frozen worker is declared lost in seconds).
 */
export async function startKillableCluster(workers: number, driverOptions: ConstructorParameters<typeof LocalCluster>[0]['driver'] = {}): Promise<{ cluster: LocalCluster; procs: Map<string, ChildProcess> }> {
  const log = createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false });
  const cluster = new LocalCluster({ workers: 0, coresPerWorker: 1, logLevel: process.env.SLUICE_TEST_LOG ?? 'error', log, driver: { heartbeatIntervalMs: 500, ...driverOptions } });
  await cluster.start();
  const procs = new Map<string, ChildProcess>();
  const driver = cluster.driver;
  try {
    for (let i = 0; i < workers; i++) {
      const known = new Set(driver.registry.all().map((w) => w.id));
      const child = cluster.addWorker();
      await cluster.waitForWorkers(known.size + 1, 30_000);
      procs.set(driver.registry.all().find((x) => !known.has(x.id))!.id, child);
    }
  } catch (err) {
    // the caller gets no cluster to stop: stop it here, or its driver and workers keep the test file's process alive
    await cluster.stop();
    throw err;
  }
  return { cluster, procs };
}

export interface JobEnd {
  readonly ok: boolean;
  /** `CODE: message` of the job's failure. */
  readonly failure: string | undefined;
  readonly lines: string[];
}

export interface RunningJob {
  readonly lines: string[];
  readonly done: Promise<JobEnd>;
  /** The job's end; after `ms` with no new output line (or 3 x `ms` in all) the job is cancelled and this rejects with its output and what the driver knew of it. */
  finished(ms: number): Promise<JobEnd>;
  waitLine(prefix: string, ms: number, pred?: (line: string) => boolean): Promise<string>;
  cancel(): void;
  /** The job's last receiver error as `sluice jobs` shows it. */
  lastReceiverError(): string | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bundles made in this test process, by job file: each is bundled once, however many jobs run it. */
const bundles = new Map<string, ReturnType<typeof bundleJob>>();

export async function startJob(cluster: LocalCluster, file: string, args: readonly string[]): Promise<RunningJob> {
  if (!bundles.has(file)) bundles.set(file, bundleJob(file));
  const bundle = await bundles.get(file)!;
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args });
  const lines: string[] = [];
  job.on('output', (l: string) => lines.push(l));
  let ended = false;
  const done = new Promise<JobEnd>((resolve) =>
    job.once('end', (state, error) => {
      ended = true;
      resolve({ ok: state === 'succeeded', failure: error ? `${error.code}: ${error.message}` : undefined, lines });
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
  // A bound on a job that goes on printing its batches' lines is a bound on silence: at load 35
  // (CI beside other work) a stream's few batches can take past a minute and still be moving.
  // Never sooner than before (`ms` of silence; a job printing nothing until its end is bound
  // by `ms` as it was), and never past 3 x `ms` in all.
  const finished = async (ms: number): Promise<JobEnd> => {
    const start = Date.now();
    let count = lines.length;
    let lastLineAt = start;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      const check = (): void => {
        const now = Date.now();
        if (lines.length !== count) {
          count = lines.length;
          lastLineAt = now;
        }
        const why = now - lastLineAt >= ms ? `no output line for ${ms} ms` : now - start >= 3 * ms ? `output still coming after ${3 * ms} ms` : undefined;
        if (why === undefined) {
          timer = setTimeout(check, Math.min(1000, ms - (now - lastLineAt), 3 * ms - (now - start)));
          return;
        }
        const seen = jobSnapshot(cluster, job);
        job.cancel();
        reject(new Error(`the job did not end (${why}; ${seen}):\n${lines.slice(-30).join('\n')}`));
      };
      timer = setTimeout(check, Math.min(1000, ms));
    });
    try {
      return await Promise.race([done, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { lines, done, waitLine, finished, cancel: () => job.cancel(), lastReceiverError: () => job.lastReceiverError?.text };
}

/**
 * What the driver knew of a job that did not end in time, for the failure's message: its
 * state, its last completed batch, the tasks it had running (where and for how long) and each
 * worker's last heartbeat. A job stuck on a task shows it; one with none running was stuck in
 * its program or its batch generation.
 */
function jobSnapshot(cluster: LocalCluster, job: ReturnType<LocalCluster['driver']['submit']>): string {
  const now = Date.now();
  const last = job.lastBatch;
  const tasks = cluster.driver.dag.runningTasks(job.runId);
  const running = tasks.slice(0, 8).map((t) => `stage ${t.stageId} p${t.partition} on ${t.workerId} ${t.runningMs} ms`);
  const workers = cluster.driver.registry.all().map((w) => `${w.id} heartbeat ${now - w.lastHeartbeat} ms ago`);
  return [
    `state ${job.state}, ${job.batchesCompleted} batches completed`,
    last ? `the last batch ${last.batchTime} ended ${now - last.processingEndTime} ms ago` : 'no batch completed',
    `${tasks.length} tasks running${running.length > 0 ? `: ${running.join(', ')}` : ''}`,
    `workers: ${workers.join(', ')}`,
  ].join('; ');
}

/**
 * Call `probe` every `everyMs` until it returns a value other than undefined, and resolve
 * with it; reject after `ms` (or with what `probe` throws). A wait in a test polls here, not
 * in a `while (...) await sleep()` of its own: such a loop has no end when what it waits for
 * never comes, and keeps the file's process (and its cluster) alive after the test failed.
 * For a boolean: `pollUntil(() => cond() || undefined, ...)`.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number, what: string, everyMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function jsonLines<T>(lines: readonly string[], prefix: string): T[] {
  return lines.filter((l) => l.startsWith(prefix)).map((l) => JSON.parse(l.slice(prefix.length)) as T);
}

export { freePort } from '@sluice/test-disk/free-port';
export { mulberry32 } from './prng.js';

/** `sluice run` of a fixture: a driver process of its own (its workers exit with it). */
export interface DriverProcess {
  /** The job's output lines (stdout). */
  readonly lines: string[];
  /** Everything the process wrote to stderr (its logs). */
  readonly stderr: () => string;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGKILL the driver (`sluice run`'s process: its workers exit with it); resolves once it exited. */
  kill9(): Promise<void>;
  /** The `sluice run` process's id (its workers are its children). */
  readonly pid: number;
}

/**
 * `run`'s exit code (null when killed by a signal), or 'running' if it has not exited within
 * `ms`. The timer is cleared once it exits: one left running would keep the test file's process
 * alive to its end (found: 50-90 s of postgres-bad-row-run, kafka-unreachable-run and the sink
 * driver-kill files, idle after their last test).
 */
export async function exitWithin(run: Pick<DriverProcess, 'exited'>, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([run.exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The worker processes of a `sluice run` (its children), by pid; none once it exited. */
export function workerPids(run: Pick<DriverProcess, 'pid'>): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(run.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when it finds none
  }
}

/** Whether process `pid` still runs (signal 0 reaches it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** kill -9 of `sluice run` (kill9); resolves once its worker processes (`workers`, by default its children now) exited by themselves too. */
export async function kill9WithWorkers(run: DriverProcess, workers: readonly number[] = workerPids(run)): Promise<void> {
  await run.kill9();
  await pollUntil(() => workers.every((p) => !processAlive(p)) || undefined, 30_000, `the killed run's workers (${workers.join(' ')}) to exit`);
}

/**
 * The JSON lines of a file a running job appends to (a fixture's event log), parsed; complete
 * lines only: polled while the driver appends, an append can be seen cut short (where it
 * crosses a page), and a part of a line would not parse. None while the file does not exist.
 */
export function completeJsonLines<T>(file: string): T[] {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

const CLI_BIN = fileURLToPath(new URL('../../../cli/bin/sluice.js', import.meta.url));

/** `sluice run` processes this test process started that have not exited. */
const runningDrivers = new Set<ChildProcess>();
let driversHooked = false;

/**
 * Kills every `sluice run` still running when this test process exits or is told to end
 * (SIGTERM, SIGINT, SIGHUP; then the signal's default). On Node 20 a file's --test-timeout
 * bounds the file as a whole and the runner ends it with SIGTERM, which runs no after() hook:
 * a file whose tests failed slowly (flume-run-kill under the mutant
 * restored-batch-blocks-reallocated: 228 s of 90 s waits) left its `sluice run` (standard
 * input ignored, so nothing tells it its test is gone) and that run's workers running for good.
 * Killed, a run's workers stop with it (--exit-with-parent).
 */
function hookDriverCleanup(): void {
  if (driversHooked) return;
  driversHooked = true;
  const killAll = (): void => {
    for (const c of runningDrivers) {
      try {
        process.kill(c.pid!, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  };
  process.once('exit', killAll);
  const handlers: Partial<Record<NodeJS.Signals, () => void>> = {};
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    // Once, then the signal's default (the process ends as it would have).
    const onSignal = (): void => {
      killAll();
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.removeListener(s, handlers[s]!);
      process.kill(process.pid, sig);
    };
    handlers[sig] = onSignal;
    process.on(sig, onSignal);
  }
}

/**
 * Runs a fixture job with `sluice run` (an embedded local cluster: the driver in that process,
 * `workers` worker processes of 1 core) so that a test can kill the driver with SIGKILL and
 * start the job again, as a driver that dies and comes back. Stop it by its PID (kill9), or let
 * the job end.
 */
export function runDriverProcess(file: string, args: readonly string[], workers = 2): DriverProcess {
  const child = spawn(process.execPath, [CLI_BIN, 'run', '--workers', String(workers), '--log-level', process.env.SLUICE_TEST_LOG ?? 'warn', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  runningDrivers.add(child);
  child.once('exit', () => runningDrivers.delete(child));
  hookDriverCleanup();
  const lines: string[] = [];
  let rest = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    lines,
    stderr: () => err,
    exited,
    pid: child.pid!,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
  };
}
