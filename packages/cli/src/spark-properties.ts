import os from 'node:os';
import { driverAddressProblem } from './driver-address.js';
import { masterUrlFor } from './spark-master-url.js';
import { sparkTimeStringMs } from './spark-time.js';
import { EXECUTOR_ENV_PREFIX } from '@sluice/core/internal';

/** The commands that read a properties file, as spark-submit, spark-shell and the standalone master do. */
export type PropertiesCommand = 'run' | 'submit' | 'driver' | 'shell';

/** What a Spark property becomes on a command: that command's option tokens, or why it is refused there. */
export type PropertyOutcome = { readonly tokens: readonly string[] } | { readonly refused: string };

/** Every property of the file, for the properties that depend on another (spark.ui.enabled on spark.ui.port). */
type Properties = ReadonlyMap<string, string>;

type Mapper = (value: string, all: Properties) => PropertyOutcome;

const take = (...tokens: string[]): PropertyOutcome => ({ tokens });
const refuse = (refused: string): PropertyOutcome => ({ refused });

/** A Spark boolean ('true' / 'false', any case, as Spark's ConfigBuilder.booleanConf reads it): the option's tokens when true. */
function flag(whenTrue: readonly string[], whenFalse: readonly string[] = []): Mapper {
  return (v) => {
    const b = v.trim().toLowerCase();
    if (b === 'true') return take(...whenTrue);
    if (b === 'false') return take(...whenFalse);
    return refuse(`'${v.slice(0, 100)}' is not a boolean: give true or false`);
  };
}

/** A value passed to the option as it is (the option checks it). */
const as = (option: string): Mapper => (v) => take(option, v.trim());

/** A property passed as `--conf KEY=VALUE`, the value as it is (--conf checks it). */
const asConf = (key: string): Mapper => (v) => take('--conf', `${key}=${v.trim()}`);

/** A Spark time ('25ms', '5s', '10min', '3h'; a number alone in `unit`, as Spark's timeConf takes it) as the option's whole milliseconds. */
function millis(option: string, unit: 'ms' | 's'): Mapper {
  return (v) => {
    const ms = sparkTimeStringMs(v, unit);
    if (ms === undefined) return refuse(`'${v.slice(0, 100)}' is not a time: give '500ms', '10s', '2min' (a number alone is in ${unit === 'ms' ? 'milliseconds' : 'seconds'}, as Spark reads it)`);
    return take(option, String(ms));
  };
}

/** spark.master local, local[N] or local[*] as the local cluster's --workers (the command's own cluster). */
function localMaster(command: string): Mapper {
  return (v) => {
    const local = /^\s*local(?:\[(\d+|\*)\])?\s*$/.exec(v);
    if (!local) return refuse(`${command}'s cluster is local: ${masterUrlFor(v)}`);
    return take('--workers', local[1] === undefined ? '1' : local[1] === '*' ? String(os.availableParallelism()) : local[1]);
  };
}

/** Spark's log levels (log4j's) as `--log-level` takes them. */
const LOG_LEVELS: Readonly<Record<string, string>> = { ALL: 'trace', TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'error', OFF: 'silent' };

const logLevel: Mapper = (v) => {
  const level = LOG_LEVELS[v.trim().toUpperCase()];
  return level === undefined ? refuse(`'${v.slice(0, 100)}' is not a log level: ${Object.keys(LOG_LEVELS).join(', ')}`) : take('--log-level', level);
};

/** spark.shuffle.spill.compress: a map task's spills are runs of its map output, compressed exactly when spark.shuffle.compress says (false when absent, Sluice's default). */
const spillCompress: Mapper = (v, all) => {
  const b = v.trim().toLowerCase();
  if (b !== 'true' && b !== 'false') return refuse(`'${v.slice(0, 100)}' is not a boolean: give true or false`);
  const shuffle = (all.get('spark.shuffle.compress') ?? 'false').trim().toLowerCase();
  return b === shuffle ? take() : refuse(`a map task's spills are runs of its map output, compressed exactly when it is: give spark.shuffle.compress ${b} (it is ${shuffle} here)`);
};

