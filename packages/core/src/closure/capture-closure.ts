/**
 * Turns a function given to an operator into a ShippedFunction: its source plus the
 * values of the local variables it captured, found through the V8 inspector.
 *
 * Closure / Block / Catch / Eval / Script scopes are shipped. Module and Global bindings
 * are not: on a worker the function is revived inside the same job bundle's module scope,
 * where they resolve as they did on the driver. A Script scope (the top-level `const`s,
 * `let`s and classes of classic scripts: what `sluice shell`'s REPL keeps a line's
 * declarations in) is in no bundle, so what a function uses of it travels as a local does. A scope object lists every
 * context-allocated variable of that scope, including ones only sibling closures use, so
 * only names that occur as identifiers in the function's own source are taken.
 *
 * Synchronous: an in-process inspector session answers `post` before it returns. One
 * session per thread, created on first use and kept until the thread's job ends
 * (closeCaptureSession).
 */
import { Session } from 'node:inspector';
import { types } from 'node:util';
import { NotSerializableError, SluiceError } from '../errors.js';
import { SHIP, isShippable } from './shippable.js';
import { driverOnlyInfo } from './driver-only.js';
import type { CapturedValue, ShippedFunction } from './shipped-function.js';
import { UNKNOWN_CALL_SITE, userCallSite } from './call-site.js';
import { capturedWrites, functionExpression, ownThisTokens, referencedNames, thisProperty, tokenize } from './function-source.js';
import { isGeneratingBatch, shipOriginOf } from './ship-origin.js';

/** A web of mutually recursive local functions is shipped as a tree; this bounds it. */
const MAX_FUNCTIONS = 1000;

const FIX = 'Create it inside the function, or use mapPartitions to create one per partition, or pass plain data instead.';

/**
 * Something that ships but probably does not do what its author meant: a write to a
 * captured variable happens on a worker's copy, never on the driver's variable.
 */
export interface CaptureWarning {
  /** Constant text, for the log line's message. */
  readonly message: string;
  /** What and where: operator, callSite, function, variable, write, hint. */
  readonly fields: Readonly<Record<string, string>>;
}

interface CaptureContext {
  readonly operator: string;
  readonly callSite: string;
  readonly onWarning: ((w: CaptureWarning) => void) | undefined;
  /** Functions being shipped, outermost first (for `ref`s). */
  readonly stack: Function[];
  /** Names of the captured functions we are inside of, for messages. */
  readonly via: string[];
  count: number;
}

/**
 * Captures `fn` for shipping. `operator` (e.g. `rdd.map`) and `callSite` (default: the
 * first stack frame outside this package; when no frame is the user's, as at batch time,
 * where `fn` was given to a DStream operator, see ship-origin.ts) only go into error
 * messages, warnings and the result. Throws NotSerializableError when something it
 * captures cannot travel or it uses `this`; `onWarning` hears of writes to captured
 * variables (they change a worker's copy only).
 */
