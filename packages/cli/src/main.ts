/**
 * The `sluice` command: thin over @sluice/driver and @sluice/worker.
 *
 *   sluice driver [--port 7077] [--state-dir DIR]     run a driver (with DIR: relaunches its jobs when started again)
 *   sluice worker --driver HOST:PORT --cores N        run a worker
 *   sluice init DIR                                   scaffold a typed job project
 *   sluice run [--workers 2] [--typecheck] job.ts [ARGS]   embedded local cluster + job (ARGS: the job's)
 *   sluice shell [--workers 2] [--cores 1]            a REPL with `sc` on an embedded local cluster (spark-shell)
 *   sluice submit --driver HOST:PORT job.ts [ARGS]    send a job to a running driver
 *   sluice workers --driver HOST:PORT                 list a driver's workers
 *   sluice jobs --driver HOST:PORT                    list jobs and their last batch's figures
 *   sluice stop JOB --driver HOST:PORT [--graceful]   stop a job
 *   sluice --version
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import { DEFAULT_DECOMMISSION_TIMEOUT_MS, DEFAULT_MAX_RESTARTS, DEFAULT_RETAINED_JOBS, DEFAULT_STARVATION_TIMEOUT_MS, DEFAULT_SUPERVISE_BACKOFF, DEFAULT_WORKER_TIMEOUT_MS, STOP_REQUEST_LIMIT_MS, formatWait } from '@sluice/driver/defaults';
import { DEFAULT_MAX_CALLS_PER_PEER, SluiceError, isSluiceError, parseByteSize, resolveSecret, routeGrpcLogs, toMillis, type SecurityConfig } from '@sluice/core/internal';
import { cliCode, cliThreadCode } from './cli-code.js';
import { driverAddress } from './driver-address.js';
import { driverFromStdin } from './driver-from-stdin.js';
import { failureTrace, jobErrorText } from './failure-trace.js';
import { initJob } from './init-job.js';
import { initNextSteps, sluiceOrigin } from './init-next-steps.js';
import { installIpCheckFastPath } from './ip-check-fast-path.js';
import { parseBundleLine } from './local-bundle-line.js';
import { arrangeJobArguments, jobArguments } from './job-arguments.js';
import { mapBundleStack } from './bundle-stack-traces.js';
import { createRootLogger } from './logger.js';
import { SluiceCommand } from './sluice-command.js';
import { addSparkConf, excludeOnFailureOf, localityWaitOf, type SparkConfSettings } from './spark-conf-settings.js';
import { ConsoleProgressBar, describeStages } from './stage-progress.js';
import { escapeControl } from './terminal-text.js';
import type { JobOutcome } from './submit-client.js';
import type { DriverOptions, SuperviseBackoff } from '@sluice/driver';
import { typecheckJob } from './typecheck-job.js';
import { checkJobFile } from './job-file.js';
import { handleClosedOutput, runCanStop } from './closed-output.js';
import { applyPropertiesFile } from './properties-file.js';

// What only some commands use is imported by those commands: esbuild (bundle-job) by
// run and submit, the driver by driver and run, the worker by worker, the gRPC client by
// the client commands, so a driver or a worker process starts (and a restarted driver
// listens) sooner.
// A job unchanged since its last run takes its bundle from the cache, without esbuild.
const bundleJob = async (file: string, log?: Logger): Promise<import('./bundle-job.js').JobBundle> => (await import('./job-bundle-cache.js')).cachedBundleJob(file, log);
const client = (): Promise<typeof import('./submit-client.js')> => import('./submit-client.js');

process.setSourceMapsEnabled(true);
// Before any server binds: grpc-js's isIPv6 questions about colon-free addresses, answered
// without compiling Node's IPv6 expression (12-18 ms of CPU a process).
installIpCheckFastPath();
// grpc-js passes an IP target as the TLS server name, which Node flags (DEP0123) on every
// connection; the certificate is still checked against the IP. Print other warnings as usual.
process.removeAllListeners('warning');
process.on('warning', (w: Error & { code?: string }) => {
  if (w.code !== 'DEP0123') process.stderr.write(`${w.name}: ${w.message}\n`);
});

/** What a server (driver, worker) takes: its log level, the secret, its certificate. */
interface ServerOpts {
  logLevel: string;
  secretFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** What a client of a driver (submit, workers, jobs, stop) takes: the secret and the CA to verify the driver by. */
interface ClientOpts {
  driver?: string;
  secretFile?: string;
  tlsCa?: string;
}

function security(o: { secretFile?: string; tlsCert?: string; tlsKey?: string; tlsCa?: string }): SecurityConfig {
  // One of the pair alone would leave the server listening in plaintext while its user believes it speaks TLS.
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) {
    const [given, missing] = o.tlsCert ? ['--tls-cert', '--tls-key'] : ['--tls-key', '--tls-cert'];
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${given} needs ${missing}: a server speaks TLS with both (it would listen in plaintext with one); give both PEM files, or neither`);
  }
  for (const [flag, file] of [['--tls-cert', o.tlsCert], ['--tls-key', o.tlsKey], ['--tls-ca', o.tlsCa]] as const) {
    if (!file) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${flag} '${file}' cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the path of a readable PEM file`, { cause: err });
    }
  }
  return { secret: resolveSecret({ secretFile: o.secretFile }), tls: o.tlsCert || o.tlsCa ? { cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa } : undefined };
}

const SECRET_FILE_HELP = 'file holding the cluster secret (default: $SLUICE_SECRET_FILE or $SLUICE_SECRET)';

function serverCommand(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log-level <level>', 'trace | debug | info | warn | error | silent').default(process.env.SLUICE_LOG_LEVEL ?? 'info'))
    .option('--secret-file <file>', SECRET_FILE_HELP)
    .option('--tls-cert <file>', "PEM certificate (servers) for TLS, with --tls-key (the driver's web UI too, over HTTPS)")
    .option('--tls-key <file>', 'PEM private key (servers) for TLS, with --tls-cert')
    .option('--tls-ca <file>', 'PEM CA certificate to verify TLS peers');
}

function clientCommand(cmd: Command): Command {
  return cmd
    .option('--driver <host:port>', 'driver address (required)')
    .option('--secret-file <file>', SECRET_FILE_HELP)
    .option('--tls-ca <file>', "PEM CA certificate to verify the driver's TLS certificate by (TLS is used when given)");
}

/** The --driver a client command was given; without one, what to do (and whether it went to the job by mistake). */
function driverOf(o: ClientOpts, command: string, jobArgs: readonly string[] = []): string {
  if (o.driver) return driverAddress(o.driver);
  const toJob = jobArgs.some((a) => a === '--driver' || a.startsWith('--driver='));
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    toJob
      ? `sluice ${command} needs --driver HOST:PORT before the job file: the --driver after it was passed to the job (sluice ${command} --driver HOST:PORT job.ts [job arguments])`
      : `sluice ${command} needs --driver HOST:PORT, the address of a running \`sluice driver\`${command === 'submit' ? ' (or run the job on a local cluster of its own, as spark-submit --master local[N]: sluice run job.ts)' : ''}`,
  );
}

const PROPERTIES_FILE_HELP =
  "Spark's properties file (spark-defaults.conf: 'key value' lines, # comments): the properties this command takes become its options, those given here win; any other fails naming where Sluice sets it (default: $SPARK_CONF_DIR/spark-defaults.conf when it exists; README: Configuration)";
const CONF_HELP =
  "a Spark property, as spark-submit's --conf (repeat for more): any this command takes from its properties file, as the same option (spark.app.name: --name; README: Configuration); over the file's line of that key, under the option given itself";
const NAME_HELP = "the job's name in 'sluice jobs', the web UI and the REST API (spark-submit's --name, spark.app.name; default: the job file's name)";

/** --name: a job's name, not empty. */
function jobName(v: string): string {
  if (v.trim() === '') throw new SluiceError('SLUICE_BAD_ARGUMENT', '--name must not be empty (without --name the job is named by its file)');
  return v;
}

/** --task-timeout: a duration ('30s', '2m', '500ms' or milliseconds). */
function taskTimeout(v: string): number {
  return toMillis(/^\d+$/.test(v) ? Number(v) : v, '--task-timeout');
}

/**
 * sluice worker --memory: Spark's worker --memory format, '2g', '1000m', '512k' (binary
 * units), in bytes; a number alone is MiB, as it always was here (Spark's would be bytes).
 */
