import { types } from 'node:util';
import { SluiceError } from '../errors.js';
import { captureClosure } from '../closure/capture-closure.js';
import { reviveClosure } from '../closure/revive-closure.js';
import type { ShippedFunction } from '../closure/shipped-function.js';

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
 * Classes declared at `sluice shell`'s prompt (Spark's REPL case classes) are in no bundle:
 * a batch holding their instances carries, once, a table of them ([binding name, source,
 * the class shipped as a function is, with what it captures of the prompt]), and each tagged
 * instance the index of its class there (`s`). The receiving thread takes the class it
 * already has under that name and source (at the shell, the prompt's own, found through
 * setScriptClassLookup; on a worker, the copy reviveClosure made of a class a function
 * captured from the prompt, registerScriptClass), else revives the shipped class once (its
 * methods see the prompt's names it captured, its parent class comes with it). Only those
 * classes qualify: a Node or package class is refused as before.
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
  /** The prompt classes the records hold: [binding name, source, shipped class], indexed by Tagged.s. */
  readonly k?: ReadonlyArray<readonly [string, string, ShippedFunction?]>;
}
interface Tagged {
  readonly [TAG]: 'instance';
  readonly c: string;
  readonly f: Record<string, unknown>;
  /** For a class declared at the shell's prompt: its index in the batch's table (Marked.k). */
  readonly s?: number;
}

/** A class declared at the shell's prompt: the name it is bound to there, and its source. */
interface ScriptClass {
  readonly name: string;
  readonly source: string;
  /** The class as a shipped function, with its captures (undefined: it could not be captured; the source alone travels). */
  readonly shipped: ShippedFunction | undefined;
}

/** How the shell tells its prompt's classes (setScriptClassLookup). */
export interface ScriptClassLookup {
  /** The class bound to `name` at the prompt's top level, if one is and its source was typed there. */
  classNamed(name: string): Function | undefined;
  /** Whether `source` (a class's text) was typed at the prompt, at any depth. */
  typed(source: string): boolean;
}

type Scope = (src: string) => unknown;
let scope: Scope | undefined;
let bundleText = '';
/** The bundle's top-level classes and the names they are bound to, found on first need. */
let bindings: Map<Function, string> | undefined;
/** Per class: its binding name if it can travel, else the error to throw. */
let checked = new WeakMap<Function, string | ScriptClass | SluiceError>();
/** This thread's prompt classes: by constructor, and by name and source (`${name}\n${source}`). */
let scriptClasses = new WeakMap<Function, ScriptClass>();
let scriptClassByKey = new Map<string, Function>();
let scriptLookup: ScriptClassLookup | undefined;

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
  scriptClasses = new WeakMap();
  scriptClassByKey = new Map();
  scriptLookup = undefined;
}

/** For `sluice shell`'s program: how to find the classes declared at its prompt (undefined: none). */
export function setScriptClassLookup(lookup: ScriptClassLookup | undefined): void {
  scriptLookup = lookup;
}

function sourceOf(ctor: Function): string {
  return Function.prototype.toString.call(ctor);
}

/**
 * A class captured from the shell's prompt, as reviveClosure made it in this thread: its
 * instances may travel as records. Returns the class to use: one this thread already has
 * under the same name and source when `reuse` (the class captured nothing of its own), so
 * every task's records and functions share one class; else `ctor`, which replaces it.
 */
export function registerScriptClass(ctor: Function, name: string, reuse: boolean, shipped?: ShippedFunction): Function {
  const source = sourceOf(ctor);
  const key = `${name}\n${source}`;
  const have = scriptClassByKey.get(key);
  if (reuse && have !== undefined) return have;
  scriptClassByKey.set(key, ctor);
  scriptClasses.set(ctor, { name, source, shipped });
  return ctor;
}

/** A shipped class's captures are data and classes; a broadcast or accumulator has no task to belong to here. */
function refuseShippable(type: string): never {
  throw new SluiceError('SLUICE_BAD_RECORD', `a class declared at the shell's prompt captures a ${type}, which a record's class cannot bring: use it in the function instead`);
}

