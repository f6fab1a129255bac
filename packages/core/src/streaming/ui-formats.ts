/**
 * The formats of Spark's UIUtils that the Streaming UI writes times and durations in
 * (formatBatchTime, formatDuration, formatDurationVerbose), in a module that imports nothing
 * and touches no Node API: the driver serves this compiled file as it is to the browser
 * (`/static/ui-formats.js`, read by the Streaming page's script), so the page and the
 * server-side pages write them with one code. ui-utils.ts is the API over it (checked
 * arguments, SluiceError); keep this file free of imports.
 */

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** A formatter of each time zone asked for (an IANA name), made once. */
const clocks = new Map<string, Intl.DateTimeFormat>();

/** The formatter of the fields of a time in `timeZone`; a RangeError for a zone Intl does not know. */
export function zoneClock(timeZone: string): Intl.DateTimeFormat {
  let clock = clocks.get(timeZone);
  if (clock === undefined) {
    clock = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    clocks.set(timeZone, clock);
  }
  return clock;
}

/** The fields of `time` in `timeZone` (an IANA name), or in the process's local time zone when undefined. */
function fieldsOf(time: number, timeZone: string | undefined): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const date = new Date(time);
  if (timeZone === undefined) return { y: date.getFullYear(), mo: date.getMonth() + 1, d: date.getDate(), h: date.getHours(), mi: date.getMinutes(), s: date.getSeconds() };
  const parts: Record<string, number> = {};
  for (const p of zoneClock(timeZone).formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour, mi: parts.minute, s: parts.second };
}

/**
 * Spark's streaming UIUtils.formatBatchTime: `yyyy/MM/dd HH:mm:ss`, with `.SSS` when the batch
 * interval is under a second, and only the time of day when `showYYYYMMSS` is false. The time
 * zone is the process's local one (Spark's: the JVM's default), or `timeZone` (an IANA name).
 */
export function formatBatchTime(batchTime: number, batchInterval: number, showYYYYMMSS = true, timeZone?: string): string {
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
