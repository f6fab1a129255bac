import fs from 'node:fs';
import path from 'node:path';
import { DiskFullError, isDiskFull, isNotWritable, notWritableFix, SluiceError } from '../errors.js';
import type { TaskEnv } from './task-env.js';

/**
 * The folder of a save's temporary output directory that holds its task attempts' folders, as
 * Hadoop's FileOutputCommitter's `_temporary/`. Made by the job (SluiceContext's save) with
 * the temporary directory, never by a task; the job's commit moves it out of the directory
 * before the directory is renamed into place (and removes it).
 */
export const ATTEMPTS_DIR = '_temporary';

/**
 * A part file of a save to a local directory (saveAsTextFile, saveAsObjectFile), written by one
 * task attempt as Hadoop's FileOutputCommitter has a task attempt write: into a folder of its
 * own, `<dir>/_temporary/<attempt>/<name>`, then renamed to `<dir>/<name>` once whole (the task
 * commit), so a retried or speculative attempt never leaves half a file. Opens the file (the
 * attempt's folder made first) and resolves to the function that writes `data` into it, closes
 * it and renames it: a text part's lines are computed once its file is open, and written as
 * they come.
 *
 * Invariant: nothing a late attempt writes reaches the committed directory. An attempt may go on
 * after its job committed (its work done elsewhere: a worker frozen mid-write, declared lost, and
 * woken; a killed attempt not yet stopped). The job moves `_temporary/` out of `<dir>` before it
 * renames `<dir>` into place, and an attempt makes its own folder only inside an existing
 * `_temporary/` (mkdir, not recursive), so once moved, every path this function names is gone:
 * its folder, its open and its rename fail (ENOENT), and a file it had open is written into the
 * moved-out folder, which the job removes. Before, the temporary file sat in `<dir>` itself, and
 * a worker frozen with it open wrote its lines into the committed directory when woken.
 *
 * Errors: a full disk is a DiskFullError naming `<dir>/<name>`; a refused write names the
 * directory that refused it and the user this process runs as; a write whose `_temporary/` is
 * gone says that its save is over. The attempt's folder is removed on an error (what cannot be
 * removed goes with `_temporary/`).
 */
export async function openLocalPart(file: string, env: TaskEnv, split: number, action: string): Promise<(data: string | Uint8Array | AsyncIterable<Uint8Array>) => Promise<void>> {
  const dir = path.dirname(file);
  const attempts = path.join(dir, ATTEMPTS_DIR);
  const own = path.join(attempts, attemptFolder(env, split));
  const staged = path.join(own, path.basename(file));
  const failed = async (err: unknown): Promise<never> => {
    // Report the write's own error; a folder that cannot be removed either goes with `_temporary/`.
    await fs.promises.rm(own, { recursive: true, force: true }).catch(() => undefined);
    throw partError(err, file, attempts, env, split, action);
  };
  let handle: fs.promises.FileHandle;
  try {
    // Not recursive: with `_temporary/` gone, this attempt's save is over and nothing is made again.
    await fs.promises.mkdir(own);
    handle = await fs.promises.open(staged, 'w');
  } catch (err) {
    return failed(err);
  }
  return async (data) => {
    try {
      try {
        await fs.promises.writeFile(handle, data);
      } finally {
        await handle.close();
      }
      await fs.promises.rename(staged, file);
    } catch (err) {
      await failed(err);
    }
  };
}

/** A local part written whole: openLocalPart's file, `data` written into it and renamed into place. */
export async function writeLocalPart(file: string, data: string | Uint8Array, env: TaskEnv, split: number, action: string): Promise<void> {
  await (await openLocalPart(file, env, split, action))(data);
}

function partError(err: unknown, file: string, attempts: string, env: TaskEnv, split: number, action: string): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(attempts)) {
    return new SluiceError('SLUICE_IO', `part ${split} of ${action} not written to '${file}': its save is over ('${attempts}' is gone: the job committed or failed without this attempt, a task of job ${env.jobId} on worker process ${process.pid}); nothing to do, its part was written by another attempt or is not wanted`, { cause: err });
  }
  if (isDiskFull(err)) {
    return new DiskFullError({ path: file, what: `part ${split} of ${action}`, where: `a task of job ${env.jobId} on worker process ${process.pid}`, fix: `give ${action} a directory on a larger disk`, cause: err });
  }
  // The worker writes its part as the user it runs as, which need not be the driver's: say
  // which user was refused, as a checkpoint write does. A refused rename is the part's
  // directory's refusal (the attempt's own folder is this process's).
  const e = err as NodeJS.ErrnoException;
  const refusing = e.syscall === 'rename' ? path.dirname(file) : path.dirname(e.path ?? file);
  const why = isNotWritable(err) ? `: ${notWritableFix(refusing, err, `give ${action} a directory that user can write (workers may run as another user than the driver)`)}` : '';
  return new SluiceError('SLUICE_IO', `cannot write '${file}': ${(err as Error).message}${why}`, { cause: err });
}

/** The attempt's folder name: its task attempt id where the worker gives one, this process and a random tail (unique however the attempt is named). */
function attemptFolder(env: TaskEnv, split: number): string {
  const id = (env.taskId ?? `${env.jobId}.p${split}`).replace(/[^A-Za-z0-9._-]/g, '_');
  return `${id}.${process.pid}.${Math.random().toString(36).slice(2)}`;
}
