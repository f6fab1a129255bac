import { types } from 'node:util';
import { SluiceError } from '../errors.js';

/**
 * Records that are instances of the job's own classes keep their class across processes,
 * as Kryo registration does in Spark, but without a registration step: every class
 * defined at the top level of the job file (or of a module it imports, bundled with it)
 * is known by name in the job bundle's module scope, which every process of the job loads.
 *
 * v8 serialize carries an instance's own properties but not its prototype. So before
 * records are encoded, `toWire` replaces each class instance by a tagged plain object
 * { [TAG]: 'instance', c: class name, f: own properties }, and after they are decoded,
 * `fromWire` rebuilds it with the class's prototype (the constructor is not called, as in
 * Java serialization). An encoded batch with any tagged instance is wrapped in a marker,
 * so decoding a batch without one costs nothing; encoding checks each record once.
 *
 * The class of an instance must be reachable from the bundle's scope under its name, and
 * be that very class: this is checked when encoding, and anything else (a class defined
 * inside a function, a class of a CommonJS dependency, an object made by Object.create of
 * a non-class prototype) fails at once with an error that names the class and the fix.
 * What v8 does not carry, tagged instances do not carry either: `#private` fields and
 * functions stored in fields.
 *
 * Threading: the scope is per thread, set once by the thread that loads the job bundle
 * (a worker's task thread, the driver's job thread); every such thread runs one job.
 * Threads without a scope (the driver's and workers' main threads) pass tagged data
 * through untouched: it is revived where the job's code runs.
 */

const TAG = '\u0000sluice';
/** A decoded batch whose records contain tagged instances somewhere. */
interface Marked {
  readonly [TAG]: 'records';
  readonly v: unknown;
}
interface Tagged {
  readonly [TAG]: 'instance';
  readonly c: string;
  readonly f: Record<string, unknown>;
}

type Scope = (src: string) => unknown;
let scope: Scope | undefined;
let bundleText = '';
/** The bundle's top-level classes and the names they are bound to, found on first need. */
let bindings: Map<Function, string> | undefined;
/** Per class: its binding name if it can travel, else the error to throw. */
let checked = new WeakMap<Function, string | SluiceError>();

/**
 * Set the job bundle's scope for this thread: its exported eval and its text, where the
 * top-level class bindings are found (esbuild may bind `class _Point` as `Point`, or
 * rename one of two `Point`s `Point2`, so a class's name is not always its binding).
 */
export function setRecordClassScope(evalInScope: Scope | undefined, text = ''): void {
  scope = evalInScope;
  bundleText = text;
  bindings = undefined;
  checked = new WeakMap();
}

/** Top-level `class X`, `var X = class` (and let/const) of the bundle, by constructor. */
const TOP_LEVEL_CLASS = /^(?:export\s+)?(?:class\s+([A-Za-z_$][\w$]*)|(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*class\b)/gm;

function classBindings(): Map<Function, string> {
  if (bindings) return bindings;
  bindings = new Map();
  if (!scope) return bindings;
  for (const m of bundleText.matchAll(TOP_LEVEL_CLASS)) {
    const name = m[1] ?? m[2];
    let v: unknown;
    try {
      v = scope(name);
    } catch {
      continue;
    }
    if (typeof v === 'function' && !bindings.has(v)) bindings.set(v, name);
  }
  return bindings;
}

/**
 * The name `ctor` is bound to at the top level of this thread's job bundle; null when a
 * bundle is loaded here and the class is not among its top-level classes (defined inside
 * a function, say); undefined when no bundle is loaded in this thread (nothing to check).
 */
export function topLevelClassBinding(ctor: Function): string | null | undefined {
  if (!scope) return undefined;
  return classBindings().get(ctor) ?? null;
}

/** Prototypes v8 serialize carries faithfully (or rejects itself): not user classes. */
const BUILTIN_PROTOS = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
  ArrayBuffer.prototype,
  SharedArrayBuffer.prototype,
  DataView.prototype,
  Object.getPrototypeOf(Uint8Array.prototype),
  Error.prototype,
  Promise.prototype,
  WeakMap.prototype,
  WeakSet.prototype,
]);

/** The user class `o` is an instance of, or undefined for plain data and built-ins. */
function userClassOf(o: object): Function | undefined {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === null || proto === Object.prototype || proto === Array.prototype) return undefined;
  for (let p: unknown = proto; p !== null; p = Object.getPrototypeOf(p)) {
    if (p === Object.prototype) break;
    if (BUILTIN_PROTOS.has(p)) return undefined; // a built-in or a subclass of one: v8's business
  }
  const ctor = Object.hasOwn(proto as object, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
  if (typeof ctor === 'function' && ctor.prototype === proto) return ctor;
  throw new SluiceError(
    'SLUICE_BAD_RECORD',
    'a record holds an object whose prototype is not a class (made with Object.create?); it would arrive without that prototype. Use an instance of a class defined at the top level of the job file, or a plain object',
  );
}

