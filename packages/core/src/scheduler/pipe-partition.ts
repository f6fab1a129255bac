import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import type { PipeSpec } from '../rdd/plan.js';

/** Bytes of the command's stderr kept for the error of a failed run (its last ones). */
const STDERR_TAIL_BYTES = 4096;

/** rdd.pipe's printPipeContext and printRDDElement, revived: each writes lines to the command's stdin through `print`. */
export interface PipePrinters {
  readonly context?: (print: (line: string) => void) => void;
  readonly element?: (element: unknown, print: (line: string) => void) => void;
}

/**
 * Computes the parent partition, handing each record to `write`; `full` says whether the
 * command's stdin is full (a promise that settles once it has drained), for a source that
 * reads in steps to wait between them.
 */
export type PipeFeed = (write: (record: unknown) => void, full: () => Promise<void> | undefined) => Promise<void>;

/** Bytes of stdin text gathered before a write, and written but unread by the command before `full` asks the source to wait. */
const STDIN_CHUNK_BYTES = 64 * 1024;

/**
 * rdd.pipe on a worker (Spark's PipedRDD): starts `spec.command` (no shell) with the worker's
 * environment plus `spec.env`, then computes the parent partition (`feed`) and writes each
 * record to the command's stdin as it comes, as `String(record)` and a newline (or what
 * `printers` print: a context first, then each record as `printers.element` prints it), while
 * emitting each line of its stdout (without `\n` or `\r\n`) as it comes. A source that
 * reads in steps (a text file) waits between its reads while the command has not read what
 * was written (stdin's backpressure), so such a partition need not fit in memory; one the
 * worker holds whole anyway (a shuffle's, a cached block, parallelize) is written as it comes.
 * Resolves when the parent is computed, the command has exited with status 0 and its stdout
 * is read to the end; a command that cannot start, exits with another status or is killed by
 * a signal rejects with an error naming the command, the status and the end of its stderr.
 * A command that exits before reading all its input (`head -1`) is not an error by itself:
 * its status decides, and the rest of the records are computed and dropped, as Spark's
 * PrintWriter drops them. An error computing the parent (or printing a record) kills the
 * command and goes through unchanged; so does one `emit` throws (a take that has enough).
 * `onChild` hears the command's pid (the worker kills a command still running when it stops
 * the task's thread). With `spec.separateWorkingDir` the command runs in `tasks/<uuid>` under
 * its working directory (links to that directory's entries), removed once the command ended.
 */
