/**
 * Turns a ShippedFunction back into a live function on a worker. Each function is built
 * by a small factory evaluated with `evalInScope` (a direct `eval` inside the job
 * bundle's module scope, so module-level names resolve as on the driver):
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
 */
import { SluiceError } from '../errors.js';
import type { ShippedFunction } from './shipped-function.js';

const CAPS = '__sluice_caps';
const SET_NAME = '__sluice_name';
const SET_VALUE = '__sluice_value';

type Setter = (name: string, value: unknown) => void;

interface Frame {
  readonly shipped: ShippedFunction;
  /** Refs waiting for this function to exist. */
  readonly waiting: Array<(fn: Function) => void>;
}

interface ReviveContext {
  readonly evalInScope: (source: string) => unknown;
  readonly reviveShippable: (type: string, data: unknown) => unknown;
  readonly stack: Frame[];
}

export function reviveClosure(
  shipped: ShippedFunction,
  evalInScope: (source: string) => unknown,
  reviveShippable: (type: string, data: unknown) => unknown,
): Function {
  return reviveFunction(shipped, { evalInScope, reviveShippable, stack: [] });
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
          values[name] = captured.value;
          break;
        case 'shippable':
          values[name] = ctx.reviveShippable(captured.type, captured.data);
          break;
        case 'function':
          values[name] = reviveFunction(captured.fn, ctx);
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
    const factory = evaluate(factorySource(shipped.source, names, refs.map((r) => r.name)), shipped, ctx);
    const [fn, set] = factory(values) as [Function, Setter | undefined];
    if (typeof fn !== 'function') bad('its source does not evaluate to a function.');
    for (const { name, target } of refs) target.waiting.push((value) => set!(name, value));
    for (const fill of frame.waiting) fill(fn);
    return fn;
  } finally {
    ctx.stack.pop();
  }
}

function factorySource(source: string, names: readonly string[], late: readonly string[]): string {
  const lets = names.length === 0 ? '' : `let ${names.map((n) => `${n} = ${CAPS}[${JSON.stringify(n)}]`).join(', ')};\n`;
  const setter =
    late.length === 0
      ? 'undefined'
      : `function (${SET_NAME}, ${SET_VALUE}) { switch (${SET_NAME}) { ${late.map((n) => `case ${JSON.stringify(n)}: ${n} = ${SET_VALUE}; break;`).join(' ')} } }`;
  return `(function (${CAPS}) {\n${lets}return [(${source}\n), ${setter}];\n})`;
}

function evaluate(source: string, shipped: ShippedFunction, ctx: ReviveContext): (caps: Record<string, unknown>) => unknown {
  let factory: unknown;
  try {
    factory = ctx.evalInScope(source);
  } catch (cause) {
    throw new SluiceError('SLUICE_INTERNAL', `Cannot revive the function '${shipped.name}' shipped from ${shipped.callSite}: its source does not evaluate.`, { cause });
  }
  if (typeof factory !== 'function') {
    throw new SluiceError('SLUICE_INTERNAL', `Cannot revive the function '${shipped.name}': evalInScope did not return the factory function.`);
  }
  return factory as (caps: Record<string, unknown>) => unknown;
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
