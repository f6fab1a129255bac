/**
 * Turns a ShippedFunction back into a live function on a worker. Each function is built
 * by a small factory evaluated with `evalInScope` (a direct `eval` inside the job
 * bundle's module scope, so module-level names resolve as on the driver). Captured data is
 * copied for each revive (freshCopy), as a Spark task deserializes its closure per task:
 *
 *   (function (__sluice_caps) {
 *     let a = __sluice_caps["a"], fact = __sluice_caps["fact"];
 *     return [(<source>), function (__sluice_name, __sluice_value) { ... fact = __sluice_value ... }];
 *   })
 *
 * Captures are `let` bindings (the function may assign to them; like Spark, such writes
 * stay on the worker) and shadow module-level names of the same spelling. A capture that
 * refers back to a function still being revived (`ref`) is filled in through the setter
 * as soon as that function exists, before any of them can be called.
 *
 * Given the bundle's text and URL, the factory is laid out so the function's source sits
 * at the line and column it has in the bundle, and named with the bundle's URL
 * (`//# sourceURL`): stack frames in it then map through the bundle's source map to
 * the user's own file and line, as frames of the bundle itself do.
 */
import { SluiceError } from '../errors.js';
import { freshCopy } from '../util/fresh-copy.js';
import { registerScriptClass } from '../codec/record-classes.js';
import type { CapturedValue, ShippedFunction } from './shipped-function.js';

const CAPS = '__sluice_caps';
const SET_NAME = '__sluice_name';
const SET_VALUE = '__sluice_value';

type Setter = (name: string, value: unknown) => void;

interface Frame {
  readonly shipped: ShippedFunction;
  /** Refs waiting for this function to exist. */
  readonly waiting: Array<(fn: Function) => void>;
}

/** The loaded job bundle functions are revived in: its module URL and its text. */
export interface BundleOrigin {
  readonly url: string;
  readonly text: string;
}

interface ReviveContext {
  readonly evalInScope: (source: string) => unknown;
  readonly reviveShippable: (type: string, data: unknown) => unknown;
  readonly stack: Frame[];
  readonly origin: BundleOrigin | undefined;
}

export function reviveClosure(
  shipped: ShippedFunction,
  evalInScope: (source: string) => unknown,
  reviveShippable: (type: string, data: unknown) => unknown,
  origin?: BundleOrigin,
): Function {
  return reviveFunction(shipped, { evalInScope, reviveShippable, stack: [], origin });
}

function reviveFunction(shipped: ShippedFunction, ctx: ReviveContext): Function {
  if (typeof shipped !== 'object' || shipped === null || typeof shipped.source !== 'string' || typeof shipped.captures !== 'object' || shipped.captures === null) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', 'Cannot revive a shipped function: it has no source or no captures.');
  }
  const bad = (why: string): never => {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `Cannot revive the function '${shipped.name}' shipped from ${shipped.callSite}: ${why}`);
  };
  const frame: Frame = { shipped, waiting: [] };
  ctx.stack.push(frame);
  try {
    const names = Object.keys(shipped.captures);
    const values: Record<string, unknown> = Object.create(null);
    const refs: Array<{ name: string; target: Frame }> = [];
    for (const name of names) {
      if (!isBindableIdentifier(name)) bad(`the captured name ${JSON.stringify(name)} is not a JavaScript identifier.`);
      const captured = shipped.captures[name]!;
      switch (captured.kind) {
        case 'value':
          values[name] = freshCopy(captured.value);
          break;
        case 'shippable':
          values[name] = ctx.reviveShippable(captured.type, captured.data);
          break;
        case 'function': {
          const fn = reviveFunction(captured.fn, ctx);
          // A class of the shell's prompt, known to the record codec: one per thread while it
          // captures nothing but its own name (its body's binding of itself).
          values[name] = captured.scriptClass === true ? registerScriptClass(fn, name, Object.values(captured.fn.captures).every(isSelf), captured.fn) : fn;
          break;
        }
        case 'module':
          if (!isBindableIdentifier(captured.name)) bad(`the capture '${name}' names the module binding ${JSON.stringify(captured.name)}, which is not a JavaScript identifier.`);
          values[name] = ctx.evalInScope(captured.name);
          break;
        case 'ref': {
          const target = ctx.stack[ctx.stack.length - 1 - captured.index];
          if (!Number.isInteger(captured.index) || target === undefined) bad(`the capture '${name}' refers to a function ${captured.index} levels up, which does not exist.`);
          refs.push({ name, target: target! });
          break;
        }
        default:
          bad(`the capture '${name}' has the unknown kind ${JSON.stringify((captured as { kind?: unknown }).kind)}.`);
      }
    }
    const factory = cachedFactory(shipped, names, refs.map((r) => r.name), ctx);
    const [fn, set] = factory(values) as [Function, Setter | undefined];
    if (typeof fn !== 'function') bad('its source does not evaluate to a function.');
    for (const { name, target } of refs) target.waiting.push((value) => set!(name, value));
    for (const fill of frame.waiting) fill(fn);
    return fn;
  } finally {
    ctx.stack.pop();
  }
}

function isSelf(captured: CapturedValue): boolean {
  return captured.kind === 'ref' && captured.index === 0;
}

