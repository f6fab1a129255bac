import { SluiceError } from '../errors.js';

/** A duration in milliseconds, or text such as '500ms', '1s', '2m', '1h'. */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function toMillis(d: Duration, what: string): number {
  let ms: number;
  if (typeof d === 'number') ms = d;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(d);
    if (!m) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: '${d}' is not a duration; write milliseconds (1000) or text like '500ms', '1s', '2m'`);
    ms = Number(m[1]) * UNITS[m[2]];
  }
  if (!Number.isFinite(ms) || ms <= 0 || !Number.isInteger(ms)) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what} must be a positive whole number of milliseconds, got ${String(d)}`);
  }
  return ms;
}
