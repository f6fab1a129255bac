import { isSluiceError, SluiceError } from '../errors.js';
import { errorClassName, userErrorInfo } from '../util/user-error.js';

/**
 * The error a failed output operation stops its StreamingContext with (what
 * awaitTermination throws), as Spark's JobScheduler.reportError ("Error running job
 * streaming job <time> ms.<op>"): the failure's code (a SluiceError's; another error stays
 * a plain Error of its name, reported as before), its message and its stack (the user's
 * frames) kept, the message followed by a line naming the batch time and the output
 * operation, so whoever reads it (the submitting terminal, `sluice jobs`) knows which batch
 * failed. The original is its `cause`. `doing`: what was under way, when not the output's jobs
 * (the batch's RDDs being generated, where a `transform` function runs).
 */
export function batchFailure(err: unknown, batchTime: number, op: { readonly id: number; readonly name: string }, doing?: string): Error {
  const info = userErrorInfo(err);
  const where = `\nin the streaming batch of ${batchTime} ms (${new Date(batchTime).toISOString()}), output operation ${op.id} (${op.name})${doing === undefined ? '' : `, ${doing}`}`;
  const message = info.message + where;
  let e: Error;
  if (isSluiceError(err)) e = new SluiceError(err.code, message, { cause: err });
  else {
    e = new Error(message, { cause: err });
    e.name = err instanceof Error ? errorClassName(err) : 'Error';
  }
  const at = info.message === '' ? -1 : info.stack.indexOf(info.message);
  const [head, ...rest] = info.stack.split('\n');
  e.stack = at >= 0 ? info.stack.slice(0, at) + message + info.stack.slice(at + info.message.length) : [head + where, ...rest].join('\n');
  return e;
}

/**
 * What a function of the program that threw while a batch was generated (transform's, on the
 * driver) fails the context with: its own error, its class and fields kept (Spark's
 * awaitTermination throws that exception itself: StreamingContextSuite "awaitTermination with
 * error in job generation"), its message and stack given batchFailure's line naming the batch,
 * the output being generated and that it was generated (Spark logs "Error generating jobs for
 * time T"). A value that is no Error, or one that cannot be changed (frozen), gets batchFailure's
 * new error instead.
 */
export function generationFailure(err: unknown, batchTime: number, op: { readonly id: number; readonly name: string }): unknown {
  const named = batchFailure(err, batchTime, op, 'generating its RDDs on the driver');
  if (!(err instanceof Error)) return named;
  try {
    err.message = named.message;
    err.stack = named.stack;
    return err;
  } catch {
    return named;
  }
}