export function captureClosure(fn: Function, operator: string, callSite?: string, onWarning?: (w: CaptureWarning) => void): ShippedFunction {
  let op = operator;
  // At batch time a DStream's function is shipped with where the user gave it (no user
  // frame is on the stack then, and reading the stack costs).
  const origin = callSite === undefined && typeof fn === 'function' ? shipOriginOf(fn) : undefined;
  let site = callSite ?? (origin !== undefined && isGeneratingBatch() ? UNKNOWN_CALL_SITE : userCallSite());
  if (callSite === undefined && site === UNKNOWN_CALL_SITE && origin !== undefined) ({ operator: op, callSite: site } = origin);
  const ctx: CaptureContext = { operator: op, callSite: site, onWarning, stack: [], via: [], count: 0 };
  if (typeof fn !== 'function') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where(ctx)} was given ${describe(fn)} where a function was expected.`);
  }
  const key = `${op}\n${site}`;
  const known = capturesNothing.get(fn)?.get(key);
  if (known !== undefined) return known;
  const shipped = captureFunction(fn, ctx);
  if (Object.keys(shipped.captures).length === 0) {
    let byKey = capturesNothing.get(fn);
    if (byKey === undefined) capturesNothing.set(fn, (byKey = new Map()));
    byKey.set(key, shipped);
  }
  return shipped;
}

/**
 * Functions that capture no local variable, shipped already, by operator and call site.
 * Which variables a function captures is fixed when it is created (its scopes do not
 * change), so a function that captured none ships the same way every time: a DStream's
 * functions, shipped again for every batch, are read through the inspector once. A
 * function that captures something is read every time (the values may have changed
 * since, and each shipping takes them as they are then, as Spark serializes a closure
 * per job). Entries go with their functions.
 */
const capturesNothing = new WeakMap<Function, Map<string, ShippedFunction>>();

function where(ctx: CaptureContext): string {
  return `${ctx.operator} at ${ctx.callSite}`;
}

function captureFunction(fn: Function, ctx: CaptureContext): ShippedFunction {
  if (++ctx.count > MAX_FUNCTIONS) {
    throw new NotSerializableError(
      `Task not serializable: ${where(ctx)} captures more than ${MAX_FUNCTIONS} local functions (mutually recursive helpers are copied per path). ` +
        'Move the helpers to module level: module-level functions are not shipped, the job bundle has them.',
    );
  }
  const raw = Function.prototype.toString.call(fn);
  const name = typeof fn.name === 'string' ? fn.name : ''; // a class may define `static name()`
  const label = name || '<anonymous>';
  if (/\{\s*\[native code\]\s*\}\s*$/.test(raw)) {
    // A built-in every worker has (String, Number, parseInt, Math.sqrt, JSON.parse, console.log, ...)
    // travels as its path from globalThis: `lines.map(Number)`, `rdd.foreach(console.log)` (Scala's
    // rdd.foreach(println)) run as written.
    const builtin = globalPath(fn);
    if (builtin !== undefined) return { source: `(globalThis${builtin.map((k) => `[${JSON.stringify(k)}]`).join('')})`, name: label, callSite: ctx.callSite, captures: {} };
    const what = ctx.via.length === 0 ? `was given the function '${label}'` : `captures '${ctx.via.join(' → ')}' (the function '${label}')`;
    throw new NotSerializableError(
      `Task not serializable: ${where(ctx)} ${what}, which is native or bound and has no source to send to workers. ` +
        'Wrap it in an arrow function written in the job (x => JSON.parse(x) instead of JSON.parse; x => f(a, x) instead of f.bind(null, a)).',
    );
  }
  const tokens = tokenize(raw);
  const source = functionExpression(raw, tokens, name, (why) => {
    throw new NotSerializableError(`Task not serializable: ${where(ctx)}: the function '${label}' cannot be shipped: ${why}`);
  });
  const selfRefs = ownThisTokens(tokens);
  if (selfRefs.length > 0) {
    const property = thisProperty(tokens, selfRefs[0]!);
    const what = ctx.via.length === 0 ? `the function '${label}'` : `the function '${label}' (captured as '${ctx.via.join(' → ')}')`;
    const local = property !== undefined && /^[A-Za-z_$][\w$]*$/.test(property) ? property : 'value';
    throw new NotSerializableError(
      `Task not serializable: ${where(ctx)}: ${what} uses \`this\`${property !== undefined ? ` (this.${property})` : ''}, which does not travel with a shipped function (on a worker it is not your object). ` +
        `Copy the field into a local before the call and use the local inside the function: const ${local} = this.${property ?? 'value'};`,
    );
  }
  const referenced = referencedNames(tokens);
  const { locals, moduleNames, scriptNames, location } = readCapturedLocals(fn, referenced);
  if (shippedGlobal !== undefined) addShippedGlobals(locals, referenced, shippedGlobal);
  if (ctx.onWarning !== undefined) warnOfWrites(raw, tokens, label, locals, ctx);
  ctx.stack.push(fn);
  try {
    const captures: Record<string, CapturedValue> = {};
    for (const [name, value] of locals) {
      // defineProperty: a local may be called `__proto__`.
      let captured = encodeCapture(name, value, ctx);
      // A class declared at the shell's prompt: its instances may travel as records (record-classes.ts).
      if (captured.kind === 'function' && scriptNames?.has(name) && isClass(value)) captured = { ...captured, scriptClass: true };
      Object.defineProperty(captures, name, { value: captured, enumerable: true, writable: true, configurable: true });
    }
    for (const [name, moduleName] of moduleNames) {
      Object.defineProperty(captures, name, { value: { kind: 'module', name: moduleName }, enumerable: true, writable: true, configurable: true });
    }
    return { source, name: label, callSite: ctx.callSite, captures, ...(location && { location }) };
  } finally {
    ctx.stack.pop();
  }
}

