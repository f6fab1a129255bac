/**
 * Spark's runApproximateJob: a job whose partitions' values are merged into an evaluator as
 * their tasks end; at the timeout the evaluator's current result is the PartialResult's
 * initial value, and the job goes on to the exact one.
 */
import { SluiceError } from '../errors.js';
import type { ActionSpec } from '../scheduler/task-spec.js';
import type { ApproximateEvaluator } from './approximate-evaluators.js';
import { PartialResult } from './partial-result.js';
import type { RDD } from './rdd.js';

/** Refuses a timeout that is not a finite number >= 0 or a confidence outside [0, 1] (SLUICE_BAD_ARGUMENT naming `operation`). */
export function checkApproximateArguments(operation: string, timeoutMs: unknown, confidence: unknown): void {
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: timeoutMs must be a finite number of milliseconds >= 0, got ${String(timeoutMs)}`);
  }
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: confidence must be in [0, 1] (0.95 for a 95% interval), got ${String(confidence)}`);
  }
}

const NOT_YET = Symbol('not yet');

/**
 * Runs `action` over every partition of `rdd`, each partition's value merged into an evaluator
 * of `evaluator()` as its task ends. When the job ends within `timeoutMs`: the exact result,
 * final. Otherwise the current result by then, not final; `getFinalValue()` gives the result of
 * every partition's value (a fresh evaluator over the job's values) or the job's error.
 */
export async function runApproximateJob<U, R>(rdd: RDD<unknown>, action: ActionSpec, timeoutMs: number, evaluator: () => ApproximateEvaluator<U, R>): Promise<PartialResult<R>> {
  const partial = evaluator();
  const job = rdd.context.runAction(rdd, action, undefined, (p, v) => partial.merge(p, v as U));
  const exact = job.then((values): R => {
    const all = evaluator();
    values.forEach((v, p) => all.merge(p, v as U));
    return all.currentResult();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof NOT_YET>((resolve) => (timer = setTimeout(() => resolve(NOT_YET), timeoutMs)));
  const first = await Promise.race([exact, expired]).finally(() => clearTimeout(timer));
  if (first !== NOT_YET) return new PartialResult(first, true, exact);
  // The job goes on: its failure is getFinalValue()'s, not an unhandled rejection.
  exact.catch(() => undefined);
  return new PartialResult(partial.currentResult(), false, exact);
}
