import { SluiceError } from '../errors.js';

/**
 * Why a running action was cancelled along with others (Spark's handleJobCancellation reason):
 * `part of cancelled job group G`, `part of cancelled job tags T`, `as part of cancellation of
 * all jobs`. The action's abort signal carries it; the driver ends the action's error with it
 * (`action 3 of job ... was cancelled: part of cancelled job group G`). Its own message is the
 * action's error where it is cancelled before its job started.
 */
export class ActionCancelled extends SluiceError {
  constructor(readonly reason: string) {
    super('SLUICE_CANCELLED', `the action was cancelled before its job started: ${reason}`);
    this.name = 'ActionCancelled';
  }
}

/** The reason a cancelled action's signal carries, if any. */
export function cancelReason(signal: AbortSignal | undefined): string | undefined {
  return signal?.reason instanceof ActionCancelled ? signal.reason.reason : undefined;
}