/** spark.io.compression.codec: lz4 (its short name or Spark's class name), the one codec. */
const ioCodec: Mapper = (v) => {
  const c = v.trim();
  return c.toLowerCase() === 'lz4' || c === 'org.apache.spark.io.LZ4CompressionCodec'
    ? take()
    : refuse(`'${c.slice(0, 100)}' is not provided: the one codec is lz4 (of spark.shuffle.compress, 'sluice run --shuffle-compress', and spark.broadcast.compress); zstd, snappy and lzf are not implemented`);
};

/** spark.shuffle.checksum.algorithm: CRC32, the one Sluice writes (Spark's default ADLER32 and CRC32C are not implemented). */
const checksumAlgorithm: Mapper = (v) =>
  v.trim().toUpperCase() === 'CRC32' ? take() : refuse(`'${v.slice(0, 100)}' is not provided: the one shuffle checksum algorithm is CRC32 (give spark.shuffle.checksum.algorithm CRC32, or leave it out); ADLER32 and CRC32C are not implemented`);

const uiPort: Mapper = (v, all) => ((all.get('spark.ui.enabled') ?? '').trim().toLowerCase() === 'false' ? take() : take('--web-port', v.trim()));

/**
 * The Spark properties a command takes from a properties file, and the option of that command
 * each one is given as (before the command line's own options, so a flag given there wins, as
 * spark-submit's flags win over spark-defaults.conf). A property not listed for a command is
 * refused there (spark-conf-keys says where Sluice sets it instead).
 */
