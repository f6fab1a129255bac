import { EXECUTOR_ENV_PREFIX, SluiceError, executorEnvProblem } from '@sluice/core/internal';
import { DEFAULT_EXCLUDE_ON_FAILURE, EXCLUDE_ON_FAILURE_KEYS, type ExcludeOnFailureConf } from '@sluice/driver/defaults';
import { sparkTimeStringMs } from './spark-time.js';

/**
 * The Spark settings `sluice run` and `sluice driver` take as `--conf KEY=VALUE`, as
 * spark-submit does, and what each becomes on the driver. Every other key is refused here,
 * naming where Sluice sets it (spark-conf-keys.ts), and nothing runs.
 *
 * - `spark.locality.wait`, `spark.locality.wait.process`: how long a task that prefers a
 *   worker (its cached partition or received block is there) waits for a slot there before it
 *   runs anywhere (Spark's TaskSetManager.localityWaits; `.process` wins over the general key,
 *   as Spark's getLocalityWait reads it). Sluice has one level, the worker (PROCESS_LOCAL).
 * - `spark.locality.wait.node`: 0 only ("skip node locality", as the configuration guide
 *   suggests it): Sluice has no node level to wait at; any other wait is refused.
 * - `spark.locality.wait.rack`: taken and without effect, as Spark's on a cluster with no rack
 *   information (no RACK_LOCAL level is valid there): Sluice has no racks.
 * - `spark.locality.wait.legacyResetOnTaskLaunch`: false only (Spark's default, how Sluice
 *   restarts the wait); true, the legacy restart on every launch, is refused as not provided.
 * - `spark.default.parallelism`: sc.defaultParallelism of every job the driver runs.
 * - `spark.broadcast.compress`: whether every job's broadcast values are kept and sent to the
 *   workers LZ4-compressed (default true, Spark's: README's Tuning table has the figures).
 * - `spark.checkpoint.compress`: whether every job's RDD checkpoints (a stream's state
 *   checkpoints among them) are written LZ4-compressed (default false, Spark's).
 * - `spark.rdd.compress`: whether every job's persisted RDDs keep their blocks LZ4-compressed
 *   (default false, Spark's).
 * - `spark.cleaner.referenceTracking`: whether every job cleans what its program can no longer
 *   reach once garbage collected (shuffles, persisted RDDs, broadcasts; Spark's ContextCleaner;
 *   default true, Spark's). `.blocking` is taken and without effect: the cleaning never waits in
 *   the program (as Spark's, whose cleaner thread alone waits with it true).
 * - `spark.shuffle.reduceLocality.enabled`: whether a shuffle's reduce tasks prefer the workers
 *   holding much of their input (default true, Spark's).
 * - `spark.excludeOnFailure.enabled` (default false, Spark's) and its limits (`.task.*`,
 *   `.stage.*`, `.application.*`, `.timeout`, `.application.fetchFailure.enabled`): a worker that
 *   keeps failing tasks is offered no more of them (the driver's exclude-on-failure.ts); the limits
 *   are taken whether or not it is enabled, and used only when it is, as Spark's.
 *   `.killExcludedExecutors`: an excluded worker is released as `sluice workers decommission`
 *   releases it (the driver's DriverNode.exclusionChanged).
 * - `spark.streaming.gracefulStopTimeout`: how long a stop asked of a streaming job's program
 *   (`sluice stop`, graceful or not, a signal to `sluice run`, a graceful stop a restarted
 *   driver relaunches to finish) may take before the driver cancels the program, saying what
 *   that leaves (default 60 s; Spark's default is 10 batch intervals).
 * - `spark.executorEnv.NAME` (sluice run and sluice submit only: a job's, as Spark's per
 *   application): NAME=value in the process.env of that job's task and receiver threads on
 *   every worker, not in other jobs' nor in the worker process's own (core's executor-env.ts);
 *   what a task thread cannot honour (NODE_OPTIONS, TZ, LD_*, ...) is refused naming why.
 */
