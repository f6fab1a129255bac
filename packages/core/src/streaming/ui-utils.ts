import { SluiceError } from '../errors.js';

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

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The fields of `time` in `timeZone` (an IANA name), or in the process's local time zone when undefined. */
function fieldsOf(time: number, timeZone: string | undefined): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const date = new Date(time);
  if (timeZone === undefined) return { y: date.getFullYear(), mo: date.getMonth() + 1, d: date.getDate(), h: date.getHours(), mi: date.getMinutes(), s: date.getSeconds() };
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `UIUtils.formatBatchTime: unknown time zone ${JSON.stringify(timeZone)}; give an IANA name such as 'UTC' or 'America/Los_Angeles'`);
  }
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour, mi: parts.minute, s: parts.second };
}

/**
 * Spark's streaming UIUtils.formatBatchTime: `yyyy/MM/dd HH:mm:ss`, with `.SSS` when the batch
 * interval is under a second, and only the time of day when `showYYYYMMSS` is false. The time
 * zone is the process's local one (Spark's: the JVM's default), or `timeZone` (an IANA name).
 */
export function formatBatchTime(batchTime: number, batchInterval: number, showYYYYMMSS = true, timeZone?: string): string {
  if (!Number.isFinite(batchTime)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `UIUtils.formatBatchTime: batchTime must be a time in ms, got ${String(batchTime)}`);
  const f = fieldsOf(batchTime, timeZone);
  const millis = ((batchTime % 1000) + 1000) % 1000;
  const clock = `${pad(f.h, 2)}:${pad(f.mi, 2)}:${pad(f.s, 2)}${batchInterval < 1000 ? `.${pad(millis, 3)}` : ''}`;
  return showYYYYMMSS ? `${pad(f.y, 4)}/${pad(f.mo, 2)}/${pad(f.d, 2)} ${clock}` : clock;
}

/** Spark's (core) UIUtils.formatDuration: "87 ms", "0.4 s", "12 s", "1.2 min", "25 min", "1.5 h". */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${Math.trunc(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 1) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  const minutes = seconds / 60;
  if (minutes < 10) return `${minutes.toFixed(1)} min`;
  if (minutes < 60) return `${minutes.toFixed(0)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/**
 * Spark's (core) UIUtils.formatDurationVerbose: "1 second", "2 minutes 3 seconds", "500 ms",
 * "1 second 200 ms": the two or three largest units below the next one up, as Spark writes them
 * (a unit at 0 leaves an empty place, so a double space can show, as in Spark's).
 */
export function formatDurationVerbose(ms: number): string {
  ms = Math.trunc(ms);
  const second = 1000;
  const minute = 60 * second;
  const hour = 60 * minute;
  const day = 24 * hour;
  const week = 7 * day;
  const year = 365 * day;
  const unit = (num: number, name: string): string => (num === 0 ? '' : num === 1 ? `${num} ${name}` : `${num} ${name}s`);
  const millisecondsString = ms >= second && ms % second === 0 ? '' : `${ms % second} ms`;
  const secondString = unit(Math.trunc((ms % minute) / second), 'second');
  const minuteString = unit(Math.trunc((ms % hour) / minute), 'minute');
  const hourString = unit(Math.trunc((ms % day) / hour), 'hour');
  const dayString = unit(Math.trunc((ms % week) / day), 'day');
  const weekString = unit(Math.trunc((ms % year) / week), 'week');
  const yearString = unit(Math.trunc(ms / year), 'year');
  const limits: [number, string][] = [
    [second, millisecondsString],
    [minute, `${secondString} ${millisecondsString}`],
    [hour, `${minuteString} ${secondString}`],
    [day, `${hourString} ${minuteString} ${secondString}`],
    [week, `${dayString} ${hourString} ${minuteString}`],
    [year, `${weekString} ${dayString} ${hourString}`],
  ];
  for (const [limit, text] of limits) if (ms < limit) return text;
  return `${yearString} ${weekString} ${dayString}`;
}

/** Spark Streaming's UIUtils (and core's two duration formats the Streaming UI uses), as functions. */
export const UIUtils = { shortTimeUnitString, normalizeDuration, convertToTimeUnit, formatBatchTime, formatDuration, formatDurationVerbose } as const;
