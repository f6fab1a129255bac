import { SluiceError } from '../errors.js';
import { toMillis, type Duration } from '../streaming/duration.js';
import type { DStream } from './dstream.js';

/**
 * Which of Spark's classes makes the window, and so whose sentence a bad duration gets:
 * WindowedDStream (window, and reduceByWindow, groupByKeyAndWindow, reduceByKeyAndWindow
 * without an inverse, built on it) or ReducedWindowedDStream (countByWindow,
 * countByValueAndWindow, and reduceByWindow / reduceByKeyAndWindow with an inverse).
 */
export type SparkWindowClass = 'WindowedDStream' | 'ReducedWindowedDStream';

/**
 * Spark's sentence for a window length or slide that is no multiple of its parent's slide
 * (Spark's Duration prints as "<ms> ms"): WindowedDStream's exception, or
 * ReducedWindowedDStream's require (its "requirement failed: " left out, as for Sluice's
 * other quoted requires).
 */
function sparkSentence(cls: SparkWindowClass, what: string, ms: number, of: number): string {
  const which = what.endsWith('length') ? 'window' : 'slide';
  return cls === 'WindowedDStream'
    ? `The ${which} duration of windowed DStream (${ms} ms) must be a multiple of the slide duration of parent DStream (${of} ms)`
    : `The ${which} duration of ReducedWindowedDStream (${ms} ms) must be multiple of the slide duration of parent DStream (${of} ms)`;
}

/**
 * A window's length or slide must be a multiple of the slide of the stream it reads. With
 * `cls`, the message ends with that Spark class's sentence (since 2026-12-05).
 */
export function checkMultiple(ms: number, parent: DStream<unknown>, what: string, cls?: SparkWindowClass): void {
  const of = parent.slideDuration;
  if (ms % of !== 0) {
    const which = of === parent.ssc.batchIntervalMs ? 'the batch interval' : "the slide of the windowed stream it reads";
    const spark = cls === undefined ? '' : ` (Spark: "${sparkSentence(cls, what, ms, of)}")`;
    // PySpark's window(30, 10) is in seconds; ported as is, it is 30 ms here.
    const seconds = ms > 0 && ms < of && (ms * 1000) % of === 0 ? `; a number is milliseconds: for ${ms} seconds (PySpark's ${ms}) write Seconds(${ms}) or '${ms}s'` : '';
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what} (${ms} ms) must be a multiple of ${which} (${of} ms)${seconds}${spark}`);
  }
}

/**
 * A window-family call's durations, checked where the program gives them: each a duration,
 * and a multiple of `parent`'s slide (the slide defaults to it). The message names the call
 * the program made (`dstream.countByWindow: window length (1500 ms) ...`), not the window
 * operator it is built on, as a bad partition count names its call, and ends with the
 * sentence of the Spark class `cls` that Spark's same call builds.
 */
export function checkWindowArgs(parent: DStream<unknown>, operator: string, windowDuration: Duration, slideDuration: Duration | undefined, cls: SparkWindowClass): void {
  const call = `dstream.${operator}`;
  checkMultiple(toMillis(windowDuration, `${call}: window length`), parent, `${call}: window length`, cls);
  if (slideDuration !== undefined) checkMultiple(toMillis(slideDuration, `${call}: window slide`), parent, `${call}: window slide`, cls);
}
