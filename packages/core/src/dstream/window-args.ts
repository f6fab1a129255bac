import { SluiceError } from '../errors.js';
import { toMillis, type Duration } from '../streaming/duration.js';
import type { DStream } from './dstream.js';

/** A window's length or slide must be a multiple of the slide of the stream it reads. */
export function checkMultiple(ms: number, parent: DStream<unknown>, what: string): void {
  const of = parent.slideDuration;
  if (ms % of !== 0) {
    const which = of === parent.ssc.batchIntervalMs ? 'the batch interval' : "the slide of the windowed stream it reads";
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what} (${ms} ms) must be a multiple of ${which} (${of} ms)`);
  }
}

/**
 * A window-family call's durations, checked where the program gives them: each a duration,
 * and a multiple of `parent`'s slide (the slide defaults to it). The message names the call
 * the program made (`dstream.countByWindow: window length (1500 ms) ...`), not the window
 * operator it is built on, as a bad partition count names its call.
 */
export function checkWindowArgs(parent: DStream<unknown>, operator: string, windowDuration: Duration, slideDuration: Duration | undefined): void {
  const call = `dstream.${operator}`;
  checkMultiple(toMillis(windowDuration, `${call}: window length`), parent, `${call}: window length`);
  if (slideDuration !== undefined) checkMultiple(toMillis(slideDuration, `${call}: window slide`), parent, `${call}: window slide`);
}
