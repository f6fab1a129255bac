import type { TaskSetOptions } from '../../src/scheduler/task-set-manager.js';

/**
 * The TaskSetManager options the scheduler tests start from (task-set-manager.test,
 * task-scheduler.test): no speculation, no locality wait, no task timeout, 4 failures of a
 * task fail its stage. A test overrides what it exercises.
 */
export function taskSetOptions(overrides: Partial<TaskSetOptions> = {}): TaskSetOptions {
  return {
    maxFailures: 4,
    speculation: false,
    speculationMultiplier: 1.5,
    speculationQuantile: 0.75,
    speculationMinMs: 100,
    localityWaitMs: 0,
    taskTimeoutMs: 0,
    ...overrides,
  };
}
