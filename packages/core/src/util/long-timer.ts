/**
 * A timer for any wait a program may ask for: Node's setTimeout takes at most 2^31 - 1 ms
 * (~24.8 days) and fires a longer one after 1 ms (TimeoutOverflowWarning), where a Spark
 * program passes Scala Longs (awaitTerminationOrTimeout, countApprox's timeout).
 */

/** Node's longest timer: setTimeout with more fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once, when `ms` milliseconds have passed by performance.now(): a wait longer than
 * Node's longest timer is waited out in several, and a timer firing a fraction early waits the
 * rest. A negative `ms` is as 0 (the next turn of the event loop). Returns the cancel function.
 */
export function afterMs(ms: number, fn: () => void): () => void {
  const end = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const wait = (): void => {
    const left = end - performance.now();
    if (left <= 0) return fn();
    timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
  };
  timer = setTimeout(wait, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  return () => clearTimeout(timer);
}
