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
import { afterMs } from '../util/long-timer.js';
import { scalaDouble } from '../util/scala-double.js';

/**
 * Refuses a timeout that is not a finite number (a negative one is taken, as Spark's Long: the
 * partial result at once) or a confidence outside [0, 1], in the words of Spark's require in
 * countApprox and countByValueApprox (SLUICE_BAD_ARGUMENT naming `operation`).
 */
export function checkApproximateArguments(operation: string, timeoutMs: unknown, confidence: unknown): void {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: timeoutMs must be a finite number of milliseconds (0 or less: the partial result at once), got ${String(timeoutMs)}`);
  }
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operation}: confidence (${scalaDouble(confidence)}) must be in [0,1] (as Spark says; 0.95 for a 95% interval)`);
  }
}

const NOT_YET = Symbol('not yet');

/**
 * Runs `action` over every partition of `rdd`, each partition's value merged into an evaluator
 * of `evaluator()` as its task ends. When the job ends within `timeoutMs`: the exact result,
 * final. Otherwise the current result by then, not final; `getFinalValue()` gives the result of
 * every partition's value (a fresh evaluator over the job's values) or the job's error. As
 * Spark's ApproximateActionListener.awaitResult, a timeout of 0 or less gives the current result
 * at once (not final while a task runs), and a long one (a Scala Long past Node's
 * longest timer, ~24.8 days) is waited out, not cut to 1 ms.
 */
export async function runApproximateJob<U, R>(rdd: RDD<unknown>, action: ActionSpec, timeoutMs: number, evaluator: () => ApproximateEvaluator<U, R>): Promise<PartialResult<R>> {
  const partial = evaluator();
  const job = rdd.context.runAction(rdd, action, undefined, (p, v) => partial.merge(p, v as U));
  const exact = job.then((values): R => {
    const all = evaluator();
    values.forEach((v, p) => all.merge(p, v as U));
    return all.currentResult();
  });
  let cancel = (): void => undefined;
  const expired = new Promise<typeof NOT_YET>((resolve) => (cancel = afterMs(timeoutMs, () => resolve(NOT_YET))));
  const first = await Promise.race([exact, expired]).finally(() => cancel());
  if (first !== NOT_YET) return new PartialResult(first, true, exact);
  // The job goes on: its failure is getFinalValue()'s, not an unhandled rejection.
  exact.catch(() => undefined);
  return new PartialResult(partial.currentResult(), false, exact);
}
