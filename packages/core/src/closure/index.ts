/**
 * Closure shipping: functions given to operators travel as source plus captured locals.
 *
 *   const shipped = captureClosure((x: number) => x * factor, 'rdd.map');   // driver
 *   const fn = reviveClosure(shipped, (s) => eval(s), reviveShippable);      // worker, inside the bundle
 */
export { captureClosure, shipGlobals, type CaptureWarning } from './capture-closure.js';
export { reviveClosure, type BundleOrigin } from './revive-closure.js';
export { SHIP, isShippable } from './shippable.js';
export type { Shippable, ShippedValue } from './shippable.js';
export type { CapturedValue, ShippedFunction } from './shipped-function.js';
