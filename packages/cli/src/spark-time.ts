/** Spark's time suffixes (JavaUtils.timeSuffixes), in milliseconds. */
const TIME_UNITS_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A Spark time in whole milliseconds, as Spark's JavaUtils.timeStringAs reads a timeConf
 * ('25ms', '5s', '10min', '3h'; case and surrounding space ignored): a whole number, then a
 * unit or none (then `defaultUnit`, 'ms' for timeStringAsMs, 's' for timeStringAsSec), with
 * no space between them. Microseconds are rounded down, as TimeUnit.convert truncates.
 * Undefined for what Spark would not read (a fraction, a space inside, an unknown unit) and
 * for a negative time, which no Sluice setting takes.
 */
export function sparkTimeStringMs(value: string, defaultUnit: 'ms' | 's'): number | undefined {
  const m = /^(\d+)([a-z]+)?$/.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const perUnit = TIME_UNITS_MS[m[2] ?? defaultUnit];
  return perUnit === undefined ? undefined : Math.floor(Number(m[1]) * perUnit);
}
