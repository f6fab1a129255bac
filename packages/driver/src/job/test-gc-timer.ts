import { SluiceError, collectGarbage } from '@sluice/core/internal';

/** The hidden, test-only switch: the driver program thread's forced collections' period (ms). */
export const TEST_GC_ENV = 'SLUICE_TEST_GC_EVERY_MS';

/**
 * Test-only: with SLUICE_TEST_GC_EVERY_MS=n (a whole number of milliseconds, 1 or more) in the
 * driver's environment, the driver program's thread is fully garbage collected every n ms while
 * a program runs (an unref'd timer, stopped by the returned function before the thread checks
 * what the program left behind). What the context cleaner removes once V8 collected what reads
 * it (a shuffle's map outputs, a persisted RDD's blocks, a broadcast, an RDD checkpoint; Spark's
 * ContextCleaner) is then removed about as early as it may ever be, so a test that reads what its
 * program no longer references fails most runs rather than when V8 happens to collect. Unset
 * (every normal run): nothing is started. A value that is not such a number is refused (thrown),
 * as a switch silently off would let a test run pass that was meant to stress the cleaner.
 * `collect`: collectGarbage, or a test's counter.
 */
export function startTestGc(env: NodeJS.ProcessEnv = process.env, collect: () => void = collectGarbage): () => void {
  const text = env[TEST_GC_ENV];
  if (text === undefined || text === '') return () => undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${TEST_GC_ENV}=${JSON.stringify(text)} is not a whole number of milliseconds (1 or more): set it to e.g. 10 to collect the driver program's garbage every 10 ms (test runs only), or unset it`);
  }
  const timer = setInterval(collect, ms);
  timer.unref();
  return () => clearInterval(timer);
}
