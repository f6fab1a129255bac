import { isSluiceError, SluiceError } from '../errors.js';
import { userErrorInfo } from '../util/user-error.js';

/**
 * The error a failed output operation stops its StreamingContext with (what
 * awaitTermination throws), as Spark's JobScheduler.reportError ("Error running job
 * streaming job <time> ms.<op>"): the failure's code (a SluiceError's; another error stays
 * a plain Error of its name, reported as before), its message and its stack (the user's
 * frames) kept, the message followed by a line naming the batch time and the output
 * operation, so whoever reads it (the submitting terminal, `sluice jobs`) knows which batch
 * failed. The original is its `cause`.
 */
export function batchFailure(err: unknown, batchTime: number, op: { readonly id: number; readonly name: string }): Error {
  const info = userErrorInfo(err);
  const where = `\nin the streaming batch of ${batchTime} ms (${new Date(batchTime).toISOString()}), output operation ${op.id} (${op.name})`;
  const message = info.message + where;
  let e: Error;
  if (isSluiceError(err)) e = new SluiceError(err.code, message, { cause: err });
  else {
    e = new Error(message, { cause: err });
    e.name = err instanceof Error ? err.name : 'Error';
  }
  const at = info.message === '' ? -1 : info.stack.indexOf(info.message);
  const [head, ...rest] = info.stack.split('\n');
  e.stack = at >= 0 ? info.stack.slice(0, at) + message + info.stack.slice(at + info.message.length) : [head + where, ...rest].join('\n');
  return e;
}
