import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DiskFullError, SluiceError, isDiskFull, type AddedFileRef } from '@sluice/core/internal';

/**
 * Fetches job `jobId`'s added file `name` from the driver and writes it at `into` (a file,
 * or a directory holding the added directory's content); resolves once it is all written,
 * with the sha256 of what was (AddedFileHash).
 */
export type AddedFileSource = (jobId: string, name: string, into: string) => Promise<string>;

/**
 * The files jobs added with sc.addFile, as this worker has them: each job's in a directory
 * of its own under the worker's scratch directory (`files/<job run id>/<name>`), which its
 * task threads see as SparkFiles' root. A file is fetched from the driver once, before the
 * first task of a stage that names it runs here (Spark's Executor.updateDependencies), its
 * sha256 checked, then renamed into place, so a task never sees part of one.
 *
 * A file fetched that is no longer there when a task needs it (removed from under the
 * worker by a cleaner of /tmp, where --local-dir is by default, while its job runs) is
 * fetched again, with a warning, as the worker fetches a job's bundle again: the job's tasks
 * would otherwise fail reading it for as long as the job runs.
 *
 * Invariants: a name in `fetches` is fetched or being fetched (a failed fetch is forgotten,
 * and the next task that needs it tries again); `release` removes the job's directory and
 * forgets it (every per-job map cleared when the job ends).
 * Threading: the worker's main thread.
 */
export class JobFiles {
  /** Per job, per name: the fetch (resolved once the file is in place). */
  private readonly fetches = new Map<string, Map<string, Promise<void>>>();
  /** The fetches that resolved: their file was put in place. */
  private readonly fetched = new WeakSet<Promise<void>>();

  constructor(
    private readonly root: string,
    private readonly source: AddedFileSource,
    private readonly log: Logger,
    /** Called before files found gone are fetched again: makes the worker's scratch directory again, with its owner file, if it went too (keepScratchDir). */
    private readonly makeDirAgain: () => void = () => undefined,
  ) {}

  /** Job `jobId`'s files directory here (SparkFiles.getRootDirectory in its tasks). */
  dir(jobId: string): string {
    return path.join(this.root, encodeURIComponent(jobId));
  }

  /** Resolves once every one of `files` of job `jobId` is here (fetching those that are not). */
  async ensure(jobId: string, files: readonly AddedFileRef[]): Promise<void> {
    let job = this.fetches.get(jobId);
    if (!job) this.fetches.set(jobId, (job = new Map()));
    // Fetched, but no longer there: fetched again (the first task to see it; the next ones wait for that fetch).
    const gone = files.filter((f) => {
      const p = job.get(f.name);
      return p !== undefined && this.fetched.has(p) && !fs.existsSync(path.join(this.dir(jobId), f.name));
    });
    if (gone.length > 0) {
      for (const f of gone) job.delete(f.name);
      this.log.warn(
        { jobId, names: gone.map((f) => f.name), dir: this.dir(jobId) },
        "files the job added with sc.addFile are gone from this worker's local directory (removed while the worker ran, as a /tmp cleaner such as systemd-tmpfiles does to files unused for days); fetching them again from the driver. Start the worker with --local-dir on a directory no cleaner empties",
      );
      this.makeDirAgain();
    }
    const waits: Promise<void>[] = [];
    for (const f of files) {
      let p = job.get(f.name);
      if (!p) {
        const fetching = this.fetch(jobId, f);
        const of = job;
        of.set(f.name, (p = fetching));
        fetching.then(
          () => this.fetched.add(fetching),
          () => {
            if (of.get(f.name) === fetching) of.delete(f.name);
          },
        );
      }
      waits.push(p);
    }
    await Promise.all(waits);
  }

  /** Job `jobId` ended here: remove its files. */
  release(jobId: string): void {
    this.fetches.delete(jobId);
    fs.rmSync(this.dir(jobId), { recursive: true, force: true });
  }

  /** Jobs with files here (fetched or being fetched). */
  jobIds(): string[] {
    return [...this.fetches.keys()];
  }

  private async fetch(jobId: string, f: AddedFileRef): Promise<void> {
    const dir = this.dir(jobId);
    fs.mkdirSync(dir, { recursive: true });
    const partial = path.join(dir, `.fetching-${crypto.randomBytes(6).toString('hex')}-${f.name}`);
    const started = performance.now();
    try {
      const got = await this.source(jobId, f.name, partial);
      // Released meanwhile (the job ended): nothing is left behind.
      if (!this.fetches.has(jobId)) throw new SluiceError('SLUICE_CANCELLED', `job ${jobId} ended while its added file '${f.name}' was fetched`);
      if (got !== f.sha256) throw new SluiceError('SLUICE_JOB_LOAD', `the added file '${f.name}' arrived corrupted (sha256 ${got}, the driver's copy has ${f.sha256})`);
      fs.renameSync(partial, path.join(dir, f.name));
    } catch (err) {
      // Released meanwhile: the directory the fetch made again goes too. The fetch's error is
      // the one to act on: what cannot be removed (removed or replaced under the worker
      // meanwhile) is left, to the job's release.
      try {
        fs.rmSync(this.fetches.has(jobId) ? partial : dir, { recursive: true, force: true });
      } catch {
        // left behind
      }
      if (isDiskFull(err) && !(err instanceof DiskFullError)) {
        throw new DiskFullError({ path: dir, what: `the file '${f.name}' job ${jobId} added with sc.addFile`, where: `worker ${process.pid}'s local directory`, fix: 'start the worker with --local-dir on a larger disk', cause: err });
      }
      throw err;
    }
    this.log.info({ jobId, name: f.name, ms: Math.round(performance.now() - started) }, 'added file fetched');
  }
}
