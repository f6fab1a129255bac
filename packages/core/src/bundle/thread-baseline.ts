/**
 * What a job thread (a worker's task thread, a driver's driver-program thread) holds before
 * any job ran in it, to tell after a job whether the job left anything behind that could
 * act later or that another job could see: resources that keep the thread's event loop
 * busy (timers, sockets, servers, immediates: what `process.getActiveResourcesInfo()`
 * lists), globals added or replaced (`globalThis`'s own properties), properties added to or
 * replaced on the builtins and their prototypes, `process.env`, and listeners on `process`.
 * A thread whose job changed none of them may serve another job of the same bundle (the
 * worker's SpareTaskThreads.giveBack, the driver's SpareJobThreads.giveBack); any other is
 * terminated.
 *
 * What it cannot see, and why that is accepted: state inside objects it does not walk (a
 * property set deep in a builtin's object, a Node module's internals), a timer the job
 * `unref()`ed (not listed by Node), and the job's own module state (not shared anyway: a
 * thread bound again imports its bundle afresh). A job of the same bundle runs the same
 * code, so what the first one could leave the second one would make itself.
 *
 * Threading: the thread that takes it, only.
 */

/** Builtins whose own properties (and their prototypes') a job must not have changed. */
const BUILTINS: readonly object[] = [
  Object, Function, Array, String, Number, Boolean, Symbol, BigInt, Promise, Map, Set, WeakMap, WeakSet,
  Date, RegExp, Error, TypeError, RangeError, JSON, Math, Reflect, ArrayBuffer, SharedArrayBuffer, DataView,
  Uint8Array, Int32Array, Float64Array, Buffer, TextEncoder, TextDecoder, URL,
];

/** An object's own properties: each data property's value, or for an accessor its getter, marked. */
type Props = Map<string | symbol, { readonly value: unknown; readonly accessor: boolean }>;

function propsOf(o: object): Props {
  const out: Props = new Map();
  for (const key of Reflect.ownKeys(o)) {
    const d = Reflect.getOwnPropertyDescriptor(o, key);
    out.set(key, d === undefined ? { value: undefined, accessor: false } : 'value' in d ? { value: d.value, accessor: false } : { value: d.get, accessor: true });
  }
  return out;
}

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

function listenerCounts(): Map<string | symbol, number> {
  return new Map(process.eventNames().map((e) => [e, process.listenerCount(e)]));
}

export class ThreadBaseline {
  private readonly resources = resourceCounts();
  private readonly globals = propsOf(globalThis);
  private readonly builtins = BUILTINS.flatMap((b) => {
    const proto = (b as { prototype?: unknown }).prototype;
    return [b, ...(typeof proto === 'object' && proto !== null ? [proto] : [])].map((o) => ({ o, props: propsOf(o) }));
  });
  private readonly env = { ...process.env };
  private readonly listeners = listenerCounts();

  /** Why this thread differs from its baseline now (the first difference found), or undefined when it does not. */
  difference(): string | undefined {
    for (const [r, n] of resourceCounts()) if (n > (this.resources.get(r) ?? 0)) return `the job left ${n - (this.resources.get(r) ?? 0)} ${r} active`;
    const g = changed(this.globals, propsOf(globalThis));
    if (g !== undefined) return `the job added or replaced the global ${g}`;
    for (const { o, props } of this.builtins) {
      const p = changed(props, propsOf(o));
      if (p !== undefined) return `the job added or replaced ${p} on a builtin (${describe(o)})`;
    }
    const keys = new Set([...Object.keys(this.env), ...Object.keys(process.env)]);
    for (const k of keys) if (this.env[k] !== process.env[k]) return `the job changed process.env.${k}`;
    for (const [e, n] of listenerCounts()) if (n > (this.listeners.get(e) ?? 0)) return `the job added a listener to process '${String(e)}'`;
    return undefined;
  }
}

/**
 * The first property added to, removed from or replaced in `now` against `before`, by name.
 * A property that was an accessor before is not compared by value (Node defines some
 * globals lazily: the first read replaces the accessor with the value, which no job did on purpose).
 */
function changed(before: Props, now: Props): string | undefined {
  for (const [key, p] of now) {
    const was = before.get(key);
    if (was === undefined || (!was.accessor && !Object.is(was.value, p.value))) return String(key);
  }
  for (const key of before.keys()) if (!now.has(key)) return String(key);
  return undefined;
}

function describe(o: object): string {
  const ctor = (o as { constructor?: { name?: string } }).constructor;
  return typeof o === 'function' ? o.name : `${ctor?.name ?? 'Object'}.prototype`;
}
