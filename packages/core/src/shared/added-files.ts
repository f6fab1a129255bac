import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiskFullError, SluiceError, isDiskFull } from '../errors.js';
import { describeJobPath, resolveJobPath } from '../job-working-directory.js';
import { addedFileSha256, type AddedFileRef } from './added-file-content.js';
import { sparkFilesRoot } from './spark-files.js';
import { archiveKind, unpackArchive } from './unpack-archive.js';

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
  /**
   * Added files and archives by name (one name space, as Spark's file server's): the path given
   * (made absolute; an archive's with its `#name`), its real path (links resolved), and whether
   * sc.addArchive added it.
   */
  private readonly byName = new Map<string, { readonly given: string; readonly real: string; readonly ref: AddedFileRef; readonly archive: boolean }>();

  constructor(
    /** Tells the driver (which does nothing without a cluster: tasks run here and read the same copies). */
    private readonly announce: (ref: AddedFileRef) => void,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  add(given: string, recursive: boolean): void {
    if (typeof given !== 'string' || given === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: give the path of a file on the driver (got ${JSON.stringify(given)})`);
    const abs = resolveJobPath(localPath(given, 'sc.addFile'));
    const st = statAdded('sc.addFile', 'file', given, abs);
    if (st.isDirectory() && !recursive) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: Added file ${abs} is a directory and recursive is not turned on. Add a directory with sc.addFile(path, true)`);
    }
    if (!st.isDirectory() && !st.isFile()) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addFile: ${abs} is neither a file nor a directory`);
    this.register('sc.addFile', abs, path.basename(abs), false, st.isDirectory(), (partial) => fs.cpSync(abs, partial, { recursive: true, dereference: true }));
  }

  /**
   * sc.addArchive: `given` (`path` or `path#name`) unpacked here into a directory named by the
   * archive's base name (or `name`), announced as a directory: workers fetch it unpacked, so it
   * is in their files directory as Spark's executors unpack it there.
   */
  addArchive(given: string): void {
    if (typeof given !== 'string' || given === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addArchive: give the path of an archive on the driver (.zip, .tar.gz, .tgz or .tar; got ${JSON.stringify(given)})`);
    const hash = given.lastIndexOf('#');
    const alias = hash < 0 ? undefined : given.slice(hash + 1);
    const file = hash < 0 ? given : given.slice(0, hash);
    if (alias !== undefined && (alias === '' || alias === '.' || alias === '..' || /[/\\]/.test(alias) || alias.startsWith('.'))) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addArchive('${given}'): the name after '#' is the unpacked directory's, a plain name (no '/', not starting with '.')`);
    }
    const abs = resolveJobPath(localPath(file, 'sc.addArchive'));
    const st = statAdded('sc.addArchive', 'archive', file, abs);
    if (!st.isFile()) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addArchive: ${abs} is not a file; add an archive (.zip, .tar.gz, .tgz or .tar), or a directory with sc.addFile(path, true)`);
    const kind = archiveKind(path.basename(abs));
    this.register('sc.addArchive', abs, alias ?? path.basename(abs), true, kind !== 'copy', (partial) => {
      if (kind !== 'copy') return unpackArchive(abs, kind, partial);
      // As Spark's Utils.unpack: a name it cannot unpack is copied as it is.
      this.warn('sc.addArchive: cannot unpack a file of this name (not .zip, .jar, .tar.gz, .tgz or .tar): copied as it is', { path: abs });
      fs.copyFileSync(abs, partial);
    }, alias === undefined ? abs : `${abs}#${alias}`);
  }

  /** Copy (`make` into the partial path given) and announce `abs` as `name`, once. */
  private register(method: string, abs: string, name: string, archive: boolean, directory: boolean, make: (partial: string) => void, listed: string = abs): void {
    const real = fs.realpathSync(abs);
    const old = this.byName.get(name);
    if (old !== undefined) {
      if (old.real === real && old.archive === archive) {
        // As Spark's: the same path added again is ignored (its copy is not refreshed).
        this.warn(`${archive ? 'archive' : 'file'} added already: ignored (an added ${archive ? 'archive' : 'file'} is not replaced)`, { path: abs });
        return;
      }
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${method}: File ${name} was already registered with a different path (old path = ${old.given}, new path = ${listed}); every added file and archive needs a name of its own (SparkFiles.get finds it by name)`);
    }
    const root = sparkFilesRoot();
    fs.mkdirSync(root, { recursive: true });
    const dest = path.join(root, name);
    const partial = path.join(root, `.adding-${name}`);
    fs.rmSync(partial, { recursive: true, force: true });
    try {
      make(partial);
      const ref: AddedFileRef = { name, sha256: addedFileSha256(partial), directory };
      fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(partial, dest);
      this.byName.set(name, { given: listed, real, ref, archive });
      this.announce(ref);
    } catch (err) {
      // The copy's error is the one to act on (a full disk's fix): a partial copy that cannot be
      // removed either (the scratch directory removed or replaced meanwhile) is left, to the
      // next add of the name.
      try {
        fs.rmSync(partial, { recursive: true, force: true });
      } catch {
        // left behind
      }
      if (err instanceof SluiceError) throw err;
      if (isDiskFull(err)) {
        throw new DiskFullError({ path: root, what: `the copy of ${abs} ${method} keeps`, where: "the driver's scratch directory", fix: "give the driver more space in the system's temporary directory (TMPDIR), where it makes its scratch directory", cause: err });
      }
      throw new SluiceError('SLUICE_IO', `${method}: cannot ${archive ? 'unpack' : 'copy'} ${abs} into the driver's files directory ${root}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The absolute paths of the files added (`archives`: of the archives, with their `#name`), in the order added (Spark's listFiles and listArchives list their keys). */
  list(archives = false): string[] {
    return [...this.byName.values()].filter((f) => f.archive === archives).map((f) => f.given);
  }
}

/** `given` as a local path: itself, or a file: URI's path; any other scheme is refused. */
function localPath(given: string, method: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(given)?.[1]?.toLowerCase();
  if (scheme === undefined) return given;
  if (scheme === 'file') {
    try {
      return fileURLToPath(given);
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${method}: '${given}' is not a valid file: URI (${(err as Error).message}); give a path or file:///absolute/path`, { cause: err });
    }
  }
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `${method}: '${given}': only paths on the driver's disk and file: URIs can be added (Sluice does not fetch ${scheme}: URLs); download the file to the driver first and add its path`,
  );
}

/** The stats of a path given to `op` (resolved to `abs`), or its failure as Spark words it ("Added file ... does not exist."). */
function statAdded(op: string, what: 'file' | 'archive', given: string, abs: string): fs.Stats {
  try {
    return fs.statSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SluiceError('SLUICE_IO', `${op}: Added ${what} ${describeJobPath(given, abs)} does not exist.`, { cause: err });
    throw new SluiceError('SLUICE_IO', `${op}: cannot read ${describeJobPath(given, abs)}: ${(err as Error).message}`, { cause: err });
  }
}