function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/** Which globals of this thread travel with a function that uses them (shipGlobals); none by default. */
let shippedGlobal: ((name: string) => boolean) | undefined;

/**
 * Make the global variables `which` picks travel with a shipped function that uses them, as
 * its captured locals do (undefined: none, the default). For `sluice shell`: a `var` or
 * `function` declared at its prompt is a property of globalThis, which no worker has. A name
 * the function finds in a scope of its own first is not looked up (module-level bindings
 * are not read here: a caller with a module scope of its own gives no `which`).
 */
export function shipGlobals(which: ((name: string) => boolean) | undefined): void {
  shippedGlobal = which;
}

function addShippedGlobals(locals: Map<string, unknown>, referenced: ReadonlySet<string>, which: (name: string) => boolean): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of referenced) {
    if (locals.has(name) || !Object.hasOwn(g, name) || !which(name)) continue;
    const desc = Object.getOwnPropertyDescriptor(g, name);
    // A data property (what `var` and `function` make); an accessor is left alone.
    if (desc !== undefined && 'value' in desc) locals.set(name, desc.value);
  }
}

/** The objects of globalThis whose built-in functions ship by path, besides globalThis's own (String, parseInt, ...). */
const BUILTIN_NAMESPACES = ['Math', 'JSON', 'console', 'Number', 'Object', 'Array', 'String', 'Reflect', 'Date', 'BigInt', 'Boolean', 'Symbol', 'Buffer'] as const;

/**
 * Where a native function is found from globalThis (`['parseInt']`, `['Math', 'sqrt']`,
 * `['console', 'log']`), or undefined: a bound function or another native one the job made is no
 * built-in a worker has. Read at each call, as the job may have replaced a built-in.
 */
function globalPath(fn: Function): readonly string[] | undefined {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(g)) {
    if (name === 'globalThis') continue;
    const desc = Object.getOwnPropertyDescriptor(g, name);
    if (desc !== undefined && 'value' in desc && desc.value === fn) return [name];
  }
  for (const ns of BUILTIN_NAMESPACES) {
    const obj = g[ns];
    if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null) continue;
    for (const name of Object.getOwnPropertyNames(obj)) {
      const desc = Object.getOwnPropertyDescriptor(obj, name);
      if (desc !== undefined && 'value' in desc && desc.value === fn) return [ns, name];
    }
  }
  return undefined;
}

function warnOfWrites(raw: string, tokens: ReturnType<typeof tokenize>, label: string, locals: ReadonlyMap<string, unknown>, ctx: CaptureContext): void {
  // Data only: a broadcast or accumulator (`acc.add(x)`) is meant to be used that way, a captured function is code.
  const data = new Set([...locals].filter(([, v]) => typeof v !== 'function' && !isShippable(v)).map(([name]) => name));
  if (data.size === 0) return;
  for (const w of capturedWrites(raw, tokens, data)) {
    ctx.onWarning!({
      message: 'a shipped function writes to a captured driver variable; the write happens on a worker and the driver never sees it',
      fields: {
        operator: ctx.operator,
        callSite: ctx.callSite,
        function: ctx.via.length === 0 ? label : `${ctx.via.join(' → ')} (${label})`,
        variable: w.name,
        write: w.text,
        hint: `use an accumulator to bring values back to the driver (const ${w.name}Acc = sc.longAccumulator(); ${w.name}Acc.add(...) in the function; ${w.name}Acc.value on the driver), or collect()/reduce() the result`,
      },
    });
  }
}