function workerMemory(v: string): number {
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1024 * 1024;
  if (/^\s*\d+\s*[kmgt]b?\s*$/i.test(v)) return parseByteSize(v, '--memory');
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `--memory must be MiB ('1024') or a size with k, m, g or t ('2g', '1000m'), got '${v.slice(0, 100)}'`);
}

/** --max-result-size: Spark's spark.driver.maxResultSize, bytes or '1g', '512m' (0: no limit). */
function maxResultSize(v: string): number {
  return parseByteSize(v, '--max-result-size');
}

const MAX_RESULT_SIZE_HELP =
  "spark.driver.maxResultSize: an action whose tasks' results (encoded) add up to more than this fails with Spark's 'Total size of serialized results ... is bigger than spark.driver.maxResultSize' instead of filling the driver's memory ('1g', '512m', bytes; 0: no limit; default 1g)";

function peerConnectTimeout(v: string): number {
  return toMillis(/^\d+$/.test(v) ? Number(v) : v, '--peer-connect-timeout');
}

/** --speculation-quantile: a fraction of a stage's tasks, in (0, 1]. */
function quantile(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new Error(`--speculation-quantile must be a fraction of a stage's tasks above 0 and at most 1 (Spark's spark.speculation.quantile, default 0.75), got '${v}'`);
  return n;
}

function speculationMinRuntime(v: string): number {
  return toMillis(/^\d+$/.test(v) ? Number(v) : v, '--speculation-min-runtime');
}

/** Spark's spark.speculation settings, as `sluice driver` and `sluice run` take them. */
interface SpeculationOpts {
  speculation?: boolean;
  speculationQuantile?: number;
  speculationMultiplier?: number;
  speculationMinRuntime?: number;
  /** --task-max-failures: Spark's spark.task.maxFailures. */
  taskMaxFailures?: number;
  /** --stage-max-consecutive-attempts: Spark's spark.stage.maxConsecutiveAttempts. */
  stageMaxConsecutiveAttempts?: number;
}

/** The --conf option of `sluice run` and `sluice driver` (the shell declares its own). */
interface ConfOpts {
  /** --conf KEY=VALUE: the Spark settings taken (spark-conf-settings.ts). */
  conf?: SparkConfSettings;
}

/** Adds --speculation and its settings (Spark's spark.speculation.*; off by default, as Spark's). */
function speculationOptions(c: Command): Command {
  return c
    .option('--speculation', "run a copy of a straggling task on another worker, the first to finish kept (Spark's spark.speculation; default off, as Spark's: a task with side effects may then run twice)")
    .option('--speculation-quantile <q>', "with --speculation: the fraction of a stage's tasks that must finish before any is copied (spark.speculation.quantile; default 0.75)", quantile)
    .option('--speculation-multiplier <m>', "with --speculation: a task is a straggler once it runs this many times the finished tasks' median (spark.speculation.multiplier; default 1.5)", ratio('--speculation-multiplier'))
    .option('--speculation-min-runtime <duration>', "with --speculation: never copy a task that ran less than this ('500ms', '2s'; spark.speculation.minTaskRuntime; default 1s)", speculationMinRuntime)
    .option(
      '--task-max-failures <n>',
      "attempts of a task before its job fails with Spark's 'Task P in stage S failed N times' (Spark's spark.task.maxFailures; default 4, Spark's; 1: no retry)",
      atLeast('--task-max-failures', 1),
    )
    .option(
      '--stage-max-consecutive-attempts <n>',
      "attempts of a stage that fail on a shuffle fetch in a row before its job fails with Spark's 'has failed the maximum allowable number of times' (Spark's spark.stage.maxConsecutiveAttempts; default 4, Spark's; 1 or less: the first fetch failure fails the job)",
      javaInt('--stage-max-consecutive-attempts', 'spark.stage.maxConsecutiveAttempts'),
    )
    .option(
      '--conf <KEY=VALUE>',
      `${CONF_HELP}; also spark.locality.wait (or .process; how long a task that prefers a worker, its cached partition or received block there, waits for a slot there before it runs anywhere: '3s', '500ms', '0'; default 500ms), spark.default.parallelism (sc.defaultParallelism: parallelize's partitions, reduceByKey's without a count; default the cluster's cores, at least 2) spark.broadcast.compress (broadcast values LZ4-compressed; default true, Spark's), spark.shuffle.reduceLocality.enabled (a reduce task prefers the workers holding a fifth or more of its input; default true, Spark's), spark.excludeOnFailure.enabled (a worker that keeps failing tasks gets no more of them, for a stage or for 1 h; the limits as spark.excludeOnFailure.task.*, .stage.*, .application.*, .timeout; default false, Spark's), spark.checkpoint.compress (RDD and state checkpoints LZ4-compressed; default false, Spark's) and spark.cleaner.referenceTracking (false: the shuffles, persisted RDDs and broadcasts a program drops stay until its job ends; default true, Spark's), for every job of this driver`,
      (v: string, prev: SparkConfSettings | undefined) => addSparkConf(v, prev ?? {}),
    );
}

/** The driver's task options from --speculation* and --task-max-failures (only those given; a speculation setting without --speculation is refused). */
function speculationTaskOptions(o: SpeculationOpts): NonNullable<DriverOptions['tasks']> {
  const settings = (['speculationQuantile', 'speculationMultiplier', 'speculationMinRuntime'] as const).filter((k) => o[k] !== undefined);
  if (o.speculation !== true && settings.length > 0) {
    const flag = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${settings.map(flag).join(', ')} set${settings.length === 1 ? 's' : ''} how speculation copies tasks, and speculation is off: add --speculation (Spark's spark.speculation=true)`);
  }
  return {
    ...(o.speculation === true ? { speculation: true } : {}),
    ...(o.speculationQuantile !== undefined ? { speculationQuantile: o.speculationQuantile } : {}),
    ...(o.speculationMultiplier !== undefined ? { speculationMultiplier: o.speculationMultiplier } : {}),
    ...(o.speculationMinRuntime !== undefined ? { speculationMinMs: o.speculationMinRuntime } : {}),
    ...(o.taskMaxFailures !== undefined ? { maxFailures: o.taskMaxFailures } : {}),
    ...(o.stageMaxConsecutiveAttempts !== undefined ? { maxConsecutiveStageAttempts: o.stageMaxConsecutiveAttempts } : {}),
  };
}

/**
 * The driver options a command's --conf and properties file give its driver (sluice run, driver and shell alike):
 * spark.default.parallelism, spark.broadcast.compress, spark.checkpoint.compress, spark.rdd.compress, spark.cleaner.referenceTracking, spark.streaming.gracefulStopTimeout, and spark.locality.wait, spark.shuffle.reduceLocality.enabled and spark.excludeOnFailure.* added to the command's other task options.
 */
function confDriverOptions(conf: SparkConfSettings | undefined, tasks: NonNullable<DriverOptions['tasks']> = {}): Pick<DriverOptions, 'defaultParallelism' | 'broadcastCompress' | 'checkpointCompress' | 'rddCompress' | 'referenceTracking' | 'stopLimitMs' | 'tasks'> {
  const wait = conf === undefined ? undefined : localityWaitOf(conf);
  const exclude = conf === undefined ? undefined : excludeOnFailureOf(conf);
  return {
    ...(conf?.defaultParallelism === undefined ? {} : { defaultParallelism: conf.defaultParallelism }),
    tasks: { ...tasks, ...(wait === undefined ? {} : { localityWaitMs: wait }), ...(conf?.reduceLocality === undefined ? {} : { reduceLocality: conf.reduceLocality }), ...(exclude === undefined ? {} : { excludeOnFailure: exclude }) },
    ...(conf?.broadcastCompress === undefined ? {} : { broadcastCompress: conf.broadcastCompress }),
    ...(conf?.checkpointCompress === true ? { checkpointCompress: true } : {}),
    ...(conf?.rddCompress === true ? { rddCompress: true } : {}),
    ...(conf?.referenceTracking === false ? { referenceTracking: false } : {}),
    ...(conf?.gracefulStopTimeoutMs === undefined ? {} : { stopLimitMs: conf.gracefulStopTimeoutMs }),
  };
}

const TYPECHECK_HELP = "type-check the job with the TypeScript compiler of its project first (its tsconfig.json, or strict defaults); type errors are printed as file:line and nothing runs";

/**
 * How long `sluice run --stop-gracefully-on-shutdown` lets a graceful stop run after the signal
 * before it stops the cluster: 5 s past the driver's own bound (a program still running
 * STOP_REQUEST_LIMIT_MS after a stop request is cancelled), so the job ends as the driver ends it.
 */
const GRACEFUL_SHUTDOWN_LIMIT_S = STOP_REQUEST_LIMIT_MS / 1000 + 5;
const PROGRESS_HELP = "do not draw the stages' progress on stderr (drawn only when stderr is a terminal, for batch jobs)";

const TASK_TIMEOUT_HELP = "kill a task attempt running longer than this ('30s', '5m'); it counts as a failed attempt (default: no limit)";

function ratio(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number > 0 (a ratio of processing time to batch interval, such as 0.9), got '${v}'`);
    return n;
  };
}

/** A whole number from `min` up (a count of workers or cores). */
function atLeast(name: string, min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min}, got '${v}'`);
    return n;
  };
}

