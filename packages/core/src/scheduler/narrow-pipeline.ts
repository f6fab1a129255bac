import type { ShippedFunction } from '../closure/shipped-function.js';
import { SluiceError } from '../errors.js';
import { keyId } from '../rdd/key.js';
import type { NodeOp } from '../rdd/plan.js';
import type { CombineTable } from '../shuffle/combine-table.js';

export type Emit = (record: unknown) => void;

/**
 * A chain of per-record narrow operators (map, filter, flatMap, ...) made into one function,
 * as Spark's whole-stage code generation fuses a stage's operators into one loop: the
 * source pushes each record into it, and the record goes through every operator and into
 * the sink inside that one function — no closure per operator between them, and, when the
 * sink is a map-side combine, no call to reach the combiner table either: a pair the user's
 * `map` makes and the table reads at once can then live in registers only (V8 inlines the
 * user's small functions into the compiled loop and removes the pair's allocation).
 *
 * Semantics are those of the operators one by one: each user function is called once per
 * record it is given, in order; a flatMap's array is read by index, any other iterable with
 * for-of (so a generator is pulled one record at a time, and is closed when the sink throws
 * to stop early, as take does); an error thrown by a user function goes through unchanged.
 *
 * The code of a pipeline is generated from its operators' kinds and the sink's kind, and
 * compiled once per task thread for each distinct chain of user functions (the key holds
 * their sources): every task of a stage, and every batch of a stream, then runs the same
 * compiled function, whose call sites each see one user function.
 */

/** The operators a pipeline fuses: each maps one record to zero or more, with no state across records. */
export type PerRecordOp = Extract<NodeOp, { kind: 'map' | 'filter' | 'flatMap' | 'mapValues' | 'flatMapValues' | 'keyBy' | 'keys' | 'values' | 'pairWithNull' }>;

const PER_RECORD: ReadonlySet<NodeOp['kind']> = new Set(['map', 'filter', 'flatMap', 'mapValues', 'flatMapValues', 'keyBy', 'keys', 'values', 'pairWithNull']);

export function isPerRecord(op: NodeOp): op is PerRecordOp {
  return PER_RECORD.has(op.kind);
}

/** Whether an operator loops over what its function returns (its generated code holds the rest of the chain twice). */
export function loops(op: PerRecordOp): boolean {
  return op.kind === 'flatMap' || op.kind === 'flatMapValues';
}

/** At most this many looping operators in one pipeline: each doubles the code after it (an array loop and an iterator loop). */
export const MAX_LOOPS = 3;

/**
 * Where a pipeline's records go: a function, or a map-side combine's table (its steps written
 * into the pipeline). `blind`: the function never reads, keeps or changes a record (count's
 * counter), so a partition kept decoded (partition-computer.ts) is given to it as it is, not copied.
 */
export type Sink = { readonly kind: 'emit'; readonly emit: Emit; readonly blind?: boolean } | { readonly kind: 'combine'; readonly table: CombineTable };

interface Helpers {
  readonly keyId: typeof keyId;
  /** The value a looping operator's function returned, if iterable; else a clear error naming the operator. */
  readonly iterable: (value: unknown, op: number) => Iterable<unknown>;
}

type Factory = (fns: readonly Function[], emit: Emit | undefined, table: CombineTable | undefined, helpers: Helpers) => Emit;

/** Compiled pipelines by what they are made of; bounded (a job has a finite set of chains). */
const compiled = new Map<string, Factory>();
const MAX_COMPILED = 512;

/**
 * The function that pushes one record through `ops` (in the order they apply: ops[0] first)
 * into `sink`; `fns[i]` is ops[i]'s revived function (unused for keys, values, pairWithNull).
 */
export function narrowPipeline(ops: readonly PerRecordOp[], fns: readonly (Function | undefined)[], sink: Sink): Emit {
  if (ops.filter(loops).length > MAX_LOOPS) throw new SluiceError('SLUICE_INTERNAL', `a narrow pipeline of ${ops.length} operators holds more than ${MAX_LOOPS} flatMaps`);
  const sinkKind = sink.kind === 'emit' ? 'emit' : sink.table.createCombiner === undefined ? 'combineFirstValue' : 'combine';
  const key = `${sinkKind}\0${ops.map((op) => `${op.kind}\0${'fn' in op ? fnKey(op.fn) : ''}`).join('\0')}`;
  let factory = compiled.get(key);
  if (factory === undefined) {
    factory = new Function('F', 'E', 'T', 'H', factorySource(ops, sinkKind)) as Factory;
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, factory);
  }
  const helpers: Helpers = {
    keyId,
    iterable: (value, i) => {
      if (value !== null && value !== undefined && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function') return value as Iterable<unknown>;
      const op = ops[i] as Extract<PerRecordOp, { fn: ShippedFunction }>;
      throw new SluiceError(
        'SLUICE_BAD_RECORD',
        `rdd.${op.kind} (${op.fn.callSite}): its function returned ${describe(value)}, which is not iterable. Return an array (or any iterable) of the records, [] for none.`,
      );
    },
  };
  return factory(fns as Function[], sink.kind === 'emit' ? sink.emit : undefined, sink.kind === 'combine' ? sink.table : undefined, helpers);
}