export interface SparkConfSettings {
  /** spark.locality.wait (ms). */
  readonly localityWaitMs?: number;
  /** spark.locality.wait.process (ms): wins over localityWaitMs. */
  readonly localityWaitProcessMs?: number;
  /** spark.default.parallelism. */
  readonly defaultParallelism?: number;
  /** spark.broadcast.compress. */
  readonly broadcastCompress?: boolean;
  /** spark.checkpoint.compress. */
  readonly checkpointCompress?: boolean;
  /** spark.rdd.compress. */
  readonly rddCompress?: boolean;
  /** spark.cleaner.referenceTracking. */
  readonly referenceTracking?: boolean;
  /** spark.shuffle.reduceLocality.enabled. */
  readonly reduceLocality?: boolean;
  /** spark.excludeOnFailure.enabled. */
  readonly excludeOnFailure?: boolean;
  /** The spark.excludeOnFailure limits given (used when it is enabled). */
  readonly excludeOnFailureLimits?: Partial<ExcludeOnFailureConf>;
  /** spark.executorEnv.NAME=value, by NAME (the job's executor environment). */
  readonly executorEnv?: Readonly<Record<string, string>>;
  /** spark.streaming.gracefulStopTimeout (ms). */
  readonly gracefulStopTimeoutMs?: number;
}

/**
 * A time as Spark reads spark.locality.wait (JavaUtils.timeStringAsMs: sparkTimeStringMs);
 * a fraction ('1.5s'), a space inside, an unknown unit or a negative time is
 * SLUICE_BAD_ARGUMENT naming the key.
 */
export function sparkTimeMs(key: string, value: string): number {
  const ms = sparkTimeStringMs(value, 'ms');
  if (ms === undefined) {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `--conf ${key}=${value.slice(0, 100)}: not a time; Spark's form is a whole number and a unit, or milliseconds alone: '3s', '500ms', '0' (units us, ms, s, m or min, h, d)`,
    );
  }
  return ms;
}

/** The settings so far with `--conf given` added (commander's option parser: one call a --conf). */
export function addSparkConf(given: string, previous: SparkConfSettings): SparkConfSettings {
  const eq = given.indexOf('=');
  if (eq < 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `'--conf ${given.slice(0, 100)}' has no '=': spark-submit's takes KEY=VALUE`);
  const key = given.slice(0, eq).trim();
  const value = given.slice(eq + 1);
  if (key.startsWith(EXECUTOR_ENV_PREFIX)) {
    const name = key.slice(EXECUTOR_ENV_PREFIX.length);
    const problem = executorEnvProblem(name, value);
    if (problem !== undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', `--conf ${key.slice(0, 120)}: ${problem}`);
    return { ...previous, executorEnv: { ...previous.executorEnv, [name]: value } };
  }
  switch (key) {
    case 'spark.locality.wait':
      return { ...previous, localityWaitMs: sparkTimeMs(key, value) };
    case 'spark.locality.wait.process':
      return { ...previous, localityWaitProcessMs: sparkTimeMs(key, value) };
    case 'spark.locality.wait.node':
      if (sparkTimeMs(key, value) !== 0) {
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `--conf ${key}=${value.slice(0, 100)}: Sluice has no node level: a task that prefers a worker waits there (PROCESS_LOCAL), then runs anywhere (ANY); give the whole wait as spark.locality.wait.process or spark.locality.wait (0 here, skipping node locality, is taken)`,
        );
      }
      return previous;
    case 'spark.locality.wait.rack':
      // Spark without rack information has no RACK_LOCAL level, and this wait is never read.
      sparkTimeMs(key, value);
      return previous;
    case 'spark.locality.wait.legacyResetOnTaskLaunch':
      // Spark's default, false, is how Sluice restarts the wait (TaskSetManager.endOfferRound).
      if (sparkBoolean(key, value)) {
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `--conf ${key}=${value.slice(0, 100)}: not provided: Sluice restarts the locality wait as Spark's default (false) does, after a scheduling pass that launched a task of the stage and refused no free core for locality; the legacy restart on every launch is not implemented (remove the setting, or give false)`,
        );
      }
      return previous;
    case 'spark.default.parallelism': {
      const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < 1) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `--conf ${key}=${value.slice(0, 100)}: give a whole number of partitions, 1 or more ('--conf ${key}=8')`);
      }
      return { ...previous, defaultParallelism: n };
    }
    case 'spark.broadcast.compress':
      return { ...previous, broadcastCompress: sparkBoolean(key, value) };
    case 'spark.streaming.gracefulStopTimeout': {
      const ms = sparkTimeMs(key, value);
      if (ms < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `--conf ${key}=${value.slice(0, 100)}: give a time of 1 ms or more ('--conf ${key}=2m'): how long a stop may take before the driver cancels the job's program`);
      return { ...previous, gracefulStopTimeoutMs: ms };
    }
    case 'spark.checkpoint.compress':
      return { ...previous, checkpointCompress: sparkBoolean(key, value) };
    case 'spark.rdd.compress':
      return { ...previous, rddCompress: sparkBoolean(key, value) };
    case 'spark.cleaner.referenceTracking':
      return { ...previous, referenceTracking: sparkBoolean(key, value) };
    case 'spark.cleaner.referenceTracking.blocking':
      // Spark's cleaner thread waits for each removal with it; the program never waits here.
      sparkBoolean(key, value);
      return previous;
    case 'spark.shuffle.reduceLocality.enabled':
      return { ...previous, reduceLocality: sparkBoolean(key, value) };
    case 'spark.excludeOnFailure.enabled':
      return { ...previous, excludeOnFailure: sparkBoolean(key, value) };
    case 'spark.excludeOnFailure.application.fetchFailure.enabled':
      return { ...previous, excludeOnFailureLimits: { ...previous.excludeOnFailureLimits, fetchFailure: sparkBoolean(key, value) } };
    case 'spark.excludeOnFailure.timeout':
      return { ...previous, excludeOnFailureLimits: { ...previous.excludeOnFailureLimits, timeoutMs: sparkTimeMs(key, value) } };
    case 'spark.excludeOnFailure.killExcludedExecutors':
      return { ...previous, excludeOnFailureLimits: { ...previous.excludeOnFailureLimits, killExcludedExecutors: sparkBoolean(key, value) } };
    default: {
      const field = (Object.keys(EXCLUDE_ON_FAILURE_KEYS) as (keyof typeof EXCLUDE_ON_FAILURE_KEYS)[]).find((f) => EXCLUDE_ON_FAILURE_KEYS[f] === key);
      if (field !== undefined && field !== 'timeoutMs') return { ...previous, excludeOnFailureLimits: { ...previous.excludeOnFailureLimits, [field]: sparkInt(key, value) } };
      // spark-properties.ts' table passes only the keys above as --conf: another one here is
      // a mismatch between the two, not the user's mistake.
      throw new SluiceError('SLUICE_INTERNAL', `--conf ${key.slice(0, 100)} reached the driver's settings, which are only ${SETTABLE}: the properties table passed a key they do not take (a Sluice bug; please report it)`);
    }
  }
}

