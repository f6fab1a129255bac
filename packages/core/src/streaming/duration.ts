import { SluiceError } from '../errors.js';

/** The units a duration's text may end in: milliseconds, seconds, minutes, hours, days. */
export type DurationUnit = 'ms' | 's' | 'm' | 'min' | 'h' | 'd';

/**
 * A duration: milliseconds (1000), or a number followed by a unit
 * ('500ms', '1s', '2m', '2min', '1h', '1d'), so a typo such as '1 sec' or '2 minutes' is a type error.
 * Plain JavaScript callers get the same check at runtime (SLUICE_BAD_ARGUMENT).
 */
export type Duration = number | `${number}${DurationUnit}`;

const UNITS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration. Takes any string (a CLI flag, an untyped caller) and refuses
 * what is not a duration with a message naming `what`, the value and the accepted forms.
 */
export function toMillis(d: Duration | string, what: string): number {
  let ms: number;
  if (typeof d === 'number') ms = d;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)\s*$/.exec(d);
    if (!m) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `${what}: '${d}' is not a duration; write milliseconds (1000) or a number and a unit with no space: '500ms', '1s', '2m' or '2min', '1h', '1d'`,
      );
    }
    ms = Number(m[1]) * UNITS[m[2] as DurationUnit];
  }
  if (!Number.isFinite(ms) || ms <= 0 || !Number.isInteger(ms)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what} must be a positive whole number of milliseconds, got ${String(d)}`);
  }
  return ms;
}
