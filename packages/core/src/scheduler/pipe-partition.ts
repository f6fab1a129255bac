import { spawn } from 'node:child_process';
import fs from 'node:fs';
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
 * rdd.pipe on a worker (Spark's PipedRDD): runs `spec.command` (no shell) with the worker's
 * environment plus `spec.env`, writes each record of the partition to its stdin as
 * `String(record)` and a newline (or what `printers` print: a context first, then each
 * record as `printers.element` prints it), and emits each line of its stdout (without `\n` or `\r\n`)
 * as it comes. Resolves when the command has exited with status 0 and its stdout is read
 * to the end; a command that cannot start, exits with another status or is killed by a
 * signal rejects with an error naming the command, the status and the end of its stderr.
 * A command that exits before reading all its input (`head -1`) is not an error by itself:
 * its status decides. If `emit` throws (a take that has enough), the command is killed and
 * the error goes through unchanged. `onChild` hears the command's pid (the worker kills a
 * command still running when it stops the task's thread).
 */
export function pipePartition(
  records: readonly unknown[],
  spec: PipeSpec,
  partition: number,
  emit: (line: string) => void,
  printers: PipePrinters = {},
  /** Told the command's pid when it starts and when it has exited (TaskEnv.childProcess). */
  onChild?: (pid: number, exited: boolean) => void,
): Promise<void> {
  const [file, ...args] = spec.command;
  const shown = spec.command.join(' ');
  let cwd = spec.cwd;
  if (!fs.existsSync(cwd)) {
    if (spec.cwdGiven) return Promise.reject(new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.pipe('${shown}'): working directory '${cwd}' does not exist on this worker; give an absolute { cwd } that exists on every worker`));
    cwd = process.cwd();
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(err);
    };
    const child = spawn(file, args, { cwd, env: { ...process.env, ...spec.env }, stdio: ['pipe', 'pipe', 'pipe'] });
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
      if (settled) return;
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
      if (settled) return;
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
      settled = true;
      resolve();
    });
    // A printer's error fails the task as it is (it is the user's).
    writeAll(child.stdin, records, printers).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
  });
}

/** Writes the records a line each, waiting for the pipe to drain; ends stdin. Errors (EPIPE) are left to the exit status. */
async function writeAll(stdin: NodeJS.WritableStream & { destroyed?: boolean }, records: readonly unknown[], printers: PipePrinters): Promise<void> {
  let buf = '';
  const print = (line: string): void => {
    buf += `${String(line)}\n`;
  };
  printers.context?.(print);
  for (const r of records) {
    if (printers.element) printers.element(r, print);
    else buf += `${String(r)}\n`;
    if (buf.length >= 64 * 1024) {
      if (stdin.destroyed) return;
      const ok = stdin.write(buf);
      buf = '';
      if (!ok) await new Promise<void>((res) => {
        const done = (): void => {
          stdin.removeListener('drain', done);
          stdin.removeListener('close', done);
          res();
        };
        stdin.once('drain', done);
        stdin.once('close', done);
      });
    }
  }
  if (stdin.destroyed) return;
  stdin.end(buf);
}
