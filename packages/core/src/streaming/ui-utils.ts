import { SluiceError } from '../errors.js';
import { formatBatchTime as formatBatchTimeIn, formatDuration, formatDurationVerbose, zoneClock } from './ui-formats.js';

export { formatDuration, formatDurationVerbose };

/** Java's TimeUnit, as Spark's streaming UIUtils takes it. */
export type TimeUnit = 'NANOSECONDS' | 'MICROSECONDS' | 'MILLISECONDS' | 'SECONDS' | 'MINUTES' | 'HOURS' | 'DAYS';

const SHORT: Readonly<Record<TimeUnit, string>> = { NANOSECONDS: 'ns', MICROSECONDS: 'us', MILLISECONDS: 'ms', SECONDS: 'sec', MINUTES: 'min', HOURS: 'hrs', DAYS: 'days' };

function checkUnit(unit: unknown, where: string): TimeUnit {
  if (typeof unit === 'string' && Object.hasOwn(SHORT, unit)) return unit as TimeUnit;
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `UIUtils.${where}: unknown time unit ${JSON.stringify(unit) ?? String(unit)}; the units are ${Object.keys(SHORT).join(', ')}`);
}

/** Spark's UIUtils.shortTimeUnitString: "ns", "us", "ms", "sec", "min", "hrs", "days". */
export function shortTimeUnitString(unit: TimeUnit): string {
  return SHORT[checkUnit(unit, 'shortTimeUnitString')];
}

/** Spark's UIUtils.normalizeDuration: the largest unit (up to days) in which `ms` is at least 1, and the value in it. */
export function normalizeDuration(ms: number): [number, TimeUnit] {
  if (ms < 1000) return [ms, 'MILLISECONDS'];
  const seconds = ms / 1000;
  if (seconds < 60) return [seconds, 'SECONDS'];
  const minutes = seconds / 60;
  if (minutes < 60) return [minutes, 'MINUTES'];
  const hours = minutes / 60;
  if (hours < 24) return [hours, 'HOURS'];
  return [hours / 24, 'DAYS'];
}

/** Spark's UIUtils.convertToTimeUnit: `ms` in `unit`, fractions kept. */
export function convertToTimeUnit(ms: number, unit: TimeUnit): number {
  switch (checkUnit(unit, 'convertToTimeUnit')) {
    case 'NANOSECONDS':
      return ms * 1000 * 1000;
    case 'MICROSECONDS':
      return ms * 1000;
    case 'MILLISECONDS':
      return ms;
    case 'SECONDS':
      return ms / 1000;
    case 'MINUTES':
      return ms / 1000 / 60;
    case 'HOURS':
      return ms / 1000 / 60 / 60;
    case 'DAYS':
      return ms / 1000 / 60 / 60 / 24;
  }
}

/**
 * Spark's streaming UIUtils.formatBatchTime: `yyyy/MM/dd HH:mm:ss`, with `.SSS` when the batch
 * interval is under a second, and only the time of day when `showYYYYMMSS` is false. The time
 * zone is the process's local one (Spark's: the JVM's default), or `timeZone` (an IANA name).
 * The format is ui-formats.ts's (the Streaming page's script runs the same code).
 */
export function formatBatchTime(batchTime: number, batchInterval: number, showYYYYMMSS = true, timeZone?: string): string {
  if (!Number.isFinite(batchTime)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `UIUtils.formatBatchTime: batchTime must be a time in ms, got ${String(batchTime)}`);
  if (timeZone !== undefined) {
    try {
      zoneClock(timeZone);
    } catch {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `UIUtils.formatBatchTime: unknown time zone ${JSON.stringify(timeZone)}; give an IANA name such as 'UTC' or 'America/Los_Angeles'`);
    }
  }
  return formatBatchTimeIn(batchTime, batchInterval, showYYYYMMSS, timeZone);
}

/** Spark Streaming's UIUtils (and core's two duration formats the Streaming UI uses), as functions. */
export const UIUtils = { shortTimeUnitString, normalizeDuration, convertToTimeUnit, formatBatchTime, formatDuration, formatDurationVerbose } as const;
