import os from 'node:os';
import { DEFAULT_STARVATION_TIMEOUT_MS, DEFAULT_WORKER_TIMEOUT_MS } from '../defaults.js';
import { DEFAULT_TASK_OPTIONS, type DriverNode } from '../driver-node.js';
import { MAX_CONSECUTIVE_STAGE_ATTEMPTS } from '../scheduler/dag-scheduler.js';
import { EXCLUDE_ON_FAILURE_KEYS } from '../scheduler/exclude-on-failure.js';
import type { DriverJob } from '../job/driver-job.js';
import { DEFAULT_RETAINED_BATCHES } from '../status/streaming-progress.js';

/**
 * `/api/v1/applications/{id}/environment`, Spark's ApplicationEnvironmentInfo (the UI's
 * Environment tab, where the configuration guide says to check that properties were set):
 * `sparkProperties` are the Spark properties this driver and job run with, each under Spark's
 * key with the value in effect — given by an option, a properties file or the default — sorted
 * by key as Spark's SparkEnv.environmentDetails sorts them; a streaming job's also the
 * spark.streaming.* its latest StreamingContext runs with (streamingProperties: set in the job's
 * code, where a Spark program sets them in its SparkConf) and its spark.executorEnv.* (a value
 * Spark's redaction would hide, hidden). The secret is never among them.
 * `runtime` has Node's version where Spark's has Java's and Scala's; there are no Hadoop,
 * system or metrics properties, classpath entries or resource profiles.
 */
/** Spark's default spark.redaction.regex: a property whose key or value it matches is shown as '*********(redacted)'. */
const REDACTED = /secret|password|token|access[.]key/i;

/**
 * Spark's spark.driver.host, the host the driver is reached at: its bind address, or this
 * machine's host name when it listens on every interface (Spark's default, the local host name).
 */
function driverHost(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' || bind === '[::]' ? os.hostname() : bind;
}

export function environmentInfo(d: DriverNode, j: DriverJob): unknown {
  const o = d.options;
  const t = { ...DEFAULT_TASK_OPTIONS, ...o.tasks };
  const props: [string, string][] = [
    ['spark.app.id', j.id],
    ['spark.app.name', j.name],
    ['spark.app.startTime', String(j.startedAt)],
    ['spark.master', j.master],
    ['spark.driver.bindAddress', o.bind ?? '127.0.0.1'],
    ['spark.driver.host', driverHost(o.bind ?? '127.0.0.1')],
    ['spark.driver.port', String(d.port)],
    // The job's program runs in the driver's process: Spark's driver, in client mode (sc.deployMode).
    ['spark.executor.id', 'driver'],
    ['spark.submit.deployMode', 'client'],
    ['spark.executor.heartbeatInterval', `${o.heartbeatIntervalMs ?? 1000}ms`],
    ['spark.worker.timeout', `${Math.round((o.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS) / 1000)}`],
    ['spark.starvation.timeout', `${o.starvationTimeoutMs ?? DEFAULT_STARVATION_TIMEOUT_MS}ms`],
    ['spark.task.maxFailures', String(t.maxFailures)],
    ['spark.stage.maxConsecutiveAttempts', String(t.maxConsecutiveStageAttempts ?? MAX_CONSECUTIVE_STAGE_ATTEMPTS)],
    ['spark.shuffle.reduceLocality.enabled', String(t.reduceLocality !== false)],
    ['spark.speculation', String(t.speculation)],
    ['spark.driver.maxResultSize', String(t.maxResultSizeBytes ?? 0)],
    // Whether persisted RDDs' blocks are kept compressed (--conf spark.rdd.compress on sluice run, driver, shell; off by default, as Spark's).
    ['spark.rdd.compress', String(o.rddCompress === true)],
    ['spark.streaming.ui.retainedBatches', String(o.retainedBatches ?? DEFAULT_RETAINED_BATCHES)],
  ];
  if (t.speculation) {
    props.push(['spark.speculation.quantile', String(t.speculationQuantile)], ['spark.speculation.multiplier', String(t.speculationMultiplier)], ['spark.speculation.minTaskRuntime', `${t.speculationMinMs}ms`]);
  }
  const ex = t.excludeOnFailure;
  props.push(['spark.excludeOnFailure.enabled', String(ex !== undefined)]);
  if (ex !== undefined) {
    for (const [field, key] of Object.entries(EXCLUDE_ON_FAILURE_KEYS) as [keyof typeof EXCLUDE_ON_FAILURE_KEYS, string][]) props.push([key, field === 'timeoutMs' ? `${ex.timeoutMs}ms` : String(ex[field])]);
    props.push(['spark.excludeOnFailure.application.fetchFailure.enabled', String(ex.fetchFailure)], ['spark.excludeOnFailure.killExcludedExecutors', String(ex.killExcludedExecutors)]);
  }
  // Spark lists spark.default.parallelism only when it was set: the job's (sluice submit --conf), else the driver's.
  if (j.parallelismSet) props.push(['spark.default.parallelism', String(j.parallelism)]);
  if (d.webPort !== undefined) props.push(['spark.ui.port', String(d.webPort)]);
  if (o.stateDir !== undefined) props.push(['spark.deploy.recoveryMode', 'FILESYSTEM'], ['spark.deploy.recoveryDirectory', o.stateDir]);
  // The job's executor environment, a value that looks like a secret shown as Spark's redaction shows it.
  for (const [name, value] of Object.entries(j.executorEnv ?? {})) props.push([`spark.executorEnv.${name}`, REDACTED.test(name) || REDACTED.test(value) ? '*********(redacted)' : value]);
  // A streaming job's: what its StreamingContext was made with (Spark's spark.streaming.* a Spark program sets in its SparkConf).
  for (const [k, v] of j.progress.contextProperties) props.push([k, v]);
  props.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    runtime: { nodeVersion: process.versions.node },
    sparkProperties: props,
    hadoopProperties: [],
    systemProperties: [],
    metricsProperties: [],
    classpathEntries: [],
    resourceProfiles: [],
  };
}
