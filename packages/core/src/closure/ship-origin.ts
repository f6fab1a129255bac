/**
 * Where a function given to a DStream operator was given: the operator the user called
 * (`dstream.map`) and the call's `file:line:column`. A DStream ships its functions again
 * for every batch, through the RDD operators of that batch (`rdd.map`), from the job
 * generator's stack, where no frame is the user's; an error or warning about that
 * shipping names the user's call instead, as it does when the operator is called.
 *
 * Per thread (a driver program's thread runs one job); entries go with their functions.
 */
export interface ShipOrigin {
  readonly operator: string;
  readonly callSite: string;
}

const origins = new WeakMap<Function, ShipOrigin>();

/** Remember where `fn` was given to a DStream operator; the first call wins (an operator built on another one calls it again). */
export function rememberShipOrigin(fn: Function, origin: ShipOrigin): void {
  if (!origins.has(fn)) origins.set(fn, origin);
}

export function shipOriginOf(fn: Function): ShipOrigin | undefined {
  return origins.get(fn);
}

/** Depth of batch generation on this thread (see generatingBatch). */
let generating = 0;

/**
 * Run `f`, a batch's RDD generation from its DStreams, as the job generator does: while
 * it runs, a function with a remembered origin is shipped with that origin without
 * looking for the user's frame on the stack first (there is none at batch time, and
 * reading a source-mapped stack for every operator of every batch is a large part of a
 * small batch's cost on the driver).
 */
export function generatingBatch<T>(f: () => T): T {
  generating++;
  try {
    return f();
  } finally {
    generating--;
  }
}

export function isGeneratingBatch(): boolean {
  return generating > 0;
}