function encodeCapture(name: string, value: unknown, ctx: CaptureContext): CapturedValue {
  if (typeof value === 'function') {
    const at = ctx.stack.lastIndexOf(value);
    if (at >= 0) return { kind: 'ref', index: ctx.stack.length - 1 - at };
    ctx.via.push(name);
    try {
      return { kind: 'function', fn: captureFunction(value, ctx) };
    } finally {
      ctx.via.pop();
    }
  }
  const path = [...ctx.via, name].join(' → ');
  if (isShippable(value)) {
    const shipped = value[SHIP]();
    checkPlain(shipped.data, `${path}[SHIP]().data`, ctx, new Set());
    return { kind: 'shippable', type: shipped.type, data: shipped.data };
  }
  checkPlain(value, path, ctx, new Set());
  return { kind: 'value', value };
}

// ---------------------------------------------------------------------------------------
// Values: only what the record codec (v8 serialize) carries faithfully.

function checkPlain(value: unknown, path: string, ctx: CaptureContext, seen: Set<object>): void {
  const fail = (fix: string): never => {
    throw new NotSerializableError(
      `Task not serializable: ${where(ctx)} captures '${path}' (${describe(value)}), which cannot be sent to workers. ${fix}`,
    );
  };
  if (typeof value === 'symbol') fail('Pass a string instead, or create the symbol inside the function.');
  if (typeof value === 'function') {
    fail('Functions are only shipped when captured directly: capture it in a variable of its own or define it at module level.');
  }
  if (typeof value !== 'object' || value === null) return;
  if (seen.has(value)) return;
  seen.add(value);
  if (types.isProxy(value) || types.isArgumentsObject(value) || types.isModuleNamespaceObject(value)) fail(FIX);
  const driverOnly = driverOnlyInfo(value);
  if (driverOnly !== undefined) fail(driverOnly.fix);
  if (isShippable(value)) fail('Broadcast variables and accumulators travel only when captured directly: capture it in a variable of its own.');
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) && proto === Array.prototype) {
    for (let i = 0; i < value.length; i++) checkPlain(value[i], `${path}[${i}]`, ctx, seen);
  } else if (types.isMap(value) && proto === Map.prototype) {
    for (const [k, v] of value) {
      checkPlain(k, `${path}.keys()`, ctx, seen);
      checkPlain(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : String(k)})`, ctx, seen);
    }
  } else if (types.isSet(value) && proto === Set.prototype) {
    for (const v of value) checkPlain(v, `${path}.values()`, ctx, seen);
  } else if (ArrayBuffer.isView(value)) {
    if (types.isSharedArrayBuffer(value.buffer)) fail('Copy it into an ordinary ArrayBuffer first.');
  } else if (types.isSharedArrayBuffer(value)) {
    fail('Copy it into an ordinary ArrayBuffer first.');
  } else if (
    !(types.isArrayBuffer(value) || (types.isDate(value) && proto === Date.prototype) || (types.isRegExp(value) && proto === RegExp.prototype))
  ) {
    if (proto !== Object.prototype && proto !== null) fail(FIX);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) checkPlain(record[key], `${path}${propertySuffix(key)}`, ctx, seen);
  }
}

function propertySuffix(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'symbol') return 'a Symbol';
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (types.isProxy(value)) return 'a Proxy';
  if (types.isArgumentsObject(value)) return 'an arguments object';
  if (types.isModuleNamespaceObject(value)) return 'a module namespace object';
  const driverOnly = driverOnlyInfo(value);
  if (driverOnly !== undefined) return driverOnly.what;
  let name: unknown;
  try {
    name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  } catch {
    name = undefined;
  }
  if (typeof name !== 'string' || name === '') return 'an object with a non-plain prototype';
  return `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name}`;
}

// ---------------------------------------------------------------------------------------
// The inspector: [[Scopes]] of a function, and the values of chosen variables in them.

interface RemoteObject {
  readonly type: string;
  readonly subtype?: string;
  readonly description?: string;
  readonly objectId?: string;
  readonly value?: unknown;
  readonly unserializableValue?: string;
}
interface PropertyList {
  readonly result: ReadonlyArray<{ readonly name: string; readonly value?: RemoteObject }>;
  readonly internalProperties?: ReadonlyArray<{ readonly name: string; readonly value?: RemoteObject }>;
}

const SLOT_KEY = 'sluice.closure.slot';
const SLOT: unique symbol = Symbol.for(SLOT_KEY) as never;
const SLOT_EXPR = `globalThis[Symbol.for(${JSON.stringify(SLOT_KEY)})]`;
const OBJECT_GROUP = 'sluice-closure';
type Slotted = typeof globalThis & { [SLOT]?: unknown };

let session: Session | undefined;

/** Disconnect this thread's inspector session, if one is open (a driver-program thread between two jobs); the next capture opens another. */
export function closeCaptureSession(): void {
  session?.disconnect();
  session = undefined;
  unreleased = 0;
  if (releaseTimer !== undefined) clearImmediate(releaseTimer);
  releaseTimer = undefined;
}

/**
 * Captures whose remote objects (the function, its [[Scopes]] list and the scopes' copies of
 * their variables) the inspector still holds. They are released together, by one
 * Runtime.releaseObjectGroup once the synchronous code that shipped them is done (a chain of
 * maps, a batch's operators) or once RELEASE_EVERY of them are held, where each capture made
 * that call itself.
 */
let unreleased = 0;
let releaseTimer: ReturnType<typeof setImmediate> | undefined;
const RELEASE_EVERY = 64;

function releaseCaptured(): void {
  if (releaseTimer !== undefined) clearImmediate(releaseTimer);
  releaseTimer = undefined;
  unreleased = 0;
  if (session !== undefined) post('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP });
}

function held(): void {
  if (++unreleased >= RELEASE_EVERY) releaseCaptured();
  else releaseTimer ??= setImmediate(releaseCaptured).unref();
}

/** Inspector calls this thread's captures have made, for tests (inspectorCalls). */
let calls = 0;

/** How many synchronous inspector calls closure capture has made on this thread so far (a debug counter, for tests). */
export function inspectorCalls(): number {
  return calls;
}

function post<R>(method: string, params: object): R {
  calls++;
  if (session === undefined) {
    const s = new Session();
    try {
      s.connect();
    } catch (cause) {
      throw new SluiceError('SLUICE_INTERNAL', 'Cannot find captured variables: the V8 inspector is not available in this Node.js process.', { cause });
    }
    session = s;
  }
  const answer: { done: boolean; error: Error | null; reply: unknown } = { done: false, error: null, reply: undefined };
  session.post(method, params, (error, reply) => Object.assign(answer, { done: true, error, reply }));
  if (!answer.done) throw new SluiceError('SLUICE_INTERNAL', `The V8 inspector answered ${method} asynchronously; closure capture needs an in-process session.`);
  if (answer.error !== null) throw new SluiceError('SLUICE_INTERNAL', `V8 inspector ${method} failed`, { cause: answer.error });
  return answer.reply as R;
}

const NOT_SHIPPED_SCOPES = new Set(['Module', 'Global', 'With']);

/** What readCapturedLocals gives: the captured locals by name, module twins, Script-scope names, the location. */
interface CapturedLocals {
  locals: Map<string, unknown>;
  moduleNames: Map<string, string>;
  scriptNames?: ReadonlySet<string>;
  location?: { line: number; column: number };
}

/** An element of a function's [[Scopes]] list as V8 builds it (v8-debugger.cc's getTargetScopes): `Closure (outer)` and a copy of its variables. */
interface ScopeEntry {
  readonly description: string;
  readonly object: object;
}

/** What walkScopes found; read by readCapturedLocals right after the inspector call that runs it. */
let walked: Walked | undefined;

interface Walked extends Omit<CapturedLocals, 'location'> {
  /** Every name the shipped scopes bind, when that set is fixed for the function's place in its script (see boundNames). */
  readonly bound?: ReadonlySet<string>;
}

/**
 * The names the shipped scopes of a function bind, by where V8 says the function is defined
 * (script id, line, column): the same function expression evaluated again (a fresh `x => x + 1`
 * each batch or each loop) has scopes of the same shape, as which variables a scope keeps in
 * its context is decided when the code is compiled. A function that uses none of them captures
 * nothing, so its scopes are not read again (one inspector call fewer). Names only, never values:
 * a captured `let` is read anew each time. Kept only for functions inside an ES module (strict
 * code: no sloppy direct eval adds a `var` to a scope) with no Script, Eval or With scope (a
 * classic script's top level, `sluice shell`'s prompt, gains bindings as it runs), and used
 * only while the function has as many scopes as then: a classic script's top-level `let` or
 * `const` declared since puts a Script scope into every module function's list.
 */
const boundNames = new Map<string, { readonly names: ReadonlySet<string>; readonly scopes: number }>();
const MAX_BOUND_NAMES = 10_000;
/** Scope types whose set of names can change while the program runs. */
const DYNAMIC_SCOPES = new Set(['Script', 'Eval', 'With']);

/**
 * The captured locals `fn` uses, by name, and those it sees under a name the bundle's module
 * scope binds to the same value under another name (local name -> module name); and where V8
 * says `fn` is defined (0-based; a point on its first line or inside it), for mapping stacks
 * on workers.
 *
 * Three synchronous inspector calls, whatever the number of scopes: the function's remote
 * object (Runtime.evaluate), its internal properties (one Runtime.getProperties: the location
 * and the [[Scopes]] list), one Runtime.callFunctionOn that runs walkScopes over that list
 * in this thread (the list is a JS array of {description, object}, each object a copy of the
 * scope's variables, so the values are read directly, as they are now); two when its place is
 * known to bind none of the names it uses (boundNames); the object group's release is shared
 * (held). The scopes are not listed through the protocol (a getProperties each, every variable
 * described in JSON, then a callFunctionOn to bring the values back).
 */
function readCapturedLocals(fn: Function, referenced: ReadonlySet<string>): CapturedLocals {
  const slotted = globalThis as Slotted;
  slotted[SLOT] = fn;
  try {
    const fnObject = post<{ result: RemoteObject }>('Runtime.evaluate', { expression: SLOT_EXPR, objectGroup: OBJECT_GROUP, silent: true }).result;
    delete slotted[SLOT];
    if (fnObject.objectId === undefined) return { locals: new Map(), moduleNames: new Map() };
    const own = post<PropertyList>('Runtime.getProperties', { objectId: fnObject.objectId, ownProperties: true, objectGroup: OBJECT_GROUP });
    const loc = own.internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value as
      | { scriptId?: unknown; lineNumber?: unknown; columnNumber?: unknown }
      | undefined;
    const location = typeof loc?.lineNumber === 'number' && typeof loc.columnNumber === 'number' ? { line: loc.lineNumber, column: loc.columnNumber } : undefined;
    const scopesObject = own.internalProperties?.find((p) => p.name === '[[Scopes]]')?.value;
    const scopeList = scopesObject?.objectId;
    if (scopeList === undefined) return { locals: new Map(), moduleNames: new Map(), ...(location && { location }) };
    const place = location !== undefined && typeof loc?.scriptId === 'string' ? `${loc.scriptId}:${location.line}:${location.column}` : undefined;
    // V8 describes the list as `Scopes[3]`.
    const scopeCount = /^Scopes\[(\d+)\]$/.exec(scopesObject?.description ?? '')?.[1];
    const known = place === undefined ? undefined : boundNames.get(place);
    const bound = known !== undefined && String(known.scopes) === scopeCount ? known.names : undefined;
    if (bound !== undefined && !usesAny(referenced, bound)) return { locals: new Map(), moduleNames: new Map(), ...(location && { location }) };
    walked = undefined;
    slotted[SLOT] = (list: ArrayLike<ScopeEntry>) => {
      walked = walkScopes(list, referenced, place !== undefined && scopeCount !== undefined && bound === undefined);
    };
    const ran = post<{ exceptionDetails?: { text?: string; exception?: RemoteObject } }>('Runtime.callFunctionOn', {
      objectId: scopeList,
      functionDeclaration: `function () { ${SLOT_EXPR}(this); }`,
      silent: true,
    });
    const result = walked as Walked | undefined;
    walked = undefined;
    if (result === undefined) {
      const why = ran.exceptionDetails?.exception?.description ?? ran.exceptionDetails?.text ?? 'it did not run';
      throw new SluiceError('SLUICE_INTERNAL', `Cannot find captured variables: reading the function's scopes failed: ${why}`);
    }
    if (place !== undefined && known !== undefined && bound === undefined) boundNames.delete(place);
    if (result.bound !== undefined && place !== undefined && scopeCount !== undefined) {
      if (boundNames.size >= MAX_BOUND_NAMES) boundNames.clear();
      boundNames.set(place, { names: result.bound, scopes: Number(scopeCount) });
    }
    const { locals, moduleNames, scriptNames } = result;
    return { locals, moduleNames, ...(scriptNames && { scriptNames }), ...(location && { location }) };
  } finally {
    delete slotted[SLOT];
    held();
  }
}