/** The class of a prompt class's instance arriving here: this thread's copy, the prompt's own, or one evaluated from its source. */
function scriptClassFor(name: string, source: string, shipped: ShippedFunction | undefined): Function {
  const key = `${name}\n${source}`;
  const have = scriptClassByKey.get(key);
  if (have !== undefined) return have;
  let ctor: unknown = scriptLookup?.classNamed(name);
  if (typeof ctor !== 'function' || sourceOf(ctor) !== source) {
    if (!/^class\b/.test(source)) throw new SluiceError('SLUICE_BAD_RECORD', `a record of class ${name} arrived whose class source is not a class`);
    try {
      ctor = shipped !== undefined && scope !== undefined ? reviveClosure(shipped, scope, refuseShippable) : scope?.(`(${source}\n)`);
      if (typeof ctor === 'function' && sourceOf(ctor) !== source) throw new Error('the shipped class is not the one of the record');
    } catch (cause) {
      throw new SluiceError(
        'SLUICE_BAD_RECORD',
        `a record of class ${name} (declared at the shell's prompt) arrived, but the class cannot be rebuilt in this process from its source: ${cause instanceof Error ? cause.message : String(cause)}. ` +
          `A prompt class that extends another prompt class is rebuilt only where a function that uses it ran; map such records to plain objects ({ ...p }) before a shuffle, collect or cache, or put the classes in a job file and \`sluice run\` it`,
        { cause },
      );
    }
    if (typeof ctor !== 'function') throw new SluiceError('SLUICE_BAD_RECORD', `a record of class ${name} arrived, but no job bundle is loaded here to rebuild its class in`);
  }
  scriptClassByKey.set(key, ctor as Function);
  scriptClasses.set(ctor as Function, { name, source, shipped });
  return ctor as Function;
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

/**
 * The name `ctor` is bound to at the top level of the bundle, which resolves to `ctor`
 * everywhere; or, for a class declared at the shell's prompt, its name and source.
 */
function classOf(ctor: Function): string | ScriptClass {
  const known = checked.get(ctor);
  if (typeof known === 'string') return known;
  if (known instanceof SluiceError) throw known;
  if (known) return known;
  const binding = classBindings().get(ctor);
  if (binding !== undefined) {
    checked.set(ctor, binding);
    return binding;
  }
  const script = scriptClasses.get(ctor) ?? promptClass(ctor);
  if (script !== undefined) {
    checked.set(ctor, script);
    return script;
  }
  const name = ctor.name.replace(/^_+(?=[A-Za-z$])/, '');
  let source = '';
  try {
    source = sourceOf(ctor);
  } catch {
    // a Proxy of a class: not typed at the prompt
  }
  const err = new SluiceError(
    'SLUICE_BAD_RECORD',
    scriptLookup && source !== '' && scriptLookup.typed(source)
      ? `records of class ${name || '(anonymous)'} cannot travel between processes: the class was declared at the shell's prompt, but inside a function or block, where other processes cannot find it. ` +
          `Declare class ${name || '(anonymous)'} at the top level of the prompt, or map such records to plain objects ({ ...p }) before a shuffle, collect or cache`
      : scope && !definedInBundle(ctor)
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

/** `ctor` as a class of the shell's prompt (declared at its top level), registered; undefined if it is not one. */
function promptClass(ctor: Function): ScriptClass | undefined {
  if (scriptLookup === undefined || ctor.name === '' || scriptLookup.classNamed(ctor.name) !== ctor) return undefined;
  let shipped: ShippedFunction | undefined;
  try {
    shipped = captureClosure(ctor, `a record of class ${ctor.name}`, "the shell's prompt");
  } catch {
    shipped = undefined; // it captures what cannot travel: its source alone does
  }
  const entry = { name: ctor.name, source: sourceOf(ctor), shipped };
  scriptClasses.set(ctor, entry);
  scriptClassByKey.set(`${entry.name}\n${entry.source}`, ctor);
  return entry;
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
function tag(value: unknown, seen: Map<object, unknown>, table: Map<ScriptClass, number>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const have = seen.get(value);
  if (have !== undefined) return have;
  const ctor = userClassOf(value);
  if (ctor) {
    const fields: Record<string, unknown> = {};
    const cls = classOf(ctor);
    let out: Tagged;
    if (typeof cls === 'string') out = { [TAG]: 'instance', c: cls, f: fields };
    else {
      let s = table.get(cls);
      if (s === undefined) table.set(cls, (s = table.size));
      out = { [TAG]: 'instance', c: cls.name, f: fields, s };
    }
    seen.set(value, out);
    for (const k of Object.keys(value)) fields[k] = tag((value as Record<string, unknown>)[k], seen, table);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) && proto === Array.prototype) {
    const out: unknown[] = new Array<unknown>(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = tag(value[i], seen, table);
    return out;
  }
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = Object.create(proto as object | null) as Record<string, unknown>;
    seen.set(value, out);
    for (const k of Object.keys(value)) Object.defineProperty(out, k, { value: tag((value as Record<string, unknown>)[k], seen, table), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (types.isMap(value) && proto === Map.prototype) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(tag(k, seen, table), tag(v, seen, table));
    return out;
  }
  if (types.isSet(value) && proto === Set.prototype) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const v of value) out.add(tag(v, seen, table));
    return out;
  }
  return value;
}

function isTagged(v: unknown): v is Tagged {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[TAG] === 'instance';
}

/** Rebuild tagged instances in place (containers are fresh from the decoder). */
function untag(value: unknown, revived: Map<object, unknown>, table: Marked['k']): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const have = revived.get(value);
  if (have !== undefined) return have;
  if (isTagged(value)) {
    const script = value.s === undefined ? undefined : table?.[value.s];
    if (value.s !== undefined && script === undefined) throw new SluiceError('SLUICE_BAD_RECORD', `a record of class ${value.c} arrived without its class in the batch's table`);
    const ctor = script !== undefined ? scriptClassFor(script[0], script[1], script[2]) : scope?.(value.c);
    if (typeof ctor !== 'function') throw new SluiceError('SLUICE_BAD_RECORD', `a record of class ${value.c} arrived, but the job bundle has no top-level class ${value.c}`);
    const inst = Object.create((ctor as { prototype: object }).prototype) as Record<string, unknown>;
    revived.set(value, inst);
    for (const k of Object.keys(value.f)) Object.defineProperty(inst, k, { value: untag(value.f[k], revived, table), enumerable: true, writable: true, configurable: true });
    return inst;
  }
  revived.set(value, value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = untag(value[i], revived, table);
  } else if (types.isMap(value)) {
    const entries = [...value];
    value.clear();
    for (const [k, v] of entries) value.set(untag(k, revived, table), untag(v, revived, table));
  } else if (types.isSet(value)) {
    const items = [...value];
    value.clear();
    for (const v of items) value.add(untag(v, revived, table));
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = untag(o[k], revived, table);
      // defineProperty: a key may be `__proto__`.
      if (v !== o[k]) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return value;
}

/** Records ready for v8 serialize: `value` itself when it holds no class instance. */
export function toWire(value: unknown): unknown {
  if (!mayHoldInstances(value, 0)) return value;
  const table = new Map<ScriptClass, number>();
  const v = tag(value, new Map(), table);
  const marked: Marked = table.size === 0 ? { [TAG]: 'records', v } : { [TAG]: 'records', v, k: [...table.keys()].map((c) => (c.shipped === undefined ? ([c.name, c.source] as const) : ([c.name, c.source, c.shipped] as const))) };
  return marked;
}

/** Records as they were before toWire, where the job bundle is loaded; elsewhere unchanged. */
export function fromWire<T = unknown>(value: unknown): T {
  if (typeof value !== 'object' || value === null || (value as Record<string, unknown>)[TAG] !== 'records' || !scope) return value as T;
  return untag((value as Marked).v, new Map(), (value as Marked).k) as T;
}