/** An int as Spark's intConf reads it (Integer.parseInt of the trimmed text); else SLUICE_BAD_ARGUMENT in Spark's words. */
function sparkInt(key: string, value: string): number {
  const t = value.trim();
  const n = Number(t);
  if (!/^[+-]?\d+$/.test(t) || n < -2147483648 || n > 2147483647) throw new SluiceError('SLUICE_BAD_ARGUMENT', `--conf ${key}=${value.slice(0, 100)}: ${key} should be int, but was '${value.slice(0, 100)}'`);
  return n;
}

/** The driver's spark.excludeOnFailure settings the settings give: undefined unless enabled (Spark's default, off); the limits not given are Spark's defaults. */
export function excludeOnFailureOf(s: SparkConfSettings): ExcludeOnFailureConf | undefined {
  return s.excludeOnFailure === true ? { ...DEFAULT_EXCLUDE_ON_FAILURE, ...s.excludeOnFailureLimits } : undefined;
}

/** A boolean as Spark's booleanConf reads it: true or false, any case, surrounding space ignored; else SLUICE_BAD_ARGUMENT naming the key. */
function sparkBoolean(key: string, value: string): boolean {
  const b = value.trim().toLowerCase();
  if (b !== 'true' && b !== 'false') throw new SluiceError('SLUICE_BAD_ARGUMENT', `--conf ${key}=${value.slice(0, 100)}: not a boolean; give true or false`);
  return b === 'true';
}

/** The keys addSparkConf takes, as its refusal lists them. */
const SETTABLE = 'spark.locality.wait, spark.locality.wait.process (.node: 0; .rack: no effect; .legacyResetOnTaskLaunch: false), spark.default.parallelism, spark.broadcast.compress, spark.checkpoint.compress, spark.rdd.compress, spark.shuffle.reduceLocality.enabled, spark.excludeOnFailure.* and spark.cleaner.referenceTracking (.blocking: no effect)';

/** The locality wait the settings give (ms), or undefined for the driver's default. */
export function localityWaitOf(s: SparkConfSettings): number | undefined {
  return s.localityWaitProcessMs ?? s.localityWaitMs;
}
