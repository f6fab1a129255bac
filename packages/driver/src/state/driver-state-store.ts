import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DiskFullError, SluiceError, isDiskFull, isNotWritable, makeDirectorySync, notWritableFix, processAlive, type ExecutorEnv } from '@sluice/core/internal';

/** One submitted job as the driver keeps it in its state dir, to relaunch it after a restart. */
export interface PersistedJob {
  /** The user-visible id; a relaunch keeps it. */
  readonly id: string;
  readonly name: string;
  /** sha256 of the bundle, whose code and source map are under `bundles/` in the state dir. */
  readonly bundleSha: string;
  readonly args: readonly string[];
  readonly taskTimeoutMs?: number;
  /** Default number of partitions the program saw at its first launch. */
  readonly parallelism: number;
  /** Whether that number was spark.default.parallelism (the driver's --conf), not the cluster's cores. */
  readonly parallelismSet?: boolean;
  /** Submitted with --supervise: a failing program is restarted. */
  readonly supervise: boolean;
  /** Restarts a failure may still cause (--max-restarts, minus those used). */
  readonly restartsLeft: number;
  /** Number of the attempt running (or last run); a relaunch runs the next one. */
  readonly attempt: number;
  /** The job's checkpoint directory, once its program set one. */
  readonly checkpointDir?: string;
  /** The directory the job was submitted from: its relative paths resolve against it. */
  readonly workingDir?: string;
  /** Its executor environment (spark.executorEnv.*), given again to a relaunch's tasks. */
  readonly executorEnv?: ExecutorEnv;
  /**
   * `stopping`: a stop was asked for, so a restarted driver does not relaunch it, unless the
   * stop was graceful (`stop`): then it relaunches it to finish the stop (the batches of what
   * its receivers stored run from its checkpoint, then it stops).
   */
  readonly state: 'running' | 'stopping';
  /** Set with `stopping` when the stop asked for was graceful (`sluice stop --graceful`). */
  readonly stop?: 'graceful';
}

interface StateFile {
  readonly version: 1;
  /** The number the driver gives its next job id (ids stay unique across restarts). */
  readonly nextJobNumber: number;
  /**
   * The first number the driver that wrote the file gave (its jobs are numbered from it), so
   * that the next driver tells of that driver's jobs alone, not again of those an earlier
   * restart told of. Absent in files written before: 1.
   */
  readonly firstJobNumber?: number;
  readonly jobs: readonly PersistedJob[];
}

const STATE_FILE = 'jobs.json';
const LOCK_FILE = 'driver.pid';
/** How often a registry that could not be written (a full disk) is tried again. */
const RETRY_WRITE_MS = 1000;

/**
 * The registry of a driver's streaming (and batch) jobs in `sluice driver --state-dir DIR`,
 * so a driver started again on the same directory relaunches every job that was running
 * and not stopped. Layout:
 *
 * DIR (when the driver makes it), bundles/ and every file are its user's only (0700, 0600):
 * jobs.json holds each job's arguments and spark.executorEnv values, the bundles its code.
 *
 *   DIR/jobs.json                   the registry (written to a temp file, fsynced, renamed)
 *   DIR/bundles/<sha256>.mjs(.map)  each registered job's bundle and source map
 *   DIR/driver.pid                  the pid of the driver using DIR (refuses a second one)
 *
 * A job is added when submitted, updated when its attempt or state changes, and removed
 * (its bundle too, once no job uses it) when it ends. Invariant: jobs.json always holds a
 * whole registry: a driver killed at any moment leaves the previous or the new one.
 * A submission whose bundle or registration cannot be written is refused (add throws). An
 * update or removal that cannot be written (a full disk) never throws into the job's events:
 * it is logged once with what to do, and the whole registry is written again every
 * RETRY_WRITE_MS until it is (a stopped job must not stay registered, or the next driver on
 * this directory relaunches it). A failed write leaves no temporary file.
 * Threading: driver main thread; every write is synchronous.
 */
