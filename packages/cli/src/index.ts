/**
 * @sluice/cli — the `sluice` command and what tests and tools reuse from it.
 *
 * @example
 *   const bundle = await bundleJob('examples/wordcount.ts');
 */
export { bundleJob, type JobBundle } from './bundle-job.js';
export { LocalCluster, type LocalClusterOptions } from './local-cluster.js';
export { createRootLogger } from './logger.js';
export { submitJob, listWorkers, type JobOutcome } from './submit-client.js';
