import { DEFAULT_PID, type PIDSettings } from './rate/pid-rate-estimator.js';

/** What a StreamingContext runs with, as it resolved its options (StreamingContextOptions). */
export interface StreamingSettings {
  readonly blockIntervalMs: number;
  readonly concurrentJobs: number;
  /** Set while backpressure is on. */
  readonly backpressure: { readonly initialRate: number | undefined; readonly pid: PIDSettings } | undefined;
  readonly receiverMaxRate: number | undefined;
  /** Set while the receivers' write-ahead log is on. */
  readonly wal: { readonly rollingIntervalMs: number } | undefined;
}

/**
 * A StreamingContext's settings as the Spark properties they are in Spark (Spark's
 * spark.streaming.*, each with the value in effect, a default included), sorted by key: where a
 * Spark program sets them in its SparkConf and finds them on the UI's Environment tab, a Sluice
 * job sets them as options of its StreamingContext, which reports these at start (its progress
 * event 'contextStarted') so that the driver's Environment page and REST environment list them
 * with its own properties. A receiver max rate or a backpressure initial rate is listed only
 * when set (Spark's defaults are no bound); the PID's settings only while backpressure is on.
 */
export function streamingProperties(s: StreamingSettings): [string, string][] {
  const props: [string, string][] = [
    ['spark.streaming.blockInterval', `${s.blockIntervalMs}ms`],
    ['spark.streaming.concurrentJobs', String(s.concurrentJobs)],
    ['spark.streaming.backpressure.enabled', String(s.backpressure !== undefined)],
    ['spark.streaming.receiver.writeAheadLog.enable', String(s.wal !== undefined)],
  ];
  if (s.receiverMaxRate !== undefined) props.push(['spark.streaming.receiver.maxRate', String(s.receiverMaxRate)]);
  if (s.backpressure !== undefined) {
    const given = Object.fromEntries(Object.entries(s.backpressure.pid).filter(([, v]) => v !== undefined));
    const pid: Required<PIDSettings> = { ...DEFAULT_PID, ...given };
    if (s.backpressure.initialRate !== undefined) props.push(['spark.streaming.backpressure.initialRate', String(s.backpressure.initialRate)]);
    props.push(
      ['spark.streaming.backpressure.pid.proportional', String(pid.proportional)],
      ['spark.streaming.backpressure.pid.integral', String(pid.integral)],
      ['spark.streaming.backpressure.pid.derived', String(pid.derived)],
      ['spark.streaming.backpressure.pid.minRate', String(pid.minRate)],
    );
  }
  if (s.wal !== undefined) props.push(['spark.streaming.receiver.writeAheadLog.rollingIntervalSecs', String(Math.round(s.wal.rollingIntervalMs / 1000))]);
  return props.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
