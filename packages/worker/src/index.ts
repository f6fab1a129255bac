/**
 * @sluice/worker — a Sluice worker process: runs tasks, stores blocks, serves shuffles.
 *
 * @example
 *   const worker = new WorkerNode({ driver: '127.0.0.1:7077', cores: 2, security: { secret }, log });
 *   await worker.start();
 */
export { WorkerNode, defaultMemoryLimit, type DecommissionResult, type WorkerOptions } from './worker-node.js';
export { WORKER_MALLOC_ENV } from './storage/memory-release.js';
export { DEFAULT_PEER_CONNECT_TIMEOUT_MS } from './shuffle/shuffle-client.js';
export { DEFAULT_REGISTRATION_RETRIES, DEFAULT_REGISTRATION_RETRY_INTERVAL_MS } from './registration-retry.js';