export class DriverStateStore {
  readonly dir: string;
  private readonly jobs = new Map<string, PersistedJob>();
  private nextJobNumber = 1;
  /**
   * Set when DIR held a registry at start (an earlier driver used it: this one was restarted
   * on it): the number the earlier driver would have given its next job, so every job numbered
   * below it was submitted before this driver started.
   */
  private earlierNext: number | undefined;
  /** The first number the earlier driver gave (its own jobs: from it to earlierNext - 1). */
  private earlierFirst = 1;
  private readonly log: Logger;
  /** The error of the last registry write that failed (undefined: what is on disk is current). */
  private unsaved: SluiceError | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  /** Opens (creating it if needed) and locks `dir`; throws a SluiceError naming the directory and the fix if it cannot be used. */
  constructor(dir: string, log: Logger) {
    this.dir = path.resolve(dir);
    this.log = log.child({ component: 'driver-state', stateDir: this.dir });
    const bad = (why: string, cause?: unknown): SluiceError =>
      new SluiceError('SLUICE_BAD_ARGUMENT', `--state-dir '${dir}' cannot be used: ${why}; give a writable directory (it is created if missing) that only this driver uses`, { cause });
    try {
      // Owner-only (0700), as the files in it (writeAtomic): what it holds may carry a credential.
      makeDirectorySync(path.join(this.dir, 'bundles'), 0o700);
      // A bundles directory of an earlier Sluice, made with the umask's mode: this driver's own.
      if ((fs.statSync(path.join(this.dir, 'bundles')).mode & 0o077) !== 0) fs.chmodSync(path.join(this.dir, 'bundles'), 0o700);
    } catch (err) {
      throw bad((err as Error).message, err);
    }
    const probe = path.join(this.dir, `.probe-${process.pid}`);
    try {
      fs.writeFileSync(probe, 'x');
      fs.rmSync(probe);
    } catch (err) {
      fs.rmSync(probe, { force: true });
      if (isDiskFull(err)) throw stateDiskFull(this.dir, 'the driver state', err);
      throw bad(`it is not writable (${(err as Error).message})`, err);
    }
    this.lock(bad);
    this.load();
  }