interface Placement {
  readonly url: string;
  /** 0-based line (at least 1) and column of the function's text in the bundle. */
  readonly line: number;
  readonly column: number;
  /** Length of what `source` adds before the function's text (`(` or `({ `). */
  readonly prefix: number;
}

const lineStartsCache = new WeakMap<BundleOrigin, number[]>();

/** Where the shipped function's text is in the bundle, if it is there at its recorded location. */
function placement(shipped: ShippedFunction, origin: BundleOrigin | undefined): Placement | undefined {
  const loc = shipped.location;
  if (origin === undefined || loc === undefined || !Number.isInteger(loc.line) || !Number.isInteger(loc.column)) return undefined;
  let starts = lineStartsCache.get(origin);
  if (starts === undefined) {
    starts = [0];
    for (let i = origin.text.indexOf('\n'); i >= 0; i = origin.text.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStartsCache.set(origin, starts);
  }
  if (loc.line < 0 || loc.line >= starts.length) return undefined;
  // `source` is `(<text>\n)` or, for a method, `({ <text>\n})[key]` (see functionExpression).
  const prefix = shipped.source.startsWith('({ ') ? 3 : shipped.source.startsWith('(') ? 1 : -1;
  const end = prefix === 3 ? shipped.source.lastIndexOf('\n})') : shipped.source.length - 2;
  if (prefix < 0 || end <= prefix) return undefined;
  const text = shipped.source.slice(prefix, end);
  const at = starts[loc.line]! + loc.column;
  const start = origin.text.lastIndexOf(text, at);
  if (start < 0 || start + text.length < at) return undefined;
  let line = loc.line;
  while (starts[line]! > start) line--;
  return line >= 1 ? { url: origin.url, line, column: start - starts[line]!, prefix } : undefined;
}

function factorySource(source: string, names: readonly string[], late: readonly string[], place?: Placement): string {
  const lets = names.length === 0 ? '' : `let ${names.map((n) => `${n} = ${CAPS}[${JSON.stringify(n)}]`).join(', ')}; `;
  const setter =
    late.length === 0
      ? 'undefined'
      : `function (${SET_NAME}, ${SET_VALUE}) { switch (${SET_NAME}) { ${late.map((n) => `case ${JSON.stringify(n)}: ${n} = ${SET_VALUE}; break;`).join(' ')} } }`;
  if (place === undefined) return `(function (${CAPS}) {\n${lets}return [(${source}\n), ${setter}];\n})`;
  // Everything before the function's text stays on line 0; the text lands where it is in the bundle.
  const head = `(function (${CAPS}) { ${lets}return [(${source.slice(0, place.prefix)}`;
  const body = `${'\n'.repeat(place.line)}${' '.repeat(place.column)}${source.slice(place.prefix)}`;
  return `${head}${body}\n), ${setter}];\n})\n//# sourceURL=${place.url}`;
}

type Factory = (caps: Record<string, unknown>) => unknown;

/** Factories compiled in each job scope, by what they are made of; bounded (a job has a finite set of functions). */
const factories = new WeakMap<ReviveContext['evalInScope'], Map<string, Factory>>();
const MAX_FACTORIES = 10_000;

/**
 * The factory of a shipped function, evaluated once per job scope (a worker thread) and
 * kept: every task of a stage, and every batch of a stream, ships the same functions, and
 * compiling them is most of what reviving them costs. Each task still calls the factory
 * with its own decoded captures, so its bindings are its own, as when compiled afresh.
 */
function cachedFactory(shipped: ShippedFunction, names: readonly string[], late: readonly string[], ctx: ReviveContext): Factory {
  let cache = factories.get(ctx.evalInScope);
  if (cache === undefined) factories.set(ctx.evalInScope, (cache = new Map()));
  const loc = shipped.location;
  const key = `${ctx.origin?.url ?? ''}\0${loc?.line ?? ''}:${loc?.column ?? ''}\0${names.join(',')}\0${late.join(',')}\0${shipped.source}`;
  let factory = cache.get(key);
  if (factory === undefined) {
    factory = evaluate(factorySource(shipped.source, names, late, placement(shipped, ctx.origin)), shipped, ctx);
    if (cache.size >= MAX_FACTORIES) cache.clear();
    cache.set(key, factory);
  }
  return factory;
}

function evaluate(source: string, shipped: ShippedFunction, ctx: ReviveContext): Factory {
  let factory: unknown;
  try {
    factory = ctx.evalInScope(source);
  } catch (cause) {
    throw new SluiceError('SLUICE_INTERNAL', `Cannot revive the function '${shipped.name}' shipped from ${shipped.callSite}: its source does not evaluate.`, { cause });
  }
  if (typeof factory !== 'function') {
    throw new SluiceError('SLUICE_INTERNAL', `Cannot revive the function '${shipped.name}': evalInScope did not return the factory function.`);
  }
  return factory as Factory;
}

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;
/** Reserved words of strict code, plus names the factory itself uses or that strict code cannot bind. */
const NOT_BINDABLE = new Set([
  ...'await break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield'.split(' '),
  ...'let static implements interface package private protected public eval arguments'.split(' '),
  CAPS,
  SET_NAME,
  SET_VALUE,
]);

/** Whether `name` (off the wire) may be spliced into source as a `let` binding. */
function isBindableIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !NOT_BINDABLE.has(name);
}
