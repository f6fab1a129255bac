/**
 * Why a driver has no job of a given id, for the clients that name one (`sluice attach`,
 * `sluice stop`, the REST API, the web UI), and what `sluice jobs` says of the earlier
 * driver's jobs after a restart on a --state-dir.
 *
 * A job id is `job-NNNN-xxxxxx`: its number NNNN is the driver's count of submissions, which a
 * driver on a --state-dir takes over from the earlier driver that used the directory
 * (DriverStateStore.earlierJobNumbers), so a number tells whose the job was: below the
 * numbers this driver gave, an earlier driver's (relaunched if it was running when that one
 * stopped, else gone: a restarted driver keeps no ended job, as Spark's standalone master
 * recovers running applications and workers, not completed ones); among them, this driver's
 * (gone only past --retained-jobs); above them, no job's. A driver without --state-dir numbers
 * from 1 again, so the same number may have been an earlier driver's job: the reason says so.
 * Pure functions of what the driver knows; no state.
 */

/** What the driver knows about the job numbers it gave and keeps. */
export interface JobNumbering {
  /** The ids of the jobs the driver keeps (running ones, and its last --retained-jobs finished). */
  readonly kept: Iterable<string>;
  /** The ids of the earlier driver's jobs this one relaunched (kept or not since). */
  readonly relaunched: ReadonlySet<string>;
  /** The number the driver gives its next job. */
  readonly nextNumber: number;
  /** When this driver started (ms since the epoch, its clock). */
  readonly startedAt: number;
  /** Its --state-dir, if it has one. */
  readonly stateDir: string | undefined;
  /** Set when an earlier driver used the --state-dir: it numbered its jobs below this. */
  readonly earlierBelow: number | undefined;
  /** With earlierBelow: the first number the last driver before this one gave (1 when unknown); below it, drivers before that one, whose restarts told of their jobs. */
  readonly earlierFrom?: number | undefined;
  /** How many jobs ended on this driver (relaunched ones too). */
  readonly endedHere?: number;
  /** Finished jobs the driver keeps (--retained-jobs). */
  readonly retainedJobs: number;
}

const JOB_ID = /^job-(\d{4,})-[0-9a-f]{6}$/;

/** The number of a job id (`job-0003-538e2c`: 3), or undefined for another string. */
export function jobNumber(id: string): number | undefined {
  const m = JOB_ID.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** A time of the driver's clock as `2026-12-07 07:55:12 UTC`. */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `job-0003`, as an id's number is printed. */
const numbered = (n: number): string => `job-${String(n).padStart(4, '0')}`;

/**
 * Why the driver has no job `id` (it has none of that id: the caller checked), as a clause
 * to follow "the driver has no job 'ID': ".
 */
export function missingJobReason(id: string, f: JobNumbering): string {
  const n = jobNumber(id);
  if (n === undefined) return `'${id.slice(0, 100)}' is not a job id: ids look like job-0001-5b6f72, as sluice submit and sluice jobs print them`;
  const firstOwn = f.earlierBelow ?? 1;
  const noStateDir = f.stateDir === undefined ? `; this driver started at ${utcTime(f.startedAt)} without --state-dir: an earlier driver's jobs went with it, and its job numbers start from 1 again` : '';
  const same = [...f.kept].find((k) => jobNumber(k) === n);
  if (same !== undefined) return `the job it numbered ${n} is ${same} (is the id mistyped?)${noStateDir}`;
  if (n < firstOwn && !f.relaunched.has(id)) {
    return (
      `${numbered(n)} was submitted to an earlier driver on its --state-dir ${f.stateDir ?? ''}, before this driver started at ${utcTime(f.startedAt)}: ` +
      "a restarted driver relaunches only the jobs that were running when the earlier one stopped (not a sluice shell's), " +
      'and has nothing of those that had ended (succeeded, failed or stopped: their output, figures and error went with the earlier driver), ' +
      "as Spark's standalone master recovers running applications, not completed ones"
    );
  }
  if (n >= f.nextNumber) {
    const last = f.nextNumber > 1 ? `the last number it gave is ${f.nextNumber - 1}` : 'it has numbered no job yet';
    return `no job numbered ${n} was submitted to it: ${last}${noStateDir}`;
  }
  return `${numbered(n)} ended and is no longer kept: this driver keeps ${f.retainedJobs === 1 ? 'its last finished job' : `its last ${f.retainedJobs} finished jobs`} (sluice driver --retained-jobs)${noStateDir}`;
}

/** `1-3, 5, 8-9`: sorted whole numbers as ranges, at most `most` of them (then `...`). */
function ranges(numbers: readonly number[], most = 8): string {
  const out: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    out.push(i === j ? String(numbers[i]) : `${numbers[i]}-${numbers[j]}`);
    i = j + 1;
  }
  return out.length > most ? `${out.slice(0, most).join(', ')}, ...` : out.join(', ');
}

/**
 * For `sluice jobs` after a restart on a --state-dir: which of the earlier driver's jobs this
 * one does not have and why, or undefined when it has them all (or no earlier driver used it).
 *
 * Said of the last earlier driver's jobs alone (numbered from earlierFrom): a driver restarted
 * again does not repeat what the restart before told of its predecessor's (before, the note
 * named every job since the directory was new, for as long as the driver ran). And said while those jobs would
 * still be listed had the driver not restarted: a driver lists its last --retained-jobs finished
 * jobs, so once that many ended here, they would have left the list, and so does the note (a
 * job named to `sluice attach`, `sluice stop` or the REST API is still told of: missingJobReason).
 */
export function earlierJobsNote(f: JobNumbering): string | undefined {
  if (f.earlierBelow === undefined || f.earlierBelow <= 1) return undefined;
  const ended = f.endedHere ?? 0;
  if (ended >= f.retainedJobs) return undefined;
  const relaunched = new Set([...f.relaunched].map((id) => jobNumber(id)));
  const gone: number[] = [];
  const from = Math.max(1, f.earlierFrom ?? 1);
  for (let n = from; n < f.earlierBelow; n++) if (!relaunched.has(n)) gone.push(n);
  if (gone.length === 0) return undefined;
  const left = f.retainedJobs - ended;
  return (
    `this driver started at ${utcTime(f.startedAt)} on the --state-dir ${f.stateDir ?? ''} of an earlier driver: ` +
    `it relaunched ${f.relaunched.size === 0 ? 'no job (none was running when that one stopped)' : `the ${f.relaunched.size === 1 ? 'job' : `${f.relaunched.size} jobs`} running when that one stopped`}, ` +
    `and has nothing of its ${gone.length === 1 ? 'job' : `${gone.length} jobs`} numbered ${ranges(gone)}, which had ended (or were sluice shells): ` +
    'a restarted driver keeps no ended job (README: Driver restarts). ' +
    `Said until ${left === 1 ? 'a job ends' : `${left} more jobs end`} here, when ${gone.length === 1 ? 'it' : 'they'} would have left this list (--retained-jobs ${f.retainedJobs})`
  );
}
