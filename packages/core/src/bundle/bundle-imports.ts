import { pathToFileURL } from 'node:url';

/** A thread serves at most this many jobs, one after another, ... */
export const MAX_JOBS_PER_THREAD = 64;
/** ... and imports at most this much of their bundles (characters: 64 MiB of ASCII) before it is terminated. */
export const MAX_IMPORTED_CHARS = 64 << 20;

/**
 * The job bundles one job thread (a worker's task thread, a driver's driver-program thread)
 * imported, one a job it served. A thread bound again imports its job's bundle as a module
 * of its own (a new URL, `bundle.mjs?job=<id>`): the job before's module state is not seen,
 * even when its bundle was the same file. ES modules are never unloaded, so a thread serves
 * a bounded number of jobs and imports a bounded amount of code (`exhausted`), then is
 * terminated instead of kept.
 *
 * Threading: the thread that owns it, only.
 */
export class BundleImports {
  private binds = 0;
  private chars = 0;

  /** A job `jobId` is bound to this thread: the URL its bundle at `bundlePath` is imported by. */
  bind(jobId: string, bundlePath: string): string {
    this.binds++;
    return pathToFileURL(bundlePath).href + (this.binds > 1 ? `?job=${encodeURIComponent(jobId)}` : '');
  }

  /** The bound job's bundle was imported: `chars` characters of code this thread now holds. */
  imported(chars: number): void {
    this.chars += chars;
  }

  /** Why this thread may serve no further job (it served its share, or imported its share), or undefined. */
  exhausted(): string | undefined {
    if (this.binds >= MAX_JOBS_PER_THREAD) return `the thread served ${this.binds} jobs`;
    if (this.chars >= MAX_IMPORTED_CHARS) return `the thread imported ${this.chars} characters of job bundles`;
    return undefined;
  }
}