  /**
   * A driver whose pid is in driver.pid and alive uses the directory; the file of a dead one
   * (killed with -9) is taken over. The file holds the pid and, where /proc exists, the
   * process's start time: a container started again on the same volume has new pids, so a
   * live process that merely got the old driver's pid (a health check, the init) is not
   * taken for that driver.
   */
  private lock(bad: (why: string) => SluiceError): void {
    const file = path.join(this.dir, LOCK_FILE);
    let pid = NaN;
    let started: string | undefined;
    try {
      const [p, s] = fs.readFileSync(file, 'utf8').trim().split(/\s+/);
      pid = Number(p);
      started = s;
    } catch {
      // no lock file
    }
    // Our own pid in it: a previous life of this container (pid 1 again), not another driver.
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      const now = processStartTime(pid);
      if (started === undefined || now === undefined || now === started) throw bad(`the driver with pid ${pid} uses it (${file})`);
      this.log.info({ pid, lockFile: file }, 'the pid in the lock file now belongs to another process (a restarted container); taking the state dir over');
    }
    const own = processStartTime(process.pid);
    try {
      writeAtomic(file, own === undefined ? `${process.pid}\n` : `${process.pid} ${own}\n`);
    } catch (err) {
      if (isDiskFull(err)) throw stateDiskFull(file, 'the driver lock file', err);
      throw bad(`its lock file cannot be written (${(err as Error).message})`);
    }
  }

  private load(): void {
    const file = path.join(this.dir, STATE_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new SluiceError('SLUICE_IO', `cannot read the driver state ${file}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: StateFile;
    try {
      parsed = JSON.parse(text) as StateFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.jobs) || !Number.isInteger(parsed.nextJobNumber)) throw new Error('not a version 1 driver state');
    } catch (err) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `the driver state ${file} is not valid (${(err as Error).message}); it was not written by this version of sluice. Move it away to start with no jobs to relaunch`,
        { cause: err },
      );
    }
    this.nextJobNumber = parsed.nextJobNumber;
    this.earlierNext = parsed.nextJobNumber;
    this.earlierFirst = Number.isInteger(parsed.firstJobNumber) ? parsed.firstJobNumber! : 1;
    for (const j of parsed.jobs) this.jobs.set(j.id, j);
    // This driver's first number on disk at once: a driver started after it, this one having
    // given no number, tells of this one's jobs (none), not again of the earlier one's.
    if (this.earlierFirst !== this.nextJobNumber) this.write();
  }

  /**
   * When an earlier driver used DIR: the job numbers given before this driver started (1 to
   * `below` - 1), of which the last driver's own from `from`; undefined for a new DIR.
   */
  get earlierJobNumbers(): { readonly below: number; readonly from: number } | undefined {
    return this.earlierNext === undefined ? undefined : { below: this.earlierNext, from: this.earlierFirst };
  }

  /** Jobs to relaunch: every registered job not being stopped. */
  get registered(): readonly PersistedJob[] {
    return [...this.jobs.values()];
  }

  /** Whether a driver started again on DIR would relaunch job `id` (registered, and not being stopped but gracefully: JobLauncher.relaunchAll). */
  relaunches(id: string): boolean {
    const j = this.jobs.get(id);
    return j !== undefined && (j.state === 'running' || j.stop === 'graceful');
  }

  /** The number the next job gets. */
  get nextNumber(): number {
    return this.nextJobNumber;
  }

  /** Take the next job number (persisted with the next write). */
  takeJobNumber(): number {
    return this.nextJobNumber++;
  }

  /**
   * Write the number taken by a job that is not registered (a sluice shell's), so a driver
   * started again on DIR knows it was given (missing-job.ts) and gives it to no other job.
   */
  numberTaken(): void {
    this.write();
  }

  /** Keep a bundle (if not kept already) and register `job` with it. */
  add(job: PersistedJob, code: Uint8Array, sourceMap: string): void {
    const file = this.bundleFile(job.bundleSha);
    try {
      if (!fs.existsSync(file)) {
        writeAtomic(file + '.map', sourceMap);
        writeAtomic(file, code);
      }
      this.jobs.set(job.id, job);
      this.writeNow();
    } catch (err) {
      // Not registered, not started: the submission fails with the reason.
      this.jobs.delete(job.id);
      if (isDiskFull(err) && !(err instanceof SluiceError)) err = stateDiskFull(file, `the bundle of job ${job.id}`, err);
      if (![...this.jobs.values()].some((o) => o.bundleSha === job.bundleSha)) {
        fs.rmSync(file, { force: true });
        fs.rmSync(file + '.map', { force: true });
      }
      throw err;
    }
  }

  update(id: string, change: Partial<Omit<PersistedJob, 'id' | 'bundleSha'>>): void {
    const j = this.jobs.get(id);
    if (!j) return;
    this.jobs.set(id, { ...j, ...change });
    this.write();
  }

  /** Forget a job that ended; its bundle goes once no registered job uses it. */
  remove(id: string): void {
    const j = this.jobs.get(id);
    if (!j) return;
    this.jobs.delete(id);
    this.write();
    if (![...this.jobs.values()].some((o) => o.bundleSha === j.bundleSha)) {
      fs.rmSync(this.bundleFile(j.bundleSha), { force: true });
      fs.rmSync(this.bundleFile(j.bundleSha) + '.map', { force: true });
    }
  }

  /** A registered job's bundle code and source map, or an error naming the missing file. */
  readBundle(sha: string): { code: Buffer; sourceMap: string } {
    const file = this.bundleFile(sha);
    try {
      return { code: fs.readFileSync(file), sourceMap: fs.existsSync(file + '.map') ? fs.readFileSync(file + '.map', 'utf8') : '' };
    } catch (err) {
      throw new SluiceError('SLUICE_IO', `the bundle ${file} of a registered job cannot be read: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Let go of the directory (a stopped driver); the registry stays for the next driver. */
  close(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    if (this.unsaved) {
      // a last try; a driver stopping keeps no timer
      try {
        this.writeNow();
      } catch (err) {
        this.log.error({ err, code: (err as SluiceError).code }, 'driver state not written at stop: the next driver on this directory sees the registry as it was before');
      }
    }
    const file = path.join(this.dir, LOCK_FILE);
    try {
      if (Number(fs.readFileSync(file, 'utf8').trim()) === process.pid) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }

  private bundleFile(sha: string): string {
    return path.join(this.dir, 'bundles', `${sha}.mjs`);
  }

  /** Writes the registry, or throws a SluiceError naming the file (SLUICE_DISK_FULL on a full disk). */
  private writeNow(): void {
    const state: StateFile = { version: 1, nextJobNumber: this.nextJobNumber, firstJobNumber: this.earlierNext ?? 1, jobs: [...this.jobs.values()] };
    const file = path.join(this.dir, STATE_FILE);
    try {
      writeAtomic(file, JSON.stringify(state, null, 2) + '\n');
    } catch (err) {
      if (isDiskFull(err)) throw stateDiskFull(file, 'the driver state (its registry of jobs)', err);
      const fix = isNotWritable(err) ? `: ${notWritableFix(path.dirname((err as NodeJS.ErrnoException).path ?? file), err, 'start the driver with --state-dir elsewhere')}` : '';
      throw new SluiceError('SLUICE_IO', `cannot write the driver state ${file}: ${(err as Error).message}; a driver started again on --state-dir '${this.dir}' would see the registry as it was before${fix}`, { cause: err });
    }
    this.log.debug({ jobs: state.jobs.length }, 'driver state written');
    if (this.unsaved) this.log.info({ file, jobs: state.jobs.length }, 'driver state written again');
    this.unsaved = undefined;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Writes the registry; one that cannot be written is logged (once) and tried again every RETRY_WRITE_MS. */
  private write(): void {
    try {
      this.writeNow();
    } catch (err) {
      if (!this.unsaved) this.log.error({ err, code: (err as SluiceError).code, retryMs: RETRY_WRITE_MS }, 'cannot write the driver state; trying again until it is written');
      this.unsaved = err as SluiceError;
      this.retryTimer ??= setInterval(() => this.write(), RETRY_WRITE_MS).unref();
    }
  }
}

function stateDiskFull(file: string, what: string, cause: unknown): DiskFullError {
  return new DiskFullError({ path: file, what, where: `driver ${process.pid}`, fix: 'start the driver with --state-dir on a disk with space', cause });
}

/** Write `file` whole or not at all, readable by this user only: a temp file, fsynced, renamed over it, and the directory fsynced. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // Owner-only (0600), as Spark keeps its event logs from other users: the registry holds
    // the jobs' arguments and the bundles their code, either of which may carry a credential.
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } catch (err) {
      // The write's error is the one to act on: a close that fails too (on NFS it reports the
      // same full disk or quota again, or EIO) must not replace it.
      try {
        fs.closeSync(fd);
      } catch {
        // the descriptor is released all the same
      }
      throw err;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (err) {
    // A full disk leaves no half-written temporary file. The write's own error is what the user
    // acts on: a temporary file that cannot be removed either (the directory made read-only
    // between its write and its rename) is left.
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // left behind
    }
    throw err;
  }
  const dfd = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

/** The start time of a process in clock ticks since boot (/proc/PID/stat field 22), where /proc exists. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
