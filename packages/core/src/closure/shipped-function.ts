/**
 * The wire form of a function given to an operator: its source text, the values of the
 * local variables it captured, and where the user called the operator. Plain data: it
 * is encoded with the record codec (v8 serialize) inside task payloads.
 *
 * The tree is acyclic: a function that captures itself, or an enclosing function being
 * shipped, holds a `ref` instead of a second copy.
 */
export interface ShippedFunction {
  /**
   * A JS *expression* that evaluates to the function, made from `fn.toString()` of the
   * function as it runs in the job bundle (parenthesized; method shorthand such as
   * `foo(x) {...}` is wrapped into an object literal and picked out again).
   */
  readonly source: string;
  /** The function's name, or '<anonymous>'. */
  readonly name: string;
  /** `file:line:column` of the operator call in the user's code (source-mapped). */
  readonly callSite: string;
  /**
   * Where the function is defined in the job bundle, as V8 reports it (0-based; a point
   * on or inside its source, e.g. its parameter list): lets a worker place the revived
   * source at the same position, so stacks map through the bundle's source map.
   */
  readonly location?: { readonly line: number; readonly column: number };
  /** Captured local variables, by name (module-level bindings are not listed: the bundle has them). */
  readonly captures: Readonly<Record<string, CapturedValue>>;
}

export type CapturedValue =
  /** Plain data (primitives, plain objects, arrays, Map, Set, Date, RegExp, typed arrays, Buffers). */
  | { readonly kind: 'value'; readonly value: unknown }
  /**
   * A local function, shipped in turn with its own captures. `scriptClass`: a class
   * declared at the top level of a classic script (`sluice shell`'s prompt), whose
   * instances may travel as records (see record-classes.ts).
   */
  | { readonly kind: 'function'; readonly fn: ShippedFunction; readonly scriptClass?: true }
  /** A broadcast variable, accumulator, ...: the result of its `[SHIP]()`. */
  | { readonly kind: 'shippable'; readonly type: string; readonly data: unknown }
  /**
   * A captured local that refers back to a function already being shipped (recursion).
   * `index` counts levels up the chain of enclosing ShippedFunctions: 0 is the function
   * whose `captures` hold this entry (it captures itself), 1 the function that captured
   * that one, and so on.
   */
  | { readonly kind: 'ref'; readonly index: number }
  /**
   * A captured local the job bundle binds at its top level under `name`: a class's own
   * name inside its body where esbuild bound the class as `var Point = class _Point`
   * (a static method `Point.of` given to an operator sees `_Point`). Revived as that
   * binding, so the function makes instances of the bundle's class, not of a copy.
   */
  | { readonly kind: 'module'; readonly name: string };