/** A function as the cache tells it apart: its source and where it is in the bundle (two copies of one text are two functions). */
function fnKey(fn: ShippedFunction): string {
  return `${fn.location?.line ?? ''}:${fn.location?.column ?? ''}:${fn.source}`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object' || typeof v === 'function') return `a value of type ${typeof v} (${Object.prototype.toString.call(v)})`;
  return `the ${typeof v} ${String(v).slice(0, 40)}`;
}

/** The factory's body: binds the functions and the sink, and returns the pipeline. */
function factorySource(ops: readonly PerRecordOp[], sinkKind: 'emit' | 'combine' | 'combineFirstValue'): string {
  const binds = ops.map((op, i) => ('fn' in op ? `const f${i} = F[${i}];\n` : '')).join('');
  const sinkBinds = sinkKind === 'emit' ? '' : `const merge = T.mergeValue, create = T.createCombiner, keyId = H.keyId;\n`;
  return `"use strict";\n${binds}${sinkBinds}const iterable = H.iterable;\nreturn function sluiceNarrowPipeline(x0) {\n${body(ops, 0, 'x0', sinkKind)}};\n`;
}

/** Code that applies ops[i..] to the record in variable `x`, then hands it to the sink. */
function body(ops: readonly PerRecordOp[], i: number, x: string, sinkKind: 'emit' | 'combine' | 'combineFirstValue'): string {
  if (i === ops.length) return sinkCode(x, sinkKind);
  const op = ops[i];
  const f = `f${i}`;
  const y = `x${i + 1}`;
  const rest = (v: string): string => body(ops, i + 1, v, sinkKind);
  switch (op.kind) {
    case 'map':
      return `const ${y} = ${f}(${x});\n${rest(y)}`;
    case 'filter':
      return `if (${f}(${x})) {\n${rest(x)}}\n`;
    case 'keyBy':
      return `const ${y} = [${f}(${x}), ${x}];\n${rest(y)}`;
    case 'mapValues':
      return `const ${y} = [${x}[0], ${f}(${x}[1])];\n${rest(y)}`;
    case 'keys':
      return `const ${y} = ${x}[0];\n${rest(y)}`;
    case 'values':
      return `const ${y} = ${x}[1];\n${rest(y)}`;
    case 'pairWithNull':
      return `const ${y} = [${x}, null];\n${rest(y)}`;
    case 'flatMap':
      return each(`${f}(${x})`, i, (el) => `const ${y} = ${el};\n${rest(y)}`);
    case 'flatMapValues':
      return `const k${i} = ${x}[0];\n${each(`${f}(${x}[1])`, i, (el) => `const ${y} = [k${i}, ${el}];\n${rest(y)}`)}`;
    default: {
      const never: never = op;
      throw new SluiceError('SLUICE_INTERNAL', `not a per-record operator: ${JSON.stringify(never)}`);
    }
  }
}

/** Loops over what `call` returns: by index for an array (its length read each time, as a for-of would), else with for-of. */
function each(call: string, i: number, inner: (element: string) => string): string {
  const it = `it${i}`;
  const j = `j${i}`;
  const el = `e${i}`;
  return (
    `const ${it} = ${call};\n` +
    `if (Array.isArray(${it})) {\nfor (let ${j} = 0; ${j} < ${it}.length; ${j}++) {\n${inner(`${it}[${j}]`)}}\n` +
    `} else {\nfor (const ${el} of iterable(${it}, ${i})) {\n${inner(el)}}\n}\n`
  );
}

/** The sink's steps for the record in `x`: CombineTable.add written out (see there), or the emit call. */
function sinkCode(x: string, sinkKind: 'emit' | 'combine' | 'combineFirstValue'): string {
  if (sinkKind === 'emit') return `E(${x});\n`;
  const combiner = sinkKind === 'combine' ? 'create(v)' : 'v';
  return (
    `{\nconst k = ${x}[0], v = ${x}[1];\n` +
    `const id = typeof k === 'object' && k !== null ? keyId(k) : k;\n` +
    `const m = T.entries;\nconst e = m.get(id);\n` +
    `if (e !== undefined) e[1] = merge(e[1], v);\n` +
    `else {\nm.set(id, [k, ${combiner}]);\nif (m.size >= T.limit) T.spill();\n}\n}\n`
  );
}