export function pipePartition(
  feed: PipeFeed,
  spec: PipeSpec,
  partition: number,
  emit: (line: string) => void,
  printers: PipePrinters = {},
  /** Told the command's pid when it starts and when it has exited (TaskEnv.childProcess). */
  onChild?: (pid: number, exited: boolean) => void,
): Promise<void> {
  const shown = spec.command.join(' ');
  let cwd = spec.cwd;
  if (!fs.existsSync(cwd)) {
    if (spec.cwdGiven) return Promise.reject(new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.pipe('${shown}'): working directory '${cwd}' does not exist on this worker; give an absolute { cwd } that exists on every worker`));
    cwd = process.cwd();
  }
  const taskDir = spec.separateWorkingDir ? taskWorkingDirectory(cwd, shown) : undefined;
  if (taskDir instanceof Error) return Promise.reject(taskDir);
  const ran = runIn(taskDir ?? cwd, feed, spec, partition, emit, printers, onChild);
  if (taskDir === undefined) return ran;
  // As Spark's PipedRDD.cleanup once the command has ended; here whatever the outcome (the links
  // go, not what they name). A removal that fails is ignored, as Spark ignores its IOException:
  // it must not replace the task's own error, nor fail a task whose command succeeded. It
  // fails by a race: a process the command left behind (`sh -c 'cmd &'`), or one killed with
  // the task but not yet gone, still writes there (ENOTEMPTY); retried a few times first.
  const remove = (): void => {
    try {
      fs.rmSync(taskDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
    } catch {
      // left behind under tasks/
    }
  };
  return ran.then(remove, (err: unknown) => {
    remove();
    throw err;
  });
}

/**
 * Spark's separateWorkingDir: `tasks/<uuid>` made under `cwd`, with a symbolic link to each
 * entry of `cwd` but `tasks`; an Error (SLUICE_TASK_FAILED) naming the directory if it cannot
 * be made. Spark logs that and runs the command in the working directory itself; a task
 * failure says it and does not let a command that expects a directory of its own share one.
 */
function taskWorkingDirectory(cwd: string, shown: string): string | Error {
  const dir = path.join(cwd, 'tasks', randomUUID());
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const name of fs.readdirSync(cwd)) {
      if (name !== 'tasks') fs.symlinkSync(path.join(cwd, name), path.join(dir, name));
    }
    return dir;
  } catch (err) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // left behind: the error below is the one to act on
    }
    return new SluiceError('SLUICE_TASK_FAILED', `rdd.pipe('${shown}'): cannot set up the task's working directory ${dir} (separateWorkingDir): ${(err as Error).message}; check that ${cwd} is writable, or leave separateWorkingDir unset`, { cause: err });
  }
}

function runIn(
  cwd: string,
  feed: PipeFeed,
  spec: PipeSpec,
  partition: number,
  emit: (line: string) => void,
  printers: PipePrinters,
  onChild: ((pid: number, exited: boolean) => void) | undefined,
): Promise<void> {
  const [file, ...args] = spec.command;
  const shown = spec.command.join(' ');
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    // Settled once the parent's computing has stopped, with the first failure, else once the command also exited 0 with its stdout read.
    let failure: Error | undefined;
    let exitedOk = false;
    let fed = false;
    const settle = (): void => {
      if (settled || !fed) return;
      if (failure !== undefined) {
        settled = true;
        reject(failure);
      } else if (exitedOk) {
        settled = true;
        resolve();
      }
    };
    const fail = (err: Error): void => {
      if (failure !== undefined || settled) return;
      failure = err;
      stdin.abort();
      child.kill('SIGKILL');
      settle();
    };
    const child = spawn(file, args, { cwd, env: { ...process.env, ...spec.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdin = new StdinWriter(child.stdin, printers);
    if (child.pid !== undefined && onChild) {
      const pid = child.pid;
      onChild(pid, false);
      child.once('exit', () => onChild(pid, true));
    }
    let stderr = Buffer.alloc(0);
    child.stderr.on('data', (b: Buffer) => {
      stderr = Buffer.concat([stderr, b]);
      if (stderr.length > 2 * STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
    });
    let carry = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      if (failure !== undefined) return;
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      try {
        for (const l of lines) emit(l.endsWith('\r') ? l.slice(0, -1) : l);
      } catch (err) {
        fail(err as Error);
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? `command '${file}' not found (give its path, or put it on the workers' PATH)` : err.message;
      fail(new SluiceError('SLUICE_TASK_FAILED', `rdd.pipe('${shown}') on partition ${partition}: cannot run it: ${why}`, { cause: err }));
    });
    // The command may stop reading (or never start): its exit status is what counts.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      if (failure !== undefined) return;
      if (code !== 0) {
        const tail = stderr.subarray(Math.max(0, stderr.length - STDERR_TAIL_BYTES)).toString('utf8').trim();
        const status = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
        fail(new SluiceError('SLUICE_TASK_FAILED', `rdd.pipe('${shown}') on partition ${partition}: the command ${status}${tail ? `; its stderr ended: ${tail}` : ' (nothing on stderr)'}`));
        return;
      }
      try {
        if (carry !== '') emit(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
      } catch (err) {
        fail(err as Error);
        return;
      }
      exitedOk = true;
      settle();
    });
    // Errors computing the parent or printing a record fail the task as they are (they are the user's).
    (async () => {
      printers.context?.((line) => stdin.line(line));
      await feed((r) => stdin.record(r), () => stdin.full());
      stdin.end();
    })().then(
      () => {
        fed = true;
        settle();
      },
      (err: unknown) => {
        fed = true;
        if (err !== ABORTED) fail(err instanceof Error ? err : new Error(String(err)));
        settle();
      },
    );
  });
}

/** Thrown into the parent's computing to stop it once the pipe has failed. */
const ABORTED = Symbol('sluice.pipeAborted');

/** Writes records to a command's stdin a line each, in chunks; drops them once the command has closed its stdin (EPIPE, left to the exit status). */
class StdinWriter {
  private buf = '';
  private readonly stdin: NodeJS.WritableStream & { readonly destroyed: boolean; readonly writableLength: number };
  private readonly printers: PipePrinters;
  private readonly print = (line: string): void => this.line(line);

  constructor(stdin: NodeJS.WritableStream & { readonly destroyed: boolean; readonly writableLength: number }, printers: PipePrinters) {
    this.stdin = stdin;
    this.printers = printers;
  }

  private aborted = false;

  /** The pipe failed: the next record stops the parent's computing. */
  abort(): void {
    this.aborted = true;
  }

  record(r: unknown): void {
    if (this.aborted) throw ABORTED;
    if (this.printers.element) this.printers.element(r, this.print);
    else this.line(String(r));
  }

  line(text: string): void {
    if (this.stdin.destroyed) return;
    this.buf += `${String(text)}\n`;
    if (this.buf.length >= STDIN_CHUNK_BYTES) {
      this.stdin.write(this.buf);
      this.buf = '';
    }
  }

  /** Undefined while the command keeps up; else a promise settled once stdin drains (or closes). */
  full(): Promise<void> | undefined {
    if (this.stdin.destroyed || this.stdin.writableLength < STDIN_CHUNK_BYTES) return undefined;
    return new Promise<void>((res) => {
      const done = (): void => {
        this.stdin.removeListener('drain', done);
        this.stdin.removeListener('close', done);
        res();
      };
      this.stdin.once('drain', done);
      this.stdin.once('close', done);
    });
  }

  end(): void {
    if (this.stdin.destroyed) return;
    this.stdin.end(this.buf);
    this.buf = '';
  }
}
