import os from 'node:os';
import { DRIVER_STACKTRACE, causeFromStack } from './util/cause-from-stack.js';

/**
 * Every error Sluice raises is a SluiceError with a stable code from this closed list,
 * an optional cause, and a message that names the thing, the bad value and the fix.
 */
export const ErrorCodes = [
  'SLUICE_JOB_FILE_NOT_FOUND',
  'SLUICE_JOB_COMPILE',
  'SLUICE_JOB_LOAD',
  'SLUICE_JOB_NO_MAIN',
  'SLUICE_JOB_FAILED',
  'SLUICE_JOB_LOST',
  'SLUICE_TASK_FAILED',
  'SLUICE_TASK_NOT_SERIALIZABLE',
  'SLUICE_UNAUTHENTICATED',
  'SLUICE_UNREACHABLE',
  'SLUICE_NO_SECRET',
  'SLUICE_WEAK_SECRET',
  'SLUICE_VERSION_MISMATCH',
  'SLUICE_BAD_ARGUMENT',
  'SLUICE_BAD_RECORD',
  'SLUICE_FETCH_FAILED',
  'SLUICE_WORKER_LOST',
  'SLUICE_NO_WORKERS',
  'SLUICE_CHECKPOINT',
  'SLUICE_IO',
  'SLUICE_DISK_FULL',
  'SLUICE_CORRUPT_DATA',
  'SLUICE_TASK_TIMEOUT',
  'SLUICE_RESULT_TOO_LARGE',
  'SLUICE_CANCELLED',
  'SLUICE_NOT_STARTED',
  'SLUICE_INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export class SluiceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/** A function given to an operator cannot be shipped to workers (Spark's "Task not serializable"). */
export class NotSerializableError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_TASK_NOT_SERIALIZABLE', message, options);
    this.name = 'NotSerializableError';
  }
}

/**
 * User code threw on a worker; message and stack are the user's, stack mapped to their files.
 * Its `cause` is the user's error, rebuilt from that stack (its name, message and frames, and
 * its own causes), as Spark's SparkException has the task's exception as its cause.
 */
export class TaskFailedError extends SluiceError {
  readonly userStack: string;
  /**
   * The driver program's frames where it called the action whose job failed, from its own
   * line on (`    at main (/jobs/job.ts:12:5)`, one a line): Spark's "Driver stacktrace:",
   * which follows the task's error in a failed job's SparkException. Undefined until the
   * action adds it (SluiceContext.runAction), and when no frame was the program's.
   */
  readonly driverStack: string | undefined;

  constructor(message: string, userStack: string, options?: { cause?: unknown; driverStack?: string }) {
    super('SLUICE_TASK_FAILED', message, { cause: options?.cause === undefined ? causeFromStack(userStack) : options.cause });
    this.name = 'TaskFailedError';
    this.userStack = userStack;
    this.driverStack = options?.driverStack;
    this.stack = this.driverStack === undefined ? userStack : `${userStack}\n${DRIVER_STACKTRACE}\n${this.driverStack}`;
  }
}

/** The errno codes of a write that failed for want of space (ENOSPC) or of quota (EDQUOT). */
const DISK_FULL_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);

/** Whether `err`, or an error it was caused by, is a write refused for want of disk space or quota. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SLUICE_DISK_FULL' || (typeof code === 'string' && DISK_FULL_ERRNOS.has(code))) return true;
  }
  return false;
}

/** The errno codes of an open refused for want of file descriptors: the process's limit (EMFILE) or the system's (ENFILE). */
const TOO_MANY_OPEN_FILES_ERRNOS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE']);

/** The errno names as a message carries them when no `code` came with it (a thread's 'Worker initialization failure: EMFILE', gRPC's bind error). */
const TOO_MANY_OPEN_FILES_WORDS = /\bE[MN]FILE\b/;

/**
 * Whether `err`, or an error it was caused by, is a file or socket refused because the process (or the system) has too many open:
 * by its errno `code`, or by the errno named in its message (a string thrown or sent from a thread is read as a message).
 */
export function isTooManyOpenFiles(err: unknown): boolean {
  if (typeof err === 'string') return TOO_MANY_OPEN_FILES_WORDS.test(err);
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TOO_MANY_OPEN_FILES_ERRNOS.has(code)) return true;
    if (TOO_MANY_OPEN_FILES_WORDS.test(e.message)) return true;
  }
  return false;
}

/** The errno codes of a write refused for want of permission (EACCES, EPERM) or on a file system mounted read-only (EROFS). */
const NOT_WRITABLE_ERRNOS: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Whether `err`, or an error it was caused by, is a write refused because the place is not writable by this process. */
export function isNotWritable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_WRITABLE_ERRNOS.has(code)) return true;
  }
  return false;
}

/**
 * Why directory `dir` refused a write (`err`, EACCES, EPERM or EROFS) and what to do, for the end
 * of a message: the user and uid this process runs as (a service run as another user than the
 * one that made the directory, or a directory made read-only under a running job), or a file
 * system mounted read-only.
 */
export function notWritableFix(dir: string, err: unknown, elsewhere = 'point the checkpoint directory elsewhere'): string {
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    user = ''; // a uid with no passwd entry
  }
  const uid = process.getuid?.();
  const who = uid === undefined ? 'this process' : `user ${user || uid} (uid ${uid}), as which this process runs`;
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'EROFS') return `'${dir}' is on a file system mounted read-only: mount it read-write, or ${elsewhere}`;
  }
  return `'${dir}' is not writable by ${who}: make it writable by that user (chown ${user || uid || 'USER'} '${dir}', or chmod u+w), or ${elsewhere}`;
}

/**
 * What to do when `who` (e.g. "this worker process") ran out of file descriptors, for the
 * end of a message: its files, sockets, pipes and each task thread's event loop all take
 * one, up to its RLIMIT_NOFILE. Spark's answer to "Too many open files" is the same: raise
 * the limit where the process is started.
 */
export function tooManyOpenFilesFix(who: string): string {
  return `${who} has as many files, sockets and pipes open as its limit allows (EMFILE: its \`ulimit -n\`, RLIMIT_NOFILE; ENFILE: the system's fs.file-max). Raise the limit where the process is started: \`ulimit -n 65536\` in its shell, LimitNOFILE=65536 in a systemd unit, --ulimit nofile=65536:65536 with docker run; or give it fewer --cores (each task thread holds a few)`;
}

/**
 * A write refused because its disk (or quota) is full. The message names the path, what was
 * being written and by whom, and what to do: free space there, or point `fix` elsewhere.
 */
export class DiskFullError extends SluiceError {
  readonly path: string;

  /** `what`: what was being written (e.g. "part file part-00003 of saveAsTextFile"); `fix`: the option that moves it elsewhere. */
  constructor(opts: { path: string; what: string; where: string; fix: string; cause?: unknown }) {
    super('SLUICE_DISK_FULL', `disk full: cannot write ${opts.what} to '${opts.path}' (${opts.where}): no space left on its device. Free space there, or ${opts.fix}.`, { cause: opts.cause });
    this.name = 'DiskFullError';
    this.path = opts.path;
  }
}

export function isSluiceError(e: unknown): e is SluiceError {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('SLUICE_');
}
