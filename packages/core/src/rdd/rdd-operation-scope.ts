import { AsyncLocalStorage } from 'node:async_hooks';
import { laterUserCallSite, UNKNOWN_CALL_SITE } from '../closure/call-site.js';
import { SluiceError } from '../errors.js';

let nextScopeId = 0;

/**
 * Spark's RDDOperationScope: the operation (an RDD or DStream method such as `map`,
 * `reduceByKey`, `countByWindow`) an RDD was made by, with an id unique in the driver program
 * and the scope it was called within. Every RDD made inside one operation shares its scope
 * (`reduceByKey`'s shuffle and the map after it are both `reduceByKey`); a streaming batch's
 * RDDs are in their stream's scope for that batch, `map @ 14:04:40` (Spark's DStream.makeScope).
 */
export class RDDOperationScope {
  readonly name: string;
  readonly parent: RDDOperationScope | undefined;
  readonly id: string;

  constructor(name: string, parent?: RDDOperationScope, id: string = String(nextScopeId++)) {
    this.name = name;
    this.parent = parent;
    this.id = id;
  }

  /** This scope and its ancestors, outermost first (Spark's getAllScopes). */
  getAllScopes(): RDDOperationScope[] {
    return [...(this.parent?.getAllScopes() ?? []), this];
  }

  /** Spark's JSON: `{"id":"3","name":"map"}`, with `"parent"` when there is one. */
  toJson(): string {
    return JSON.stringify(this.toPlain());
  }

  private toPlain(): Record<string, unknown> {
    return { id: this.id, name: this.name, ...(this.parent ? { parent: this.parent.toPlain() } : {}) };
  }

  static fromJson(json: string): RDDOperationScope {
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `RDDOperationScope.fromJson: not JSON: ${(err as Error).message}`);
    }
    const of = (o: unknown): RDDOperationScope => {
      const r = o as { id?: unknown; name?: unknown; parent?: unknown };
      if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || typeof r.name !== 'string') {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `RDDOperationScope.fromJson: a scope is {"id": string, "name": string, "parent"?: scope}, got ${JSON.stringify(o)}`);
      }
      return new RDDOperationScope(r.name, r.parent === undefined || r.parent === null ? undefined : of(r.parent), r.id);
    };
    return of(v);
  }

  /** Same id, name and parents (Spark's equals). */
  equals(other: unknown): boolean {
    return other instanceof RDDOperationScope && other.toJson() === this.toJson();
  }

  toString(): string {
    return this.toJson();
  }
}

/**
 * Spark's CallSite short form, the creation site an RDD's toString shows: the operation the
 * driver program called (the outermost, as Spark's Utils.getCallSite names the Spark method next
 * to the user's code: `distinct`, not the `map` it calls) and where the program called it. A
 * streaming batch's RDDs carry their stream's (Spark's createRDDWithLocalProperties).
 */
export interface CreationSite {
  readonly operation: string;
  /** `file:line:column` in the driver program, read when asked (UNKNOWN_CALL_SITE when no frame is the program's). */
  readonly site: () => string;
}

/** The scope the driver program's code runs in now, as Spark's local properties spark.rdd.scope, spark.rdd.scope.noOverride and callSite.short. */
interface ScopeState {
  readonly scope: RDDOperationScope | undefined;
  /** Operations called now make no scope of their own (they are inside one that allows no nesting). */
  readonly noOverride: boolean;
  /** The creation site of the RDDs made now; undefined: each operation the program calls takes its own. */
  readonly creationSite?: CreationSite;
  /**
   * Where an operation called now was called when no frame of the stack is the program's: a
   * foreachRDD's function that calls the operation from a connector's code (saveToPostgres(stream,
   * ...)'s collect), which names the program's line that registered the output instead.
   */
  readonly fallbackSite?: () => string;
}

/** `site`, or `fallback`'s when `site` finds no frame of the program. */
function siteOr(site: () => string, fallback: (() => string) | undefined): () => string {
  if (fallback === undefined) return site;
  return () => {
    const s = site();
    return s === UNKNOWN_CALL_SITE ? fallback() : s;
  };
}

// Per async context, as Spark's are per thread: the driver program's callers each keep their own.
const current = new AsyncLocalStorage<ScopeState>();

/** @internal The scope an RDD made now belongs to. */
export function currentScope(): RDDOperationScope | undefined {
  return current.getStore()?.scope;
}