const PROPERTY_OPTIONS: Readonly<Record<string, Partial<Record<PropertiesCommand, Mapper>>>> = {
  'spark.app.name': { run: as('--name'), submit: as('--name') },
  'spark.master': {
    run: localMaster('sluice run'),
    shell: localMaster('sluice shell'),
    submit: (v) => {
      const spark = /^\s*spark:\/\/([^,/]+)\s*$/.exec(v);
      if (!spark || driverAddressProblem(spark[1]) !== undefined) return refuse(`sluice submit sends the job to a standing driver: ${masterUrlFor(v)}`);
      return take('--driver', spark[1]);
    },
  },
  'spark.executor.instances': { run: as('--workers'), shell: as('--workers') },
  'spark.executor.cores': { run: as('--cores'), shell: as('--cores') },
  'spark.task.maxFailures': { run: as('--task-max-failures'), driver: as('--task-max-failures') },
  'spark.stage.maxConsecutiveAttempts': { run: as('--stage-max-consecutive-attempts'), driver: as('--stage-max-consecutive-attempts') },
  'spark.speculation': { run: flag(['--speculation']), driver: flag(['--speculation']) },
  'spark.speculation.quantile': { run: as('--speculation-quantile'), driver: as('--speculation-quantile') },
  'spark.speculation.multiplier': { run: as('--speculation-multiplier'), driver: as('--speculation-multiplier') },
  'spark.speculation.minTaskRuntime': { run: millis('--speculation-min-runtime', 'ms'), driver: millis('--speculation-min-runtime', 'ms') },
  'spark.driver.maxResultSize': { run: as('--max-result-size'), driver: as('--max-result-size') },
  'spark.streaming.ui.retainedBatches': { run: as('--retained-batches'), driver: as('--retained-batches') },
  'spark.streaming.stopGracefullyOnShutdown': { run: flag(['--stop-gracefully-on-shutdown']) },
  // spark.ui.enabled false turns the UI off whatever port the file names, as Spark's.
  'spark.ui.port': { run: uiPort, driver: uiPort, shell: uiPort },
  'spark.ui.enabled': {
    // sluice run serves a UI only on --web-port (spark.ui.port); a standing driver serves one unless --web-port 0.
    run: (v, all) =>
      v.trim().toLowerCase() === 'true' && !all.has('spark.ui.port')
        ? refuse("sluice run serves its web UI only on a port given: 'sluice run --web-port PORT' (spark.ui.port PORT in the file)")
        : flag([])(v, all),
    driver: flag([], ['--web-port', '0']),
  },
  'spark.ui.showConsoleProgress': { run: flag([], ['--no-progress']), submit: flag([], ['--no-progress']) },
  'spark.log.level': { run: logLevel, driver: logLevel, shell: logLevel },
  'spark.shuffle.spill.numElementsForceSpillThreshold': { run: as('--shuffle-spill-records') },
  'spark.shuffle.compress': { run: flag(['--shuffle-compress']) },
  'spark.shuffle.spill.compress': { run: spillCompress },
  'spark.shuffle.checksum.enabled': { run: flag([], ['--no-shuffle-checksum']) },
  'spark.shuffle.checksum.algorithm': { run: checksumAlgorithm, driver: checksumAlgorithm, shell: checksumAlgorithm },
  'spark.io.compression.codec': { run: ioCodec, driver: ioCodec, shell: ioCodec },
  'spark.driver.supervise': { submit: flag(['--supervise']) },
  'spark.driver.port': { driver: as('--port') },
  'spark.driver.bindAddress': { driver: as('--bind') },
  'spark.master.ui.port': { driver: as('--web-port') },
  'spark.executor.heartbeatInterval': { driver: millis('--heartbeat-ms', 'ms') },
  'spark.worker.timeout': { driver: millis('--worker-timeout-ms', 's') },
  'spark.starvation.timeout': { driver: millis('--starvation-timeout-ms', 'ms') },
  'spark.deploy.recoveryDirectory': { driver: as('--state-dir') },
  // The standalone master's finished applications kept; a --retained-jobs given on the command line wins, as every flag over its property.
  'spark.deploy.retainedApplications': { driver: as('--retained-jobs') },
  'spark.streaming.dynamicAllocation.minExecutors': { driver: as('--min-workers') },
  'spark.streaming.dynamicAllocation.maxExecutors': { driver: as('--max-workers') },
  'spark.decommission.enabled': { driver: flag([], ['--no-decommission']) },
  // Taken as --conf KEY=VALUE (spark-conf-settings.ts checks the value): a --conf on the command line comes after, and wins.
  'spark.locality.wait': { run: asConf('spark.locality.wait'), driver: asConf('spark.locality.wait'), shell: asConf('spark.locality.wait') },
  'spark.locality.wait.process': { run: asConf('spark.locality.wait.process'), driver: asConf('spark.locality.wait.process'), shell: asConf('spark.locality.wait.process') },
  'spark.locality.wait.node': { run: asConf('spark.locality.wait.node'), driver: asConf('spark.locality.wait.node'), shell: asConf('spark.locality.wait.node') },
  'spark.locality.wait.rack': { run: asConf('spark.locality.wait.rack'), driver: asConf('spark.locality.wait.rack'), shell: asConf('spark.locality.wait.rack') },
  'spark.locality.wait.legacyResetOnTaskLaunch': { run: asConf('spark.locality.wait.legacyResetOnTaskLaunch'), driver: asConf('spark.locality.wait.legacyResetOnTaskLaunch'), shell: asConf('spark.locality.wait.legacyResetOnTaskLaunch') },
  'spark.default.parallelism': { run: asConf('spark.default.parallelism'), driver: asConf('spark.default.parallelism'), shell: asConf('spark.default.parallelism'), submit: asConf('spark.default.parallelism') },
  'spark.broadcast.compress': { run: asConf('spark.broadcast.compress'), driver: asConf('spark.broadcast.compress'), shell: asConf('spark.broadcast.compress') },
  'spark.checkpoint.compress': { run: asConf('spark.checkpoint.compress'), driver: asConf('spark.checkpoint.compress'), shell: asConf('spark.checkpoint.compress') },
  'spark.rdd.compress': { run: asConf('spark.rdd.compress'), driver: asConf('spark.rdd.compress'), shell: asConf('spark.rdd.compress') },
  'spark.cleaner.referenceTracking': { run: asConf('spark.cleaner.referenceTracking'), driver: asConf('spark.cleaner.referenceTracking'), shell: asConf('spark.cleaner.referenceTracking') },
  'spark.streaming.gracefulStopTimeout': { run: asConf('spark.streaming.gracefulStopTimeout'), driver: asConf('spark.streaming.gracefulStopTimeout') },
  'spark.cleaner.referenceTracking.blocking': { run: asConf('spark.cleaner.referenceTracking.blocking'), driver: asConf('spark.cleaner.referenceTracking.blocking'), shell: asConf('spark.cleaner.referenceTracking.blocking') },
  'spark.shuffle.reduceLocality.enabled': { run: asConf('spark.shuffle.reduceLocality.enabled'), driver: asConf('spark.shuffle.reduceLocality.enabled'), shell: asConf('spark.shuffle.reduceLocality.enabled') },
  'spark.excludeOnFailure.enabled': { run: asConf('spark.excludeOnFailure.enabled'), driver: asConf('spark.excludeOnFailure.enabled'), shell: asConf('spark.excludeOnFailure.enabled') },
  'spark.excludeOnFailure.timeout': { run: asConf('spark.excludeOnFailure.timeout'), driver: asConf('spark.excludeOnFailure.timeout'), shell: asConf('spark.excludeOnFailure.timeout') },
  'spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor': { run: asConf('spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor'), driver: asConf('spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor'), shell: asConf('spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor') },
  'spark.excludeOnFailure.task.maxTaskAttemptsPerNode': { run: asConf('spark.excludeOnFailure.task.maxTaskAttemptsPerNode'), driver: asConf('spark.excludeOnFailure.task.maxTaskAttemptsPerNode'), shell: asConf('spark.excludeOnFailure.task.maxTaskAttemptsPerNode') },
  'spark.excludeOnFailure.stage.maxFailedTasksPerExecutor': { run: asConf('spark.excludeOnFailure.stage.maxFailedTasksPerExecutor'), driver: asConf('spark.excludeOnFailure.stage.maxFailedTasksPerExecutor'), shell: asConf('spark.excludeOnFailure.stage.maxFailedTasksPerExecutor') },
  'spark.excludeOnFailure.stage.maxFailedExecutorsPerNode': { run: asConf('spark.excludeOnFailure.stage.maxFailedExecutorsPerNode'), driver: asConf('spark.excludeOnFailure.stage.maxFailedExecutorsPerNode'), shell: asConf('spark.excludeOnFailure.stage.maxFailedExecutorsPerNode') },
  'spark.excludeOnFailure.application.maxFailedTasksPerExecutor': { run: asConf('spark.excludeOnFailure.application.maxFailedTasksPerExecutor'), driver: asConf('spark.excludeOnFailure.application.maxFailedTasksPerExecutor'), shell: asConf('spark.excludeOnFailure.application.maxFailedTasksPerExecutor') },
  'spark.excludeOnFailure.application.maxFailedExecutorsPerNode': { run: asConf('spark.excludeOnFailure.application.maxFailedExecutorsPerNode'), driver: asConf('spark.excludeOnFailure.application.maxFailedExecutorsPerNode'), shell: asConf('spark.excludeOnFailure.application.maxFailedExecutorsPerNode') },
  'spark.excludeOnFailure.application.fetchFailure.enabled': { run: asConf('spark.excludeOnFailure.application.fetchFailure.enabled'), driver: asConf('spark.excludeOnFailure.application.fetchFailure.enabled'), shell: asConf('spark.excludeOnFailure.application.fetchFailure.enabled') },
  'spark.excludeOnFailure.killExcludedExecutors': { run: asConf('spark.excludeOnFailure.killExcludedExecutors'), driver: asConf('spark.excludeOnFailure.killExcludedExecutors'), shell: asConf('spark.excludeOnFailure.killExcludedExecutors') },
};

/** What `key = value` of a properties file becomes on `command`, or undefined when that command takes no such property. */
export function propertyOption(command: PropertiesCommand, key: string, value: string, all: Properties): PropertyOutcome | undefined {
  // A job's executor environment (spark.executorEnv.NAME): a setting of the commands that start a job.
  if (key.startsWith(EXECUTOR_ENV_PREFIX)) return command === 'run' || command === 'submit' ? take('--conf', `${key}=${value}`) : undefined;
  return PROPERTY_OPTIONS[key]?.[command]?.(value, all);
}

/** The commands that take `key` from a properties file ('sluice run', ...), for a refusal on another. */
export function commandsTaking(key: string): string[] {
  if (key.startsWith(EXECUTOR_ENV_PREFIX)) return ['sluice run', 'sluice submit'];
  return Object.keys(PROPERTY_OPTIONS[key] ?? {}).map((c) => `sluice ${c}`);
}
