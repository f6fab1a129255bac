/**
 * @sluice/driver — the Sluice driver: membership, scheduling, job submission.
 *
 * @example
 *   const driver = new DriverNode({ security: { secret }, log, port: 7077 });
 *   await driver.start();
 *   const job = driver.submit({ name: 'wc', code, sourceMap });
 *   job.on('output', (line) => console.log(line));
 */
export { DriverNode, DEFAULT_TASK_OPTIONS, type DriverOptions } from './driver-node.js';
export { DEFAULT_MAX_RESTARTS, type SubmitRequest } from './job/job-launcher.js';
export { JobConsole, type ConsoleIn, type ConsoleOut } from './job/job-console.js';
export { DriverJob, DEFAULT_SUPERVISE_BACKOFF, attemptRunId, type SuperviseBackoff, type JobStateName } from './job/driver-job.js';
export { DriverStateStore, type PersistedJob } from './state/driver-state-store.js';
export type { ErrorInfo } from './job/job-protocol.js';
export { DEFAULT_WORKER_TIMEOUT_MS } from './cluster/worker-registry.js';
export { DEFAULT_EXCLUDE_ON_FAILURE, EXCLUDE_ON_FAILURE_KEYS, type ExcludeOnFailureConf } from './scheduler/exclude-on-failure.js';