/** @internal The creation site of an RDD (or stream) made now: the operation the program called and where; undefined outside any. */
export function currentCreationSite(): CreationSite | undefined {
  return current.getStore()?.creationSite;
}

/** @internal The creation site as Spark's short form writes it, `operation at file:line:column`; undefined when the program's frame is unknown. */
export function creationSiteText(c: CreationSite | undefined): string | undefined {
  if (c === undefined) return undefined;
  const site = c.site();
  return site === UNKNOWN_CALL_SITE ? undefined : `${c.operation} at ${site}`;
}

/**
 * @internal Spark's RDDOperationScope.withScope: run `body` in a new scope `name` (its parent
 * the current one), unless the current scope allows no nesting; with `allowNesting` false the
 * operations `body` calls make no scope of their own. Called from the program (no creation site
 * current), the RDDs made in it are created at `operation` (the method called), here.
 */
export function withScope<T>(name: string, body: () => T, allowNesting = false, operation: string = name): T {
  const state = current.getStore();
  if (state?.noOverride) return body();
  // The outermost operation's creation site holds for all it calls (Spark's lastSparkMethod).
  const creationSite = state?.creationSite ?? { operation, site: siteOr(laterUserCallSite(), state?.fallbackSite) };
  return current.run({ scope: new RDDOperationScope(name, state?.scope), noOverride: !allowNesting, creationSite, fallbackSite: state?.fallbackSite }, body);
}

/**
 * @internal Run `body` so that the RDDs it makes are created at `operation`, here, when no creation
 * site is current (a call the program made, not in a scope: Spark's sc.emptyRDD, which has no
 * withScope but whose RDD's call site is `emptyRDD at ...`); the scope stays as it is.
 */
export function withCreationSite<T>(operation: string, body: () => T): T {
  const state = current.getStore();
  if (state?.creationSite !== undefined) return body();
  return current.run({ scope: state?.scope, noOverride: state?.noOverride ?? false, creationSite: { operation, site: siteOr(laterUserCallSite(), state?.fallbackSite) }, fallbackSite: state?.fallbackSite }, body);
}

/**
 * @internal Run `body` with `scope` current (a streaming batch's scope); `noOverride` as
 * withScope's; the RDDs made in it carry `creationSite` (their stream's), or, when it is
 * undefined, each operation its own (Spark's displayInnerRDDOps), or `fallbackSite`'s site where
 * the operation's stack has no frame of the program.
 */
export function withGivenScope<T>(scope: RDDOperationScope | undefined, noOverride: boolean, body: () => T, creationSite?: CreationSite, fallbackSite?: () => string): T {
  return current.run({ scope, noOverride, creationSite, fallbackSite }, body);
}

/**
 * @internal Spark's DStream.makeScope: a batch's scope within a stream's base scope, named
 * `<base> @ <time>` (`<base>\n@ <time>` when the base name is longer than 10 characters), its
 * id `<base id>_<time>`.
 */
export function batchScope(baseScopeJson: string | undefined, time: number, formattedTime: string): RDDOperationScope | undefined {
  if (baseScopeJson === undefined) return undefined;
  const base = RDDOperationScope.fromJson(baseScopeJson);
  const name = base.name.length > 10 ? `${base.name}\n@ ${formattedTime}` : `${base.name} @ ${formattedTime}`;
  return new RDDOperationScope(name, undefined, `${base.id}_${time}`);
}

/**
 * @internal Make each of `proto`'s methods named in `scopes` (method → scope name) run in a
 * scope of that name (withScope), as Spark's operations are wrapped.
 */
export function scopeMethods(proto: object, scopes: Iterable<readonly [string, string]>): void {
  for (const [method, name] of scopes) {
    const d = Object.getOwnPropertyDescriptor(proto, method);
    if (d === undefined || typeof d.value !== 'function') continue;
    const f = d.value as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, method, { ...d, value: { [method](this: unknown, ...args: unknown[]): unknown { return withScope(name, () => f.apply(this, args), false, method); } }[method] });
  }
}

/** @internal `proto`'s own methods but those in `unscoped`, each scoped by its own name. */
export function ownMethodsBut(proto: object, unscoped: ReadonlySet<string>): [string, string][] {
  return Object.getOwnPropertyNames(proto)
    .filter((n) => !unscoped.has(n) && typeof Object.getOwnPropertyDescriptor(proto, n)!.value === 'function')
    .map((n) => [n, n]);
}