/**
 * Any value of a Spark int setting (its intConf: Java's Integer.parseInt of the trimmed text, no
 * range check beyond an int's), as Spark takes it; anything else is refused with Spark's words.
 */
function javaInt(name: string, key: string): (v: string) => number {
  return (v) => {
    const t = v.trim();
    const n = Number(t);
    if (!/^[+-]?\d+$/.test(t) || n < -2147483648 || n > 2147483647) throw new Error(`${name} must be a whole number (Spark's ${key} should be int, but was '${v}')`);
    return n;
  };
}

/** A TCP port: 0-65535 (0 where the option takes it as any free port, or off). */
function port(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number from 0 to 65535, got '${v}'`);
    return n;
  };
}

/** A SuperviseBackoff as --supervise-backoff-ms takes it: `FIRST,MAX,RESET` in ms. */
const backoffText = (b: SuperviseBackoff): string => `${b.firstMs},${b.maxMs},${b.resetAfterMs}`;

/** `--supervise-backoff-ms FIRST,MAX,RESET`: the waits before a supervised job's restarts (SuperviseBackoff). */
function superviseBackoff(v: string): SuperviseBackoff {
  const parts = v.split(',').map((x) => x.trim());
  const ms = parts.map(Number);
  if (parts.length !== 3 || ms.some((x, i) => parts[i] === '' || !Number.isSafeInteger(x) || x < 1)) {
    throw new Error(`--supervise-backoff-ms takes three whole numbers of ms >= 1, FIRST,MAX,RESET (the first restart's wait, the most a wait doubles to, and how long an attempt must run to start again from FIRST), got '${v}'; for example ${backoffText(DEFAULT_SUPERVISE_BACKOFF)} (the default)`);
  }
  const [firstMs, maxMs, resetAfterMs] = ms as [number, number, number];
  if (maxMs < firstMs) throw new Error(`--supervise-backoff-ms: MAX (${maxMs}) is below FIRST (${firstMs}); give MAX >= FIRST, for example ${firstMs},${firstMs * 64},${resetAfterMs}`);
  return { firstMs, maxMs, resetAfterMs };
}

