import { isPassingS3Failure } from './s3-failure.js';

/**
 * `call`, tried again while it fails for a reason that passes (isPassingS3Failure: the
 * endpoint unreachable, a reset, a timeout, a 5xx, throttling) and `retryTimeoutMs`
 * (S3Options.retryTimeoutMs) has not run out, after pauses of 200 ms doubling to 2 s, as
 * Hadoop's S3A retries connectivity failures under Spark; the last failure is thrown.
 * Only for idempotent calls: a whole-object PUT, a GET, a listing, a delete, a copy.
 */
export async function retryPassing<T>(retryTimeoutMs: number, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + retryTimeoutMs;
  for (let retry = 0; ; retry++) {
    try {
      return await call();
    } catch (err) {
      const pause = Math.min(2000, 200 * 2 ** retry);
      if (!isPassingS3Failure(err) || Date.now() + pause > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
