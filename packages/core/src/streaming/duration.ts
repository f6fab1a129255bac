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

/**
 * Spark's duration helpers (`Milliseconds(500)`, `Seconds(1)`, `Minutes(5)`, and the same as
 * `Durations.milliseconds/seconds/minutes`), so a ported `new StreamingContext(sc, Seconds(1))`,
 * `window(Seconds(30), Seconds(10))` or `StateSpec.function(f).timeout(Minutes(5))` reads as
 * it did. Each returns milliseconds, the number every duration-taking API accepts. Unlike
 * Spark's Duration there is no arithmetic (`+`, `*`, `isMultipleOf`): the result is a number.
 * A fraction is taken when it makes whole milliseconds (`Seconds(0.5)` is 500); a negative,
 * NaN, infinite or non-number argument is SLUICE_BAD_ARGUMENT naming the helper and the value.
 */
function durationOf(helper: string, n: unknown, unit: string, unitMs: number): number {
  const ms = typeof n === 'number' ? n * unitMs : NaN;
  // Within a millionth of a millisecond of a whole one: float noise (1.1 * 1000 is 1100.0000000000002).
  const whole = Math.round(ms);
  if (typeof n !== 'number' || !Number.isFinite(ms) || n < 0 || Math.abs(ms - whole) > 1e-6) {
    const shown = typeof n === 'string' ? `'${n}'` : typeof n === 'number' || n === undefined || n === null ? String(n) : `a ${typeof n}`;
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${helper}(${shown}): give a number of ${unit}, 0 or more, that makes whole milliseconds (${helper}(1)); got ${shown}${typeof n === 'string' ? ", a string: pass a number, or the string alone without the helper ('1s')" : ''}`,
    );
  }
  return whole;
}

/** Spark's `Milliseconds(n)`: `n` milliseconds, as a number. */
export function Milliseconds(n: number): number {
  return durationOf('Milliseconds', n, 'milliseconds', 1);
}

/** Spark's `Seconds(n)`: `n` seconds, in milliseconds. */
export function Seconds(n: number): number {
  return durationOf('Seconds', n, 'seconds', 1000);
}

/** Spark's `Minutes(n)`: `n` minutes, in milliseconds. */
export function Minutes(n: number): number {
  return durationOf('Minutes', n, 'minutes', 60_000);
}

/** Spark's `Durations` (its Java-friendly helpers): `Durations.seconds(1)` and so on, in milliseconds. */
export const Durations: { readonly milliseconds: (n: number) => number; readonly seconds: (n: number) => number; readonly minutes: (n: number) => number } = Object.freeze({
  milliseconds: (n: number): number => durationOf('Durations.milliseconds', n, 'milliseconds', 1),
  seconds: (n: number): number => durationOf('Durations.seconds', n, 'seconds', 1000),
  minutes: (n: number): number => durationOf('Durations.minutes', n, 'minutes', 60_000),
});
