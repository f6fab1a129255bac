/**
 * Values that travel with a shipped function in a form of their own (broadcast
 * variables, accumulators) implement `[SHIP]()`; the worker turns the result back
 * into a live value with the reviver it is given (see revive-closure.ts).
 */
export const SHIP: unique symbol = Symbol.for('sluice.ship') as never;

export interface ShippedValue {
  readonly type: string;
  readonly data: unknown;
}

export interface Shippable {
  [SHIP](): ShippedValue;
}

export function isShippable(v: unknown): v is Shippable {
  return typeof v === 'object' && v !== null && typeof (v as Partial<Shippable>)[SHIP] === 'function';
}
