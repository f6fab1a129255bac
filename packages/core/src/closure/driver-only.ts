/**
 * Values that exist on the driver only (an RDD, the SluiceContext) say so through
 * `[DRIVER_ONLY]`: a function that captures one is refused with what it is and what to do
 * instead, where an object of any other class gets the general advice (and a class name a
 * bundler may have renamed, `_RDD`).
 */
export const DRIVER_ONLY: unique symbol = Symbol.for('sluice.driverOnly') as never;

export interface DriverOnlyInfo {
  /** What it is, for the message: 'an RDD'. */
  readonly what: string;
  /** What to do instead. */
  readonly fix: string;
}

export function driverOnlyInfo(v: unknown): DriverOnlyInfo | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const info = (v as { [DRIVER_ONLY]?: unknown })[DRIVER_ONLY];
  return typeof info === 'object' && info !== null && typeof (info as DriverOnlyInfo).what === 'string' ? (info as DriverOnlyInfo) : undefined;
}