function int(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

/** Print a failed job's error the way a user reads it: message, then their stack. */
function printFailure(outcome: JobOutcome): void {
  const f = outcome.failure!;
  const text = (s: string): string => escapeControl(s, { keepNewlines: true });
  process.stderr.write(`\nJob ${text(outcome.jobId ?? '')} failed [${text(f.code)}]: ${text(f.message)}\n`);
  // The frames point at the user's files; a cause's frames shared with its error print once.
  const trace = failureTrace(f.stack, f.message);
  if (trace.length > 0) process.stderr.write(`${text(trace.join('\n'))}\n`);
}

function onSignals(stop: () => Promise<void>, log: Logger, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): void {
  let stopping = false;
  for (const sig of signals) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'stopping');
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

/** This package's version (its package.json sits two levels above dist/src/main.js, in the repo and installed alike). */
const VERSION = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new SluiceCommand('sluice')
  .description('Micro-batch stream processing for TypeScript')
  .version(VERSION, '-V, --version', 'print the version of sluice')
  // Options of `sluice` itself only before a command, so `run` and `submit` can hand everything after the job file to the job.
  .enablePositionalOptions()
  .showHelpAfterError();

speculationOptions(serverCommand(program.command('driver').description('run a Sluice driver')))
  .option('--properties-file <file>', PROPERTIES_FILE_HELP)
  .option('--port <port>', 'gRPC port', port('--port'), 7077)
  .option('--web-port <port>', 'web UI and Prometheus /metrics port (0: off)', port('--web-port'), 4040)
  .option('--bind <host>', 'interface to listen on', '127.0.0.1')
  .option('--heartbeat-ms <ms>', 'worker heartbeat interval', int('--heartbeat-ms'), 1000)
  .option(
    '--worker-timeout-ms <ms>',
    'declare a silent worker lost after this long (a worker whose process died is noticed at once, without it)',
    int('--worker-timeout-ms'),
    DEFAULT_WORKER_TIMEOUT_MS,
  )
  .option(
    '--unseen-task-timeout-ms <ms>',
    "a task launched on a worker this long ago (and as many heartbeat intervals' worth of its heartbeats since) that the worker never reported is taken as never arrived: failed as lost there, the worker's connection opened anew, and the worker declared lost if it does not answer over it (spark.sluice.unseenTaskTimeout; default: the worker timeout)",
    int('--unseen-task-timeout-ms'),
  )
  .option(
    '--starvation-timeout-ms <ms>',
    "a stage none of whose tasks launched this long after its submission is logged at warn (and again each time as long again passes), saying why: no worker registered, none answering, or every core taken (spark.starvation.timeout; 0: never)",
    int('--starvation-timeout-ms'),
    DEFAULT_STARVATION_TIMEOUT_MS,
  )
  .option('--max-calls-per-peer <n>', 'gRPC calls one remote IP may have open at once', int('--max-calls-per-peer'), DEFAULT_MAX_CALLS_PER_PEER)
  .option(
    '--state-dir <dir>',
    'keep the registry of submitted jobs (bundle, args, checkpoint directory, --supervise) here; a driver started again on it relaunches every job that was running and not stopped, under the same id',
  )
  .option('--retained-batches <n>', "completed batches each streaming job's UI and REST API keep (Spark's spark.streaming.ui.retainedBatches)", int('--retained-batches'), 1000)
  .option(
    '--supervise-backoff-ms <first,max,reset>',
    `waits before a --supervise job restarts: FIRST after its first failure, doubling with each restart up to MAX, and FIRST again after an attempt that ran RESET or longer (as Spark's DriverRunner backs off; default ${backoffText(DEFAULT_SUPERVISE_BACKOFF)})`,
    superviseBackoff,
  )
  .option(
    '--retained-jobs <n>',
    "finished jobs `sluice jobs`, the UI, REST API and /metrics keep, each with its actions, stages and batches; past it the oldest is forgotten, its bundle with it (Spark's spark.deploy.retainedApplications; running jobs are always kept)",
    int('--retained-jobs'),
    DEFAULT_RETAINED_JOBS,
  )
  .option('--min-workers <n>', 'sluice_desired_workers never goes below this (spark.streaming.dynamicAllocation.minExecutors)', int('--min-workers'), 1)
  .option('--max-workers <n>', 'sluice_desired_workers never goes above this (maxExecutors; default: no limit)', int('--max-workers'))
  .option('--scaling-up-ratio <r>', 'ask for more workers when batch processing time / batch interval reaches this (scalingUpRatio)', ratio('--scaling-up-ratio'), 0.9)
  .option('--scaling-down-ratio <r>', 'ask for one worker fewer when that ratio is at most this (scalingDownRatio)', ratio('--scaling-down-ratio'), 0.3)
  .option('--scaling-interval-ms <ms>', 'decide sluice_desired_workers anew this often, from the batches completed since (scalingInterval)', int('--scaling-interval-ms'), 60_000)
  .option(
    '--decommission-timeout-ms <ms>',
    'a worker leaving gracefully (SIGTERM, `sluice workers decommission`) that has not moved its receivers, finished its tasks and copied its blocks within this is declared lost; keep it below the orchestrator grace period (terminationGracePeriodSeconds)',
    int('--decommission-timeout-ms'),
    DEFAULT_DECOMMISSION_TIMEOUT_MS,
  )
  .option('--max-result-size <size>', MAX_RESULT_SIZE_HELP, maxResultSize)
  .option('--no-decommission', 'a worker that gets SIGTERM leaves at once, as a lost worker (spark.decommission.enabled=false)')
  .option('--no-decommission-blocks', 'a leaving worker does not copy its received and cached blocks (they are read from replicas or recomputed; spark.storage.decommission.rddBlocks.enabled=false)')
  .option('--no-decommission-shuffle', 'a leaving worker does not copy its shuffle map outputs (they are recomputed; spark.storage.decommission.shuffleBlocks.enabled=false)')
  .action(
    async (
      o: ServerOpts &
        SpeculationOpts &
        ConfOpts & {
        port: number;
        webPort: number;
        bind: string;
        heartbeatMs: number;
        workerTimeoutMs: number;
        unseenTaskTimeoutMs?: number;
        starvationTimeoutMs: number;
        maxCallsPerPeer: number;
        stateDir?: string;
        retainedBatches: number;
        superviseBackoffMs?: SuperviseBackoff;
        retainedJobs: number;
        minWorkers: number;
        maxWorkers?: number;
        scalingUpRatio: number;
        scalingDownRatio: number;
        scalingIntervalMs: number;
        decommissionTimeoutMs: number;
        decommission: boolean;
        decommissionBlocks: boolean;
        decommissionShuffle: boolean;
        maxResultSize?: number;
      },
    ) => {
    const log = createRootLogger(o.logLevel);
    routeGrpcLogs(log);
    log.debug({ code: cliCode() }, 'sluice code loaded');
    const { DriverNode } = await import('@sluice/driver');
    const driver = new DriverNode({
      security: security(o),
      log,
      port: o.port,
      bind: o.bind,
      heartbeatIntervalMs: o.heartbeatMs,
      workerTimeoutMs: o.workerTimeoutMs,
      unseenTaskTimeoutMs: o.unseenTaskTimeoutMs,
      starvationTimeoutMs: o.starvationTimeoutMs,
      maxCallsPerPeer: o.maxCallsPerPeer,
      webPort: o.webPort === 0 ? undefined : o.webPort,
      stateDir: o.stateDir,
      jobThreadCode: cliThreadCode('job'),
      // A standing driver serves job after job: each finds a thread with Sluice loaded (started again once none runs).
      spareJobThread: true,
      replaceSpareJobThread: true,
      retainedBatches: o.retainedBatches,
      ...(o.superviseBackoffMs === undefined ? {} : { superviseBackoff: o.superviseBackoffMs }),
      retainedJobs: o.retainedJobs,
      ...confDriverOptions(o.conf, { ...speculationTaskOptions(o), ...(o.maxResultSize === undefined ? {} : { maxResultSizeBytes: o.maxResultSize }) }),
      workerAllocation: {
        minWorkers: o.minWorkers,
        maxWorkers: o.maxWorkers ?? Number.POSITIVE_INFINITY,
        scalingUpRatio: o.scalingUpRatio,
        scalingDownRatio: o.scalingDownRatio,
        scalingIntervalMs: o.scalingIntervalMs,
      },
      decommission: {
        enabled: o.decommission,
        migrateRddBlocks: o.decommissionBlocks,
        migrateShuffleBlocks: o.decommissionShuffle,
        timeoutMs: o.decommissionTimeoutMs,
      },
    });
    // Handle SIGTERM from the moment the driver may be listening ('driver listening' is logged inside start()).
    onSignals(() => driver.stop(), log);
    await driver.start();
  });

serverCommand(program.command('worker').description('run a Sluice worker'))
  .requiredOption('--driver <host:port>', "driver address ('-': read it from the first line of standard input)")
  .option('--cores <n>', 'tasks run at once', atLeast('--cores', 1), 1)
  .option('--port <port>', 'gRPC port (0: any free port)', port('--port'), 0)
  .option('--bind <host>', 'interface to listen on', '127.0.0.1')
  .option('--advertise-host <host>', "host other processes use to reach this worker (default: --bind; 'auto': this machine's first non-loopback IPv4)")
  .option('--memory <mem>', "memory the worker keeps blocks in before spilling to disk, as start-worker.sh's: '2g', '1000m' (a number alone: MiB) (default: a quarter of this machine's memory, at most 1 GiB)", workerMemory)
  .option('--local-dir <dir>', 'directory in which the worker makes its own scratch directory for spilled blocks and bundles (default: the OS temp directory; never removed itself)')
  .option('--shuffle-spill-records <n>', 'records a map task buffers (with map-side combine: distinct keys) before spilling them as shuffle segments', int('--shuffle-spill-records'))
  .option('--shuffle-compress', "LZ4-compress map outputs (Spark's spark.shuffle.compress and spark.shuffle.spill.compress with spark.io.compression.codec lz4): fewer bytes held, spilled and sent, more CPU (default: off)")
  .option('--no-shuffle-checksum', "write map outputs without a CRC-32 after each partition run, and read without requiring one (Spark's spark.shuffle.checksum.enabled false); by default a damaged map output is found when it is read, read once more, then computed again")
  .option('--task-threads <n>', "threads a job's tasks run in (default: --cores); below --cores, tasks launched beyond them wait in busy threads, so a thread goes from one tiny task to the next without a round trip to the driver", int('--task-threads'))
  .option('--warm-up-tasks <n>', "synthetic tiny tasks each spare task thread runs before a job takes it, so that V8 has compiled the task path before a job's first tasks (a standing worker that waits for jobs; e.g. 1000; at most 100000) (default: 0, none)", int('--warm-up-tasks'))
  .option('--no-replace-spare-threads', "do not start a new spare task thread when a job takes one (sluice run's workers, which serve one job: a replacement would load Sluice during its first stage and never be used)")
  .option(
    '--peer-connect-timeout <duration>',
    "give up a shuffle or block fetch from another worker that has not connected and answered within this ('30s', '2m'; Spark's spark.shuffle.io.connectionTimeout): its map outputs are recomputed (default 30s)",
    peerConnectTimeout,
  )
  .option('--exit-with-parent', 'stop when standard input closes (the process that started this worker is gone)')
  .option('--max-calls-per-peer <n>', 'gRPC calls one remote IP may have open at once', int('--max-calls-per-peer'), DEFAULT_MAX_CALLS_PER_PEER)
  .option(
    '--max-registration-retries <n>',
    "registration retries after a first attempt no driver answered, before the worker gives up, as Spark's spark.worker.maxRegistrationRetries: the first 6 ~10 s apart, the rest ~60 s apart, each failure logged (default 16, about 11 minutes; 0 with --driver -)",
    atLeast('--max-registration-retries', 0),
  )
  .option('--registration-retry-interval <duration>', "base of those intervals ('10s', '500ms'; the later ones are 6 times it; each scaled by one random factor in 0.5-1.5x; default 10s)", (v: string) =>
    toMillis(/^\d+$/.test(v) ? Number(v) : v, '--registration-retry-interval'),
  )
  .action(
    async (
      o: ServerOpts & {
        driver: string;
        cores: number;
        port: number;
        bind: string;
        advertiseHost?: string;
        memory?: number;
        localDir?: string;
        shuffleSpillRecords?: number;
        shuffleCompress?: boolean;
        shuffleChecksum: boolean;
        taskThreads?: number;
        warmUpTasks?: number;
        replaceSpareThreads: boolean;
        peerConnectTimeout?: number;
        exitWithParent?: boolean;
        maxCallsPerPeer: number;
        maxRegistrationRetries?: number;
        registrationRetryInterval?: number;
      },
    ) => {
      const log = createRootLogger(o.logLevel);
      routeGrpcLogs(log);
      log.debug({ code: cliCode() }, 'sluice code loaded');
      const { WorkerNode, DEFAULT_REGISTRATION_RETRIES } = await import('@sluice/worker');
      // `--driver -` (sluice run's workers): the worker is made, starts its task threads
      // (they load Sluice) and listens while the driver is still starting; it registers
      // once the address comes on standard input.
      // After the address, `sluice run` (whose workers have --exit-with-parent) may give the
      // job's bundle on standard input (local-bundle-line.ts); other workers read the address only.
      let offerBundle: ((line: string) => void) | undefined;
      const driver =
        o.driver !== '-'
          ? driverAddress(o.driver)
          : driverFromStdin(process.stdin, o.exitWithParent ? (line) => offerBundle?.(line) : undefined).catch((err: unknown) => {
              // The process that started this worker (`sluice run`, which may prestart its
              // workers before it has parsed its own arguments) ended before its driver
              // listened: it reported why itself; this worker just goes.
              if (o.exitWithParent && process.stdin.readableEnded) process.exit(0);
              throw err;
            });
      const worker = new WorkerNode({
        driver,
        cores: o.cores,
        security: security(o),
        log,
        port: o.port,
        bind: o.bind,
        advertiseHost: o.advertiseHost,
        memoryLimit: o.memory,
        localDir: o.localDir,
        maxCallsPerPeer: o.maxCallsPerPeer,
        shuffleSpillRecords: o.shuffleSpillRecords,
        shuffleCompress: o.shuffleCompress === true,
        ...(o.shuffleChecksum === false ? { shuffleChecksum: false } : {}),
        taskThreads: o.taskThreads,
        ...(o.warmUpTasks === undefined ? {} : { warmUpTasks: o.warmUpTasks }),
        replaceSpareThreads: o.replaceSpareThreads,
        taskThreadCode: cliThreadCode('task'),
        peerConnectTimeoutMs: o.peerConnectTimeout,
        // `--driver -` (sluice run's workers): the driver listens before it sends its address, so one attempt.
        registrationRetries: o.maxRegistrationRetries ?? (o.driver === '-' ? 0 : DEFAULT_REGISTRATION_RETRIES),
        registrationRetryIntervalMs: o.registrationRetryInterval,
        onDecommissionRequested: () => leave(),
        onBuildMismatch: (err) => {
          log.error({ err }, 'the driver is of another Sluice build; stopping');
          stopNow(1);
        },
      });
      offerBundle = (line) => {
        const given = parseBundleLine(line);
        if (given) worker.offerBundle(given.sha256, given.code, given.sourceMap);
        else log.debug({ line: line.slice(0, 100) }, 'a line on standard input that is not a job bundle: ignored');
      };
      // SIGTERM (what Kubernetes, Docker Swarm and compose send on scale-down) decommissions
      // the worker gracefully: the driver moves its receivers, lets its tasks finish and has
      // it copy its blocks elsewhere; then it exits 0 (1 if the driver's deadline passed). A
      // second SIGTERM, or SIGINT, stops it at once: the driver then treats it as lost.
      let leaving = false;
      let stopping = false;
      const stopNow = (code: number): void => {
        if (stopping) return;
        stopping = true;
        worker.stop().then(
          () => process.exit(code),
          () => process.exit(1),
        );
      };
      const leave = (): void => {
        if (leaving) return;
        leaving = true;
        void worker.decommission().then((r) => stopNow(r.state === 'lost' ? 1 : 0));
      };
      process.on('SIGTERM', () => {
        if (leaving) {
          log.info({ signal: 'SIGTERM' }, 'second SIGTERM: stopping now, without waiting for the decommission');
          stopNow(0);
          return;
        }
        log.info({ signal: 'SIGTERM', how: 'decommissioning first: the driver moves what this worker holds (a second SIGTERM stops at once)' }, 'stopping');
        leave();
      });
      // A worker of `sluice run` (--exit-with-parent) ignores SIGINT: a terminal's Ctrl-C
      // reaches the whole process group, and its parent stops the job first, then it.
      if (!o.exitWithParent) onSignals(() => worker.stop(), log, ['SIGINT']);
      if (o.exitWithParent) {
        process.on('SIGINT', () => undefined);
        process.stdin.on('end', () => void worker.stop().then(() => process.exit(0)));
        process.stdin.on('error', () => void worker.stop().then(() => process.exit(0)));
        process.stdin.resume();
      }
      try {
        await worker.start();
      } catch (err) {
        await worker.stop();
        throw err;
      }
    },
  );

program
  .command('init')
  .description('scaffold a job project: package.json depending on the Sluice packages, tsconfig.json, and a typed streaming job (job.ts)')
  .argument('<dir>', 'folder to make (new or empty)')
  .action((dir: string) => {
    const files = initJob(dir);
    const cd = escapeControl(dir);
    // How the project gets the @sluice packages depends on where this sluice came from (a
    // checkout, tarballs, a registry): init-next-steps.ts.
    const { source, version } = sluiceOrigin();
    process.stdout.write(`Made ${files.map((f) => `${cd}/${f}`).join(', ')}.\n${initNextSteps(source, cd, path.resolve(dir), version)}`);
  });

speculationOptions(
  program
    .command('run')
    .description('run a job on an embedded local cluster (driver + worker processes)'),
)
  .usage('[options] <job> [job arguments...]')
  .argument('<job>', 'job file (.ts or .js) whose default export receives the SluiceContext')
  .argument('[args...]', "arguments passed to the job: everything after the job file (sluice's options go before it)")
  .passThroughOptions()
  .option('--properties-file <file>', PROPERTIES_FILE_HELP)
  .option('--name <name>', NAME_HELP, jobName)
  .option('--workers <n>', 'worker processes', atLeast('--workers', 1), 2)
  .option('--cores <n>', 'cores per worker', atLeast('--cores', 1), 1)
  .option('--task-timeout <duration>', TASK_TIMEOUT_HELP, taskTimeout)
  .option('--max-result-size <size>', MAX_RESULT_SIZE_HELP, maxResultSize)
  .option('--retained-batches <n>', "completed batches the streaming job's UI and REST API keep, with --web-port (Spark's spark.streaming.ui.retainedBatches; default 1000)", atLeast('--retained-batches', 1))
  .option('--shuffle-spill-records <n>', "passed to the workers (see 'sluice worker --help')", int('--shuffle-spill-records'))
  .option('--shuffle-compress', "passed to the workers: LZ4-compress map outputs (see 'sluice worker --help')")
  .option('--no-shuffle-checksum', "passed to the workers: no CRC-32 of map outputs' partition runs (see 'sluice worker --help')")
  .option('--typecheck', TYPECHECK_HELP)
  .option('--web-port <port>', 'serve the web UI (Streaming pages, REST API /api/v1, /metrics) on this loopback port while the job runs (default: none)', port('--web-port'))
  .option('--no-progress', PROGRESS_HELP)
  .option(
    '--stop-gracefully-on-shutdown',
    `Ctrl-C or SIGTERM stops a streaming job gracefully: its receivers stop, then every batch of what they stored runs (Spark's spark.streaming.stopGracefullyOnShutdown); up to ${GRACEFUL_SHUTDOWN_LIMIT_S} s, a second signal stops at once (default: not gracefully, 10 s)`,
  )
  .addOption(new Option('--log-level <level>', 'log level').default(process.env.SLUICE_LOG_LEVEL ?? 'warn'))
  .action(async (job: string, rawArgs: string[], o: SpeculationOpts & ConfOpts & { name?: string; workers: number; cores: number; logLevel: string; taskTimeout?: number; maxResultSize?: number; retainedBatches?: number; shuffleSpillRecords?: number; shuffleCompress?: boolean; shuffleChecksum: boolean; typecheck?: boolean; webPort?: number; progress: boolean; stopGracefullyOnShutdown?: boolean }) => {
    const args = jobArguments(rawArgs);
    const jobFile = job;
    // A job file that is not there fails at once, before a worker process starts.
    checkJobFile(job);
    if (o.typecheck) typecheckJob(job);
    const log = createRootLogger(o.logLevel);
    routeGrpcLogs(log);
    log.debug({ code: cliCode() }, 'sluice code loaded');
    const { LocalCluster } = await import('./local-cluster.js');
    const webPort = o.webPort === 0 ? undefined : o.webPort;
    const { takePrestartedWorkers, runWorkerArgs } = await import('./local-worker-process.js');
    const workerArgs = runWorkerArgs(o.shuffleSpillRecords, o.shuffleCompress === true, o.shuffleChecksum === false);
    const prestarted = takePrestartedWorkers();
    const cluster = new LocalCluster({ workers: o.workers, coresPerWorker: o.cores, logLevel: o.logLevel, log, workerArgs, prestarted, driver: { webPort, jobFailureLogLevel: 'info', spareJobThread: true, jobThreadCode: cliThreadCode('job'), ...(o.retainedBatches === undefined ? {} : { retainedBatches: o.retainedBatches }), ...confDriverOptions(o.conf, { ...speculationTaskOptions(o), ...(o.maxResultSize === undefined ? {} : { maxResultSizeBytes: o.maxResultSize }) }) } });
    if (prestarted) log.debug({ adopted: cluster.usesPrestartedWorkers, workers: prestarted.workers }, 'prestarted workers');
    let j: import('@sluice/driver').DriverJob | undefined;
    let signalled = false;
    let clusterStopped: Promise<void> | undefined;
    const stopCluster = (): Promise<void> => (clusterStopped ??= cluster.stop());
    // Ctrl-C (or SIGTERM) stops the job as `sluice stop` does — a streaming job stops its
    // StreamingContext, as Spark's shutdown hook does (gracefully with
    // --stop-gracefully-on-shutdown, as spark.streaming.stopGracefullyOnShutdown) — and the run
    // ends as usual, the job `stopped`. A second signal, or a job still running 10 s later
    // (a graceful stop: GRACEFUL_SHUTDOWN_LIMIT_S), stops the cluster.
    const graceful = o.stopGracefullyOnShutdown === true;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!signalled && j?.state === 'running') {
        signalled = true;
        log.info({ signal, jobId: j.id, graceful }, 'stopping the job');
        j.requestStop(graceful);
        // --conf spark.streaming.gracefulStopTimeout moves the driver's bound, and this one with it.
        const gracefulLimitMs = o.conf?.gracefulStopTimeoutMs === undefined ? GRACEFUL_SHUTDOWN_LIMIT_S * 1000 : o.conf.gracefulStopTimeoutMs + 5000;
        setTimeout(() => void stopCluster().finally(() => process.exit(1)), graceful ? gracefulLimitMs : 10_000).unref();
        return;
      }
      log.info({ signal }, 'stopping');
      void stopCluster().then(
        () => process.exit(signalled ? 1 : 0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    runCanStop();
    try {
      // The worker processes start (load their code, register) while esbuild bundles the
      // job: what a user waits for before the first task is the slower of the two, not both.
      const started = cluster.start();
      // The local workers are given the bundle on their standard input as soon as it is made
      // (after the driver's address): their first task does not fetch it from the driver.
      const bundled = bundleJob(jobFile, log).then((b) => {
        cluster.giveBundle(b);
        return b;
      });
      const [bundle] = await Promise.all([bundled, started]).catch(async (err: unknown) => {
        // Both settle before the cluster stops (finally), so nothing is left starting.
        await Promise.allSettled([bundled, started]);
        throw err;
      });
      const job = cluster.driver.submit({ name: o.name ?? bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args, taskTimeoutMs: o.taskTimeout, workingDir: process.cwd(), ...(o.conf?.executorEnv === undefined ? {} : { executorEnv: o.conf.executorEnv }) });
      j = job;
      if (webPort !== undefined) process.stderr.write(`sluice: web UI at http://127.0.0.1:${cluster.driver.webPort}/jobs/${encodeURIComponent(job.id)}/ (REST: /api/v1/applications)\n`);
      const bar = ConsoleProgressBar.forStderr(() => (job.streaming ? [] : cluster.driver.stageProgress(job.id)), o.progress);
      bar?.start();
      job.on('output', (line, _n, stderr) => {
        bar?.clear();
        // Where the program printed it, as a Spark driver's System.err is the command's stderr.
        (stderr ? process.stderr : process.stdout).write(line + '\n');
      });
      // Once the job's state is final its program has returned (or thrown, or was stopped):
      // the workers and the driver's server stop while its thread exits and its last lines
      // drain ('end'), which they do not need. (A failed stop is thrown by the finally below.)
      job.once('finished', () => void stopCluster().catch(() => undefined));
      const outcome = await new Promise<JobOutcome>((resolve) =>
        job.once('end', (state, error) => resolve({ jobId: job.id, ok: state === 'succeeded' || state === 'stopped', failure: error })),
      );
      bar?.stop();
      if (!outcome.ok) {
        printFailure(outcome);
        process.exitCode = 1;
      }
    } finally {
      await stopCluster();
    }
    // Nothing is left running: exit now. A process left to end by itself frees its heap and
    // its environment first, which took 2-3x the time process.exit does from the 'exit' event
    // to the parent seeing it gone; stdout and stderr are pipes here as often as not, and
    // asynchronous, so their last lines are flushed first.
    await flushStdio();
    process.exit();
  });

program
  .command('shell')
  .description("an interactive shell, spark-shell's counterpart: a Node REPL with `sc` bound to the SluiceContext of an embedded local cluster (driver + worker processes)")
  .option('--workers <n>', 'worker processes (spark-shell --master local[N]: N is workers x cores)', atLeast('--workers', 1), 2)
  .option('--properties-file <file>', PROPERTIES_FILE_HELP)
  .option(
    '--conf <KEY=VALUE>',
    `${CONF_HELP}; also spark.locality.wait (or .process) and spark.default.parallelism, as sluice run takes them`,
    (v: string, prev: SparkConfSettings | undefined) => addSparkConf(v, prev ?? {}),
  )
  .option('--cores <n>', 'cores per worker', atLeast('--cores', 1), 1)
  .option('--web-port <port>', 'serve the web UI (REST API /api/v1, /metrics) on this loopback port (default: a free port, printed at start)', port('--web-port'))
  .option('--driver <host:port>', "a standing driver to run the shell on (spark-shell --master spark://HOST:PORT): its program runs there as a job named sluice-shell, this command is its terminal; without it, a local cluster of the shell's own")
  .option('--secret-file <file>', `with --driver: ${SECRET_FILE_HELP}`)
  .option('--tls-ca <file>', "with --driver: PEM CA certificate to verify the driver's TLS certificate by (TLS is used when given)")
  .option('--master <url>', "spark://HOST:PORT: --driver HOST:PORT; local[N]: refused, as --workers N")
  .addOption(new Option('--log-level <level>', 'log level').default(process.env.SLUICE_LOG_LEVEL ?? 'warn'))
  .action(async (o: ClientOpts & { workers: number; cores: number; webPort?: number; master?: string; logLevel: string; conf?: SparkConfSettings }, cmd: Command) => {
    const spark = o.master === undefined ? null : /^spark:\/\/([^,/]+)\/?$/.exec(o.master.trim());
    if (o.driver !== undefined || spark !== null) {
      if (o.driver !== undefined && spark !== null) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sluice shell was given both --driver ${o.driver} and --master ${o.master}: give one (--master spark://HOST:PORT is --driver HOST:PORT)`);
      // The cluster is the driver's: what would shape a local one has nothing to act on.
      const local = ['workers', 'cores', 'webPort', 'conf'].find((k) => cmd.getOptionValueSource(k) === 'cli');
      if (local !== undefined) {
        const flag = `--${local.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `sluice shell ${flag} shapes the shell's own local cluster; with --driver the shell runs on that driver's cluster (its workers, its web UI): leave out ${flag}, or --driver for a local cluster`);
      }
      const address = driverAddress(o.driver ?? spark![1]);
      const { runRemoteShell } = await import('./remote-shell-client.js');
      const outcome = await runRemoteShell(address, security(o));
      if (outcome.stopped !== undefined) process.stderr.write(`sluice: the shell's job ${escapeControl(outcome.jobId ?? '')} was stopped on the driver (\`sluice stop\`)\n`);
      if (!outcome.ok) {
        printFailure(outcome);
        process.exitCode = 1;
      }
      await flushStdio();
      process.exit(process.exitCode);
    }
    if (o.master !== undefined) {
      // spark-shell --master local[N] is this shell's --workers N; a running driver's program
      // reads no input (`sluice submit` streams a job's output, nothing to it).
      const local = /^local(?:\[(\d+|\*)(?:,\s*\d+)?\])?$/.exec(o.master.trim());
      const n = local === null ? undefined : local[1] === undefined ? 1 : local[1] === '*' ? os.availableParallelism() : Number(local[1]);
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        n !== undefined
          ? `sluice shell takes no --master: spark-shell's --master ${o.master} is 'sluice shell --workers ${n}' (a local cluster of ${n} worker process${n === 1 ? '' : 'es'} of 1 core; --cores N for more each)`
          : `sluice shell --master '${o.master}': not a master URL the shell takes: spark://HOST:PORT (one driver) runs it on a standing driver, as --driver HOST:PORT does; local[N] is --workers N; without either, a local cluster of its own`,
      );
    }
    const log = createRootLogger(o.logLevel);
    routeGrpcLogs(log);
    const { LocalCluster } = await import('./local-cluster.js');
    const { runWorkerArgs } = await import('./local-worker-process.js');
    const { shellBundle } = await import('./shell-program.js');
    const { ShellTerminal } = await import('./shell-terminal.js');
    const cluster = new LocalCluster({ workers: o.workers, coresPerWorker: o.cores, logLevel: o.logLevel, log, workerArgs: runWorkerArgs(undefined), driver: { webPort: o.webPort ?? 0, jobFailureLogLevel: 'info', jobThreadCode: cliThreadCode('job'), ...confDriverOptions(o.conf) } });
    let clusterStopped: Promise<void> | undefined;
    const stopCluster = (): Promise<void> => (clusterStopped ??= cluster.stop());
    const term = new ShellTerminal(process.stdin, process.stdout, () => undefined);
    // Ctrl-C from a pipe or `kill -INT` (on a terminal it is a byte of the input): the shell's
    // running jobs are cancelled, as spark-shell's Ctrl-C; SIGTERM ends the shell.
    process.on('SIGINT', () => term.interrupt());
    process.on('SIGTERM', () => {
      term.close();
      void stopCluster().then(
        () => process.exit(143),
        () => process.exit(1),
      );
    });
    try {
      const bundle = shellBundle();
      const started = cluster.start();
      cluster.giveBundle(bundle);
      await started;
      const job = cluster.driver.submit({ name: 'sluice-shell', code: bundle.code, sourceMap: bundle.sourceMap, args: term.programArgs(), workingDir: process.cwd() });
      // As spark-shell greets: the web UI, then what `sc` is.
      process.stdout.write(`Sluice web UI available at http://127.0.0.1:${cluster.driver.webPort}/jobs/${encodeURIComponent(job.id)}/\n`);
      process.stdout.write(`Sluice context available as 'sc' (master = local[${o.workers * o.cores}], ${o.workers} worker processes x ${o.cores} cores, job id = ${job.id}); the API as 'sluice'.\n`);
      process.stdout.write('Actions return Promises: the shell shows their values (rdd.count()); await one to keep it (const n = await rdd.count()). Type .help for help, .exit or Ctrl-D to leave.\n');
      job.on('output', (line, _n, stderr) => (stderr ? process.stderr : process.stdout).write(line + '\n'));
      job.once('finished', () => void stopCluster().catch(() => undefined));
      const outcome = await new Promise<JobOutcome>((resolve) =>
        job.once('end', (state, error) => resolve({ jobId: job.id, ok: state === 'succeeded' || state === 'stopped', failure: error })),
      );
      if (!outcome.ok) {
        printFailure(outcome);
        process.exitCode = 1;
      }
    } finally {
      term.close();
      await stopCluster();
    }
    await flushStdio();
    process.exit(process.exitCode);
  });

/** Resolves once stdout and stderr have taken everything written to them so far (writes to a pipe are asynchronous). */
function flushStdio(): Promise<unknown> {
  return Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => (s.writable ? s.write('', () => resolve()) : resolve()))));
}

