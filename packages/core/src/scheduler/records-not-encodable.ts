import { SluiceError } from '../errors.js';
import { recordsMadeAt } from '../rdd/debug-string.js';
import type { Plan } from '../rdd/plan.js';

/**
 * Records of plan node `nodeId` that the codec cannot encode (a function, a Socket) on their
 * way to a shuffle or a cached block: the codec's error, named with the operator that made the
 * records and the program's line (`records of rdd.map at /jobs/job.ts:5:25 cannot be
 * <doing>: ...`), its stack that line alone rather than the codec's and the task's frames. A
 * task failure as any (retried, as Spark's task that throws NotSerializableException writing
 * its output). Other errors (a full disk, Sluice's own) and records with no call site pass as
 * they are.
 */
export function recordsNotEncodable(err: unknown, plan: Plan, nodeId: number, doing: string): unknown {
  const made = recordsMadeAt(plan, nodeId);
  if (made === undefined || !(err instanceof Error) || (err instanceof SluiceError && err.code !== 'SLUICE_BAD_RECORD')) return err;
  const named = new SluiceError(
    err instanceof SluiceError ? err.code : 'SLUICE_TASK_FAILED',
    `records of ${made.operator} at ${made.site} cannot be ${doing}: ${err.message} (such records must be data the record codec carries: map functions, sockets and such to plain data first)`,
  );
  named.stack = `SluiceError: ${named.message}\n    at ${made.operator} (${made.site})`;
  return named;
}