function usesAny(referenced: ReadonlySet<string>, bound: ReadonlySet<string>): boolean {
  for (const name of referenced) if (bound.has(name)) return true;
  return false;
}

/** The scope type of a [[Scopes]] entry's description: `Closure (outer)` -> `Closure`. */
function scopeTypeOf(description: string): string {
  return description.split(' ', 1)[0] ?? '';
}

/** A data property's value, or `none` (an accessor, or no such property). */
function ownValue(object: object, name: string, none: unknown): unknown {
  const desc = Object.getOwnPropertyDescriptor(object, name);
  return desc !== undefined && 'value' in desc ? desc.value : none;
}

const NOTHING: unique symbol = Symbol('nothing');

/**
 * Runs inside the inspector's Runtime.callFunctionOn over a function's [[Scopes]] list
 * (innermost first; the list has no prototype, so it is walked by index): the first binding
 * of each name the function's source uses, in the shipped scopes; with `collect`, also every
 * name those scopes bind, if that set cannot change (see boundNames).
 */
function walkScopes(list: ArrayLike<ScopeEntry>, referenced: ReadonlySet<string>, collect: boolean): Walked {
  // Innermost scope first: the first binding of a name is the one the function sees.
  const found = new Map<string, unknown>();
  // Bindings of a Block scope sitting directly on the Module scope: a module-level
  // class's own scope (it binds the class name) looks like that. If the Module scope
  // binds the same value, the bundle has it and it is not shipped: under the same name,
  // or under another where esbuild bound a class that names itself as `var Point = class
  // _Point` (a static factory `Point.of` given to `map` sees `_Point`, which the bundle's
  // scope lacks); such a name is revived as the module's binding (a `module` capture), so
  // the instances the function makes are of the bundle's class, which records can carry.
  const moduleTwins: string[] = [];
  /** Names found in a Script scope (a classic script's top level: `sluice shell`'s prompt). */
  let scriptNames: Set<string> | undefined;
  let moduleScope: object | undefined;
  let bound = collect ? new Set<string>() : undefined;
  for (let i = 0; i < list.length; i++) {
    const scope = list[i]!;
    const type = scopeTypeOf(scope.description);
    if (type === 'Module') moduleScope ??= scope.object;
    if (DYNAMIC_SCOPES.has(type)) bound = undefined;
    if (NOT_SHIPPED_SCOPES.has(type)) continue;
    const next = i + 1 < list.length ? list[i + 1] : undefined;
    const onModule = type === 'Block' && next !== undefined && scopeTypeOf(next.description) === 'Module';
    for (const name of Object.getOwnPropertyNames(scope.object)) {
      bound?.add(name);
      if (!referenced.has(name) || found.has(name)) continue;
      const value = ownValue(scope.object, name, NOTHING);
      if (value === NOTHING) continue;
      found.set(name, value);
      if (onModule) moduleTwins.push(name);
      if (type === 'Script') (scriptNames ??= new Set()).add(name);
    }
  }
  const moduleNames = new Map<string, string>();
  if (moduleTwins.length > 0 && moduleScope !== undefined) {
    const moduleBindings = Object.getOwnPropertyNames(moduleScope);
    for (const twin of moduleTwins) {
      const local = found.get(twin);
      // The module's binding of the same name first (nothing to ship), then another name's (a function only).
      if (ownValue(moduleScope, twin, NOTHING) === local) {
        found.delete(twin);
        continue;
      }
      if (typeof local !== 'function') continue;
      const other = moduleBindings.find((name) => name !== twin && ownValue(moduleScope!, name, NOTHING) === local);
      if (other === undefined) continue;
      found.delete(twin);
      moduleNames.set(twin, other);
    }
  }
  // Strict code only: a sloppy direct eval may add a `var` to a function's scope at run time.
  if (moduleScope === undefined) bound = undefined;
  return { locals: found, moduleNames, ...(scriptNames && { scriptNames }), ...(bound && { bound }) };
}
