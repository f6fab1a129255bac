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

/**
 * Java's `String.format("%.<digits>f", x)`, which Spark's formats write numbers with. Java rounds
 * the double's shortest decimal text (Double.toString's digits: 0.95 is "0.95") half up, where
 * JavaScript's toFixed rounds the double's exact binary value (0.95 is 0.94999...): Java writes
 * 0.95 as "1.0" and 1.45 as "1.5", toFixed "0.9" and "1.4". NaN and the infinities as Java.
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  // JavaScript's String(x) is the shortest text that reads back as x, as Java's Double.toString.
  const [mantissa, exponent = '0'] = String(Math.abs(x)).split('e');
  const [whole, fraction = ''] = mantissa.split('.');
  let text = whole + fraction;
  let point = whole.length + Number(exponent);
  if (point < 0) {
    text = '0'.repeat(-point) + text;
    point = 0;
  }
  const keep = point + digits;
  if (text.length < keep) text = text.padEnd(keep, '0');
  const kept = text.slice(0, keep).split('');
  if (text.length > keep && text.charCodeAt(keep) >= 53 /* '5' */) {
    let i = kept.length - 1;
    while (i >= 0 && kept[i] === '9') kept[i--] = '0';
    if (i >= 0) kept[i] = String(Number(kept[i]) + 1);
    else {
      kept.unshift('1');
      point += 1;
    }
  }
  const intPart = kept.slice(0, point).join('').replace(/^0+(?=\d)/, '') || '0';
  return digits > 0 ? `${sign}${intPart}.${kept.slice(point).join('')}` : `${sign}${intPart}`;
}

/**
 * Spark's (core) UIUtils.formatDuration: "87 ms", "0.4 s", "12 s", "1.2 min", "25 min", "1.5 h",
 * its `%.1f` and `%.0f` rounded as Java's Formatter rounds (formatFixed): 950 ms is "1.0 s",
 * 597,000 ms (9.95 min) "10.0 min".
 */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${Math.trunc(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 1) return `${formatFixed(seconds, 1)} s`;
  if (seconds < 60) return `${formatFixed(seconds, 0)} s`;
  const minutes = seconds / 60;
  if (minutes < 10) return `${formatFixed(minutes, 1)} min`;
  if (minutes < 60) return `${formatFixed(minutes, 0)} min`;
  return `${formatFixed(minutes / 60, 1)} h`;
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

/**
 * The average under a Streaming page series' title, as Spark's StreamingPage writes it: the input
 * rate's mean of the batches' records/sec as `Avg: %.2f records/sec` (RecordRateUIData), a
 * duration's mean of whole ms, truncated as Spark's Long division, as `Avg: ` and its
 * formatDurationVerbose (MillisecondsStatUIData); '-' in place of the mean with no batch.
 */
export function formatStatAverage(kind: 'rate' | 'duration', values: readonly number[]): string {
  if (kind === 'rate') return `Avg: ${values.length === 0 ? '-' : formatFixed(values.reduce((a, b) => a + b, 0) / values.length, 2)} records/sec`;
  return `Avg: ${values.length === 0 ? '-' : formatDurationVerbose(Math.trunc(values.reduce((a, b) => a + b, 0) / values.length))}`;
}
