import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiskFullError, SluiceError, isDiskFull } from '../errors.js';
import { describeJobPath, resolveJobPath } from '../job-working-directory.js';
import { addedFileSha256, type AddedFileRef } from './added-file-content.js';
import { sparkFilesRoot } from './spark-files.js';

/**
 * The files a job's driver program added with sc.addFile, as Spark's SparkContext.addedFiles:
 * each is checked, copied into the driver's files directory (SparkFiles' root there, so the
 * driver program reads its copy as tasks read theirs) and announced to the driver, which
 * serves it to workers and names it in every stage launched from then on; a worker fetches
 * what a stage names before its first task of the stage runs.
 *
 * Invariants: a name is added once and never changes (adding the same path again is
 * ignored, as Spark's; another path of the same name is refused); the copy is complete
 * before the name is announced (it is made under a dot name and renamed).
 * Threading: the driver program's thread.
 */
export class AddedFiles {
  /** Added files by name: the path given (made absolute) and its real path (links resolved). */
  private readonly byName = new Map<string, { readonly given: string; readonly real: string; readonly ref: AddedFileRef }>();

  constructor(
    /** Tells the driver (which does nothing without a cluster: tasks run here and read the same copies). */
    private readonly announce: (ref: AddedFileRef) => void,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  add(given: string, recursive: boolean): void {
    if (typeof given !== 'string' || given === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: give the path of a file on the driver (got ${JSON.stringify(given)})`);
    const abs = resolveJobPath(localPath(given));
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SluiceError('SLUICE_IO', `sc.addFile: Added file ${describeJobPath(given, abs)} does not exist.`, { cause: err });
      throw new SluiceError('SLUICE_IO', `sc.addFile: cannot read ${describeJobPath(given, abs)}: ${(err as Error).message}`, { cause: err });
    }
    if (st.isDirectory() && !recursive) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: Added file ${abs} is a directory and recursive is not turned on. Add a directory with sc.addFile(path, true)`);
    }
    if (!st.isDirectory() && !st.isFile()) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: ${abs} is neither a file nor a directory`);
    const real = fs.realpathSync(abs);
    const name = path.basename(abs);
    const old = this.byName.get(name);
    if (old !== undefined) {
      if (old.real === real) {
        // As Spark's: the same path added again is ignored (its copy is not refreshed).
        this.warn('file added already: ignored (an added file is not replaced)', { path: abs });
        return;
      }
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: File ${name} was already registered with a different path (old path = ${old.given}, new path = ${abs}); every added file needs a name of its own (SparkFiles.get finds it by name)`);
    }
    const root = sparkFilesRoot();
    fs.mkdirSync(root, { recursive: true });
    const dest = path.join(root, name);
    const partial = path.join(root, `.adding-${name}`);
    fs.rmSync(partial, { recursive: true, force: true });
    try {
      fs.cpSync(abs, partial, { recursive: true, dereference: true });
      const ref: AddedFileRef = { name, sha256: addedFileSha256(partial), directory: st.isDirectory() };
      fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(partial, dest);
      this.byName.set(name, { given: abs, real, ref });
      this.announce(ref);
    } catch (err) {
      fs.rmSync(partial, { recursive: true, force: true });
      if (err instanceof SluiceError) throw err;
      if (isDiskFull(err)) {
        throw new DiskFullError({ path: root, what: `the copy of ${abs} sc.addFile keeps`, where: "the driver's scratch directory", fix: "give the driver more space in the system's temporary directory (TMPDIR), where it makes its scratch directory", cause: err });
      }
      throw new SluiceError('SLUICE_IO', `sc.addFile: cannot copy ${abs} into the driver's files directory ${root}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The absolute paths of the files added, in the order added (Spark's listFiles lists its keys). */
  list(): string[] {
    return [...this.byName.values()].map((f) => f.given);
  }
}

/** `given` as a local path: itself, or a file: URI's path; any other scheme is refused. */
function localPath(given: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(given)?.[1]?.toLowerCase();
  if (scheme === undefined) return given;
  if (scheme === 'file') {
    try {
      return fileURLToPath(given);
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: '${given}' is not a valid file: URI (${(err as Error).message}); give a path or file:///absolute/path`, { cause: err });
    }
  }
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `sc.addFile: '${given}': only paths on the driver's disk and file: URIs can be added (Sluice does not fetch ${scheme}: URLs); download the file to the driver first and add its path`,
  );
}