/** The name `ctor` is bound to at the top level of the bundle, which resolves to `ctor` everywhere. */
function classNameOf(ctor: Function): string {
  const known = checked.get(ctor);
  if (typeof known === 'string') return known;
  if (known) throw known;
  const binding = classBindings().get(ctor);
  if (binding !== undefined) {
    checked.set(ctor, binding);
    return binding;
  }
  const name = ctor.name.replace(/^_+(?=[A-Za-z$])/, '');
  const err = new SluiceError(
    'SLUICE_BAD_RECORD',
    scope && !definedInBundle(ctor)
      ? // Node's own (net.Socket, an EventEmitter...): no move makes it data.
        `records of class ${name || '(anonymous)'} cannot travel between processes: it is not a class of the job's code but Node's (or of a package outside the job bundle), such as a socket, a stream or a client, whose state lives in this process. ` +
          `Keep such objects out of records: open them where they are used (once per partition, in mapPartitions or foreachPartition) and put only plain data in records`
      : scope
      ? `records of class ${name || '(anonymous)'} cannot travel between processes: the class is not defined at the top level of the job file or of a module it imports (is it defined inside a function?), so other processes cannot find it. ` +
          `Move class ${name || '(anonymous)'} to the top level of its module, or map such records to plain objects before a shuffle, collect or cache`
      : `records of class ${name || '(anonymous)'} cannot be encoded here: no job bundle is loaded in this thread to find the class in`,
  );
  checked.set(ctor, err);
  throw err;
}

/** Whether `ctor`'s source is the job bundle's: a class of the job's code or of a package bundled with it. */
function definedInBundle(ctor: Function): boolean {
  let source: string;
  try {
    source = Function.prototype.toString.call(ctor);
  } catch {
    return true;
  }
  return bundleText === '' || bundleText.includes(source);
}

/** Depth past which the quick check gives up and the full walk (which handles cycles) runs. */
const QUICK_DEPTH = 64;

/** true if `v` may hold a user class instance (or is too deep to tell quickly). */
function mayHoldInstances(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth > QUICK_DEPTH) return true;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return true;
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (typeof e === 'object' && e !== null && mayHoldInstances(e, depth + 1)) return true;
    }
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    for (const k in v) {
      const e = (v as Record<string, unknown>)[k];
      if (typeof e === 'object' && e !== null && mayHoldInstances(e, depth + 1)) return true;
    }
    return false;
  }
  if (types.isMap(v) && proto === Map.prototype) {
    for (const [k, e] of v) if (mayHoldInstances(k, depth + 1) || mayHoldInstances(e, depth + 1)) return true;
    return false;
  }
  if (types.isSet(v) && proto === Set.prototype) {
    for (const e of v) if (mayHoldInstances(e, depth + 1)) return true;
    return false;
  }
  return userClassOf(v) !== undefined;
}

/** `value` with every user class instance replaced by a tagged plain object (copying only what changes). */
function tag(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const have = seen.get(value);
  if (have !== undefined) return have;
  const ctor = userClassOf(value);
  if (ctor) {
    const fields: Record<string, unknown> = {};
    const out: Tagged = { [TAG]: 'instance', c: classNameOf(ctor), f: fields };
    seen.set(value, out);
    for (const k of Object.keys(value)) fields[k] = tag((value as Record<string, unknown>)[k], seen);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) && proto === Array.prototype) {
    const out: unknown[] = new Array<unknown>(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = tag(value[i], seen);
    return out;
  }
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = Object.create(proto as object | null) as Record<string, unknown>;
    seen.set(value, out);
    for (const k of Object.keys(value)) Object.defineProperty(out, k, { value: tag((value as Record<string, unknown>)[k], seen), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (types.isMap(value) && proto === Map.prototype) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(tag(k, seen), tag(v, seen));
    return out;
  }
  if (types.isSet(value) && proto === Set.prototype) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const v of value) out.add(tag(v, seen));
    return out;
  }
  return value;
}

function isTagged(v: unknown): v is Tagged {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[TAG] === 'instance';
}

/** Rebuild tagged instances in place (containers are fresh from the decoder). */
function untag(value: unknown, revived: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const have = revived.get(value);
  if (have !== undefined) return have;
  if (isTagged(value)) {
    const ctor = scope?.(value.c);
    if (typeof ctor !== 'function') throw new SluiceError('SLUICE_BAD_RECORD', `a record of class ${value.c} arrived, but the job bundle has no top-level class ${value.c}`);
    const inst = Object.create((ctor as { prototype: object }).prototype) as Record<string, unknown>;
    revived.set(value, inst);
    for (const k of Object.keys(value.f)) Object.defineProperty(inst, k, { value: untag(value.f[k], revived), enumerable: true, writable: true, configurable: true });
    return inst;
  }
  revived.set(value, value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = untag(value[i], revived);
  } else if (types.isMap(value)) {
    const entries = [...value];
    value.clear();
    for (const [k, v] of entries) value.set(untag(k, revived), untag(v, revived));
  } else if (types.isSet(value)) {
    const items = [...value];
    value.clear();
    for (const v of items) value.add(untag(v, revived));
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = untag(o[k], revived);
      // defineProperty: a key may be `__proto__`.
      if (v !== o[k]) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return value;
}

/** Records ready for v8 serialize: `value` itself when it holds no class instance. */
export function toWire(value: unknown): unknown {
  if (!mayHoldInstances(value, 0)) return value;
  const marked: Marked = { [TAG]: 'records', v: tag(value, new Map()) };
  return marked;
}

/** Records as they were before toWire, where the job bundle is loaded; elsewhere unchanged. */
export function fromWire<T = unknown>(value: unknown): T {
  if (typeof value !== 'object' || value === null || (value as Record<string, unknown>)[TAG] !== 'records' || !scope) return value as T;
  return untag((value as Marked).v, new Map()) as T;
}