clientCommand(program.command('submit').description('send a job to a running driver and stream its output'))
  .usage('--driver <host:port> [options] <job> [job arguments...]')
  .argument('<job>', 'job file (.ts or .js)')
  .argument('[args...]', "arguments passed to the job: everything after the job file (sluice's options go before it)")
  .passThroughOptions()
  .option('--properties-file <file>', PROPERTIES_FILE_HELP)
  .option(
    '--conf <KEY=VALUE>',
    `${CONF_HELP}; also spark.default.parallelism (this job's sc.defaultParallelism, over the driver's; as spark-submit's, for the application)`,
    (v: string, prev: SparkConfSettings | undefined) => addSparkConf(v, prev ?? {}),
  )
  .option('--name <name>', NAME_HELP, jobName)
  .option('--detach', 'print the job id and return; the job keeps running on the driver')
  .option('--task-timeout <duration>', TASK_TIMEOUT_HELP, taskTimeout)
  .option('--supervise', "restart the job's program (from its checkpoint) when it throws or exits abnormally, as spark-submit --supervise")
  .option('--max-restarts <n>', `with --supervise: restarts before the job fails for good (default ${DEFAULT_MAX_RESTARTS})`, int('--max-restarts'))
  .option('--typecheck', TYPECHECK_HELP)
  .option('--no-progress', PROGRESS_HELP)
  .action(async (job: string, rawArgs: string[], o: ClientOpts & ConfOpts & { name?: string; detach?: boolean; taskTimeout?: number; supervise?: boolean; maxRestarts?: number; typecheck?: boolean; progress: boolean }) => {
    const args = jobArguments(rawArgs);
    const driver = driverOf(o, 'submit', args);
    if (o.maxRestarts !== undefined && !o.supervise) throw new SluiceError('SLUICE_BAD_ARGUMENT', '--max-restarts needs --supervise (without it a failing job is not restarted)');
    if (o.maxRestarts === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', '--max-restarts 0 restarts nothing: give at least 1, or leave out --supervise');
    if (o.typecheck) typecheckJob(job);
    const sec = security(o);
    const bundle = await bundleJob(job);
    const { submitJob } = await client();
    // The job's stages, asked of the driver while it runs (only when stderr is a terminal).
    let jobId: string | undefined;
    const stagesClient = o.progress && !o.detach && process.stderr.isTTY ? new (await import('./job-stages-client.js')).JobStagesClient(driver, sec) : undefined;
    const bar = stagesClient && ConsoleProgressBar.forStderr(() => (jobId === undefined ? [] : stagesClient.stages(jobId)));
    bar?.start();
    const outcome = await submitJob(driver, sec, bundle, {
      args,
      name: o.name,
      onOutput: (line, stderr) => {
        bar?.clear();
        (stderr ? process.stderr : process.stdout).write(line + '\n');
      },
      onJobId: (id) => {
        jobId = id;
        bar?.clear();
        process.stderr.write(`submitted ${escapeControl(o.name ?? bundle.name)} as ${escapeControl(id)}\n`);
      },
      onNotice: (message) => {
        bar?.clear();
        process.stderr.write(`sluice: ${escapeControl(message)}\n`);
      },
      detach: o.detach === true,
      taskTimeoutMs: o.taskTimeout,
      supervise: o.supervise === true,
      maxRestarts: o.maxRestarts,
      ...(o.conf?.defaultParallelism === undefined ? {} : { defaultParallelism: o.conf.defaultParallelism }),
      ...(o.conf?.executorEnv === undefined ? {} : { executorEnv: o.conf.executorEnv }),
    }).finally(() => {
      bar?.stop();
      stagesClient?.close();
    });
    // --detach prints the job id on standard output, alone, so a script can keep it:
    // `JOB=$(sluice submit --detach job.ts)`, then `sluice stop "$JOB"`.
    if (o.detach === true && outcome.ok && outcome.jobId !== undefined) process.stdout.write(`${outcome.jobId}\n`);
    if (outcome.stopped) process.stderr.write(stoppedLine(outcome.jobId ?? '', outcome));
    if (!outcome.ok) {
      printFailure(outcome);
      process.exitCode = 1;
    }
  });

clientCommand(program.command('workers').description("list a driver's workers"))
  .action(async (o: ClientOpts) => {
    const workers = await (await client()).listWorkers(driverOf(o, 'workers'), security(o));
    const rows = [['WORKER', 'ADDRESS', 'CORES', 'RUNNING', 'COMPLETED', 'RECEIVERS', 'HEARTBEAT', 'BLOCKS IN/SHUF/RDD', 'MEMORY', 'DISK', 'RSS', 'STATE']];
    const mib = (b: number): string => `${Math.round(b / (1024 * 1024))} MiB`;
    for (const w of workers) {
      const s = w.storage;
      rows.push([
        w.worker_id,
        w.address,
        String(w.cores),
        String(w.running_tasks),
        String(w.tasks_completed),
        String(w.receivers),
        `${w.last_heartbeat_ms_ago} ms ago`,
        s ? `${s.input_blocks}/${s.shuffle_blocks}/${s.rdd_blocks}` : '-',
        s ? `${mib(s.memory_bytes)} of ${mib(s.memory_limit_bytes)}` : '-',
        s ? mib(s.disk_bytes) : '-',
        s ? mib(s.rss_bytes) : '-',
        // 'draining', 'migrating' or 'releasing' while it is being decommissioned.
        w.decommission || 'active',
      ]);
    }
    table(rows);
  });

clientCommand(
  program
    .commands.find((c) => c.name() === 'workers')!
    .command('decommission')
    .description('release a worker gracefully, as SIGTERM to it does: its receivers, blocks and map outputs move to the other workers, its running tasks finish, then it exits 0'),
)
  .argument('<worker>', 'worker id, as `sluice workers` lists it')
  .option('--no-wait', 'return once the decommission began, not when it ended')
  .action(async (worker: string, o: ClientOpts & { wait: boolean }) => {
    const driver = driverOf(o, 'workers decommission');
    const res = await (await client()).decommissionWorker(driver, security(o), worker, o.wait);
    if (!res.found) throw new SluiceError('SLUICE_BAD_ARGUMENT', `the driver at ${driver} has no worker '${worker}'; \`sluice workers --driver ${driver}\` lists them`);
    if (res.state === 'lost') throw new SluiceError('SLUICE_WORKER_LOST', `worker ${worker} was declared lost: ${res.message}`);
    process.stdout.write(`${escapeControl(worker)}: ${escapeControl(res.state)}${res.message ? `: ${escapeControl(res.message)}` : ''}\n`);
  });

/** Print rows as aligned columns; every cell is escaped, so what the cluster reports cannot break a line or drive the terminal. */
function table(rows: string[][]): void {
  const cells = rows.map((r) => r.map((c) => escapeControl(c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  for (const r of cells) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
}

clientCommand(program.command('jobs').description("list a driver's jobs with their last batch's figures"))
  .action(async (o: ClientOpts) => {
    const { jobs, earlierJobs } = await (await client()).listJobsNoted(driverOf(o, 'jobs'), security(o));
    const rows = [['JOB', 'NAME', 'STATE', 'BATCHES', 'LAST PROCESSING', 'LAST TOTAL DELAY', 'LAST RECORDS', 'TASKS', 'LONGEST TASK', 'ATTEMPT', 'STAGES']];
    for (const j of jobs) {
      const s = j.streaming;
      rows.push([
        j.job_id,
        j.name,
        j.state,
        s ? String(j.batches_completed) : '-',
        s ? `${j.last_processing_time_ms} ms` : '-',
        s ? `${j.last_total_delay_ms} ms` : '-',
        s ? String(j.last_batch_records) : '-',
        String(j.running_tasks),
        j.longest_task ? `${(j.longest_task_ms / 1000).toFixed(1)} s: ${j.longest_task}` : '-',
        String(j.attempt || 1),
        describeStages(j.stages),
      ]);
    }
    table(rows);
    for (const j of jobs) if (j.falling_behind) process.stdout.write(`\nWARNING ${escapeControl(j.job_id)} is ${escapeControl(j.falling_behind)}\n`);
    // A supervised job between attempts (its restart's back-off): when the next one starts.
    for (const j of jobs) if (Number(j.restart_in_ms) > 0) process.stdout.write(`\n${escapeControl(j.job_id)} attempt ${j.attempt} failed; --supervise starts attempt ${j.attempt + 1} in ${formatWait(Number(j.restart_in_ms))} (\`sluice stop ${escapeControl(j.job_id)}\` stops it now)\n`);
    for (const j of jobs) if (j.error) process.stdout.write(`\n${escapeControl(j.job_id)} failed: ${escapeControl(jobErrorText(j.error), { keepNewlines: true })}\n`);
    for (const j of jobs) {
      if (!j.last_receiver_error) continue;
      process.stdout.write(`\n${escapeControl(j.job_id)} last receiver error, ${(j.last_receiver_error_ms_ago / 1000).toFixed(1)} s ago: ${escapeControl(j.last_receiver_error)}\n`);
      // Its stream recovered from the outage: its receiver stored records after the error.
      if (j.last_receiver_error_receiving_again) process.stdout.write(`${escapeControl(j.job_id)} receiving again: that receiver has reported records since, the first ${(j.last_receiver_error_receiving_again_ms_ago / 1000).toFixed(1)} s ago\n`);
    }
    // After a restart on a --state-dir: the earlier driver's jobs that are not listed, and why.
    if (earlierJobs) process.stdout.write(`\nNot listed: ${escapeControl(earlierJobs)}\n`);
  });

clientCommand(program.command('attach').description("print a job's output, as an attached `sluice submit` does: the lines the driver kept (its last 10,000), then the live ones, until the job ends (for a job submitted with --detach; Ctrl-C leaves the job running)"))
  .argument('<job>', 'job id, as `sluice submit --detach` and `sluice jobs` print it')
  .action(async (job: string, o: ClientOpts) => {
    const driver = driverOf(o, 'attach');
    const outcome = await (await client()).attachJob(driver, security(o), job, {
      onOutput: (line, stderr) => (stderr ? process.stderr : process.stdout).write(line + '\n'),
      onNotice: (message) => process.stderr.write(`sluice: ${escapeControl(message)}\n`),
    });
    if (outcome.stopped) process.stderr.write(stoppedLine(job, outcome));
    if (!outcome.ok) {
      printFailure(outcome);
      process.exitCode = 1;
    }
  });

clientCommand(program.command('stop').description('stop a job (a streaming job stops its StreamingContext)'))
  .argument('<job>', 'job id, as `sluice submit` and `sluice jobs` print it')
  .option('--graceful', 'stop receiving, process every batch already received, then stop')
  .action(async (job: string, o: ClientOpts & { graceful?: boolean }) => {
    const driver = driverOf(o, 'stop');
    const c = await client();
    // A job that already ended has nothing to stop: said so, as Spark's Master answers a kill of
    // a finished driver "Driver ... has already finished", not "stop requested" for it.
    const ended = (await c.listJobs(driver, security(o))).find((j) => j.job_id === job && j.state !== 'running');
    if (ended) {
      process.stderr.write(`job ${job} has already ended (${ended.state}): nothing to stop; \`sluice jobs\` shows how it ended\n`);
      return;
    }
    const { found, missing } = await c.stopJob(driver, security(o), job, o.graceful === true);
    if (!found) throw new SluiceError('SLUICE_BAD_ARGUMENT', c.missingJobMessage(driver, job, missing));
    process.stderr.write(`stop requested for ${job}${o.graceful ? ' (graceful)' : ''}\n`);
  });

/**
 * `run` and `submit` hand everything after the job file to the job (see arrangeJobArguments);
 * `run`, `submit`, `driver` and `shell` take their properties file's settings as options (applyPropertiesFile).
 */
function commandLine(argv: readonly string[]): string[] {
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (!cmd || (argv[0] !== 'run' && argv[0] !== 'submit' && argv[0] !== 'driver' && argv[0] !== 'shell')) return [...argv];
  const arranged = argv[0] === 'driver' || argv[0] === 'shell' ? { tokens: argv.slice(1), notices: [] } : arrangeJobArguments(cmd, argv.slice(1));
  for (const n of arranged.notices) process.stderr.write(`sluice: ${escapeControl(n)}\n`);
  const applied = applyPropertiesFile(cmd, argv[0], arranged.tokens, process.env);
  for (const n of applied.notices) process.stderr.write(`sluice: ${escapeControl(n, { keepNewlines: true })}\n`);
  return [argv[0], ...applied.tokens];
}

/**
 * What an attached `sluice submit` or `sluice attach` says of a job stopped with `sluice stop`,
 * and, when the stop was cut short by its bound, what it left (the job's error). The command
 * still exits 0: the stop was asked for, as spark-submit exits 0 after a requested stop.
 */
function stoppedLine(job: string, outcome: JobOutcome): string {
  const how = `job ${escapeControl(job)} was stopped (sluice stop${outcome.stopped === 'graceful' ? ' --graceful' : ''})`;
  return outcome.stopCutShort === undefined ? `${how}\n` : `${how}, cut short: ${escapeControl(outcome.stopCutShort)}\n`;
}

handleClosedOutput(process.argv[2]);

Promise.resolve()
  .then(() => program.parseAsync(commandLine(process.argv.slice(2)), { from: 'user' }))
  .catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`error${isSluiceError(e) ? ` [${e.code}]` : ''}: ${e.message}\n`);
  // Its stack (source-mapped to the .ts files, from the bundle too) for a bug report.
  if (process.env.SLUICE_STACK_TRACES === '1' && typeof e.stack === 'string') process.stderr.write(`${mapBundleStack(e.stack)}\n`);
  process.exit(isSluiceError(e) && e.code === 'SLUICE_UNAUTHENTICATED' ? 3 : 1);
});
