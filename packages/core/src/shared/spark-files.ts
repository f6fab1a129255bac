import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SluiceError } from '../errors.js';

/**
 * Where this thread's copies of the job's added files are (sc.addFile): on the driver, the
 * job's own directory of the driver's scratch directory, into which sc.addFile copies; in a
 * worker's task thread, the job's files directory of the worker's scratch directory, which
 * holds every file added before the stage's first task was launched. Set by the driver
 * program's thread and by each task thread as it is bound to a job (each job has threads of
 * its own, so its own copy of this module); unset elsewhere, where the first use makes a
 * temporary directory of this process.
 */
let root: string | undefined;
let madeHere: string | undefined;

/** @internal Set (or, undefined, forget) where SparkFiles finds this job's files in this thread. */
export function setSparkFilesRoot(dir: string | undefined): void {
  root = dir;
}

/** @internal The directory of this thread's copies of the job's added files (made if it was not). */
export function sparkFilesRoot(): string {
  if (root !== undefined) return root;
  if (madeHere === undefined) {
    madeHere = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-files-'));
    const made = madeHere;
    process.once('exit', () => fs.rmSync(made, { recursive: true, force: true }));
  }
  return madeHere;
}

/** @internal Names of the files a directory of added files holds (not the ones still being copied in). */
export function addedFileNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/**
 * Resolves the paths of files added with `sc.addFile`, as Spark's SparkFiles: in a task
 * on a worker, the worker's local copy (fetched before the task ran); in the driver
 * program, the driver's copy.
 *
 * @example
 * sc.addFile('countries.csv');
 * const names = await sc.parallelize(['fr', 'de']).map((code) => {
 *   const table = fs.readFileSync(SparkFiles.get('countries.csv'), 'utf8');
 *   return lookUp(table, code);
 * }).collect();
 */
export const SparkFiles = {
  /**
   * The absolute path of the local copy of the file (or directory) added as `fileName`
   * (its base name: `sc.addFile('/data/a.csv')` is `a.csv`); a path under an added
   * directory (`'dir/part.txt'`) names a file in it. Unlike Spark, which returns a path that
   * does not exist, a name that was never added is SLUICE_BAD_ARGUMENT naming the files
   * that were.
   */
  get(fileName: string): string {
    if (typeof fileName !== 'string' || fileName === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `SparkFiles.get: give the name of a file added with sc.addFile (got ${JSON.stringify(fileName)})`);
    const dir = sparkFilesRoot();
    const p = path.resolve(dir, fileName);
    if (p !== dir && !p.startsWith(dir + path.sep)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `SparkFiles.get('${fileName}'): the name leads out of the directory of added files (${dir}); give the name of a file added with sc.addFile`);
    }
    if (!fs.existsSync(p)) {
      const added = addedFileNames(dir);
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `SparkFiles.get('${fileName}'): no file of that name was added to this job (added: ${added.length === 0 ? 'none' : added.join(', ')}); add it with sc.addFile(path) in the driver program before the action whose tasks read it`,
      );
    }
    return p;
  },

  /** The directory that holds the copies of the added files here (Spark's SparkFiles.getRootDirectory). */
  getRootDirectory(): string {
    return sparkFilesRoot();
  },
};
