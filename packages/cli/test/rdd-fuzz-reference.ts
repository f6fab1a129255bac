/**
 * The randomized RDD test's two halves that run here: programs made from a seed, and what each
 * must give, computed on plain arrays with Spark's rules for partition counts and partitioners
 * (RDD.scala, PairRDDFunctions.scala, Partitioner.defaultPartitioner, SparkContext.union), not
 * with Sluice's code.
 */
import assert from 'node:assert/strict';
import { fns, type Action, type Node, type Program } from './fixtures/rdd-fuzz-ops.js';

type Part = { kind: 'hash'; n: number } | { kind: 'range' } | null;

/** What an RDD of a program holds, as Spark would have it. */
export interface Expected {
  pairs: boolean;
  data: unknown[];
  /** Its partition count: exact, or at most this (a range partitioner may make fewer). */
  n: number;
  nExact: boolean;
  partitioner: Part;
  /** Set when its elements come in a known order: by value (numbers) or by key (pairs). */
  order: { by: 'value' | 'key'; asc: boolean } | null;
}

const samePart = (a: Part, b: Part): boolean => a !== null && b !== null && a.kind === 'hash' && b.kind === 'hash' && a.n === b.n;

/** Spark's Partitioner.defaultPartitioner, with spark.default.parallelism not set. */
function defaultPartitioner(rdds: readonly Expected[]): { kind: 'hash'; n: number } {
  const withPart = rdds.filter((r) => r.partitioner !== null);
  const maxN = Math.max(...rdds.map((r) => r.n));
  let best: Expected | undefined;
  for (const r of withPart) if (best === undefined || r.n > best.n) best = r;
  if (best && best.partitioner?.kind === 'hash') {
    const eligible = Math.log10(maxN) - Math.log10(best.n) < 1;
    if (eligible || maxN <= best.n) return best.partitioner;
  }
  return { kind: 'hash', n: maxN };
}

function groupBy(pairs: readonly [number, number][]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const [k, v] of pairs) {
    const vs = m.get(k);
    if (vs) vs.push(v);
    else m.set(k, [v]);
  }
  return m;
}

/** A keyed result on a hash partitioner: its partition count and partitioner. */
function keyed(data: unknown[], part: { kind: 'hash'; n: number }): Expected {
  return { pairs: true, data, n: part.n, nExact: true, partitioner: part, order: null };
}

export function evaluate(nodes: readonly Node[]): Expected[] {
  const out: Expected[] = [];
  const P = (i: number): [number, number][] => out[i].data as [number, number][];
  const N = (i: number): number[] => out[i].data as number[];
  for (const node of nodes) {
    const src = 'src' in node ? out[node.src] : undefined;
    const narrow = (data: unknown[], pairs: boolean, keepPart: boolean, order: Expected['order'] = null): Expected => ({
      pairs,
      data,
      n: src!.n,
      nExact: src!.nExact,
      partitioner: keepPart ? src!.partitioner : null,
      order,
    });
    switch (node.op) {
      case 'nums':
      case 'pairs':
        out.push({ pairs: node.op === 'pairs', data: [...node.data], n: node.p, nExact: true, partitioner: null, order: null });
        break;
      case 'range': {
        const data: number[] = [];
        for (let x = node.start; x < node.end; x += node.step) data.push(x);
        out.push({ pairs: false, data, n: node.p, nExact: true, partitioner: null, order: { by: 'value', asc: true } });
        break;
      }
      case 'map':
        out.push(narrow(N(node.src).map((x) => fns.map(x, node.a, node.b, node.m)), false, false));
        break;
      case 'filter':
        out.push(
          narrow(
            src!.pairs ? P(node.src).filter((p) => fns.filterPair(p, node.m, node.r)) : N(node.src).filter((x) => fns.filter(x, node.m, node.r)),
            src!.pairs,
            true, // Spark's filter preserves partitioning
            src!.order,
          ),
        );
        break;
      case 'flatMap':
        out.push(narrow(N(node.src).flatMap((x) => fns.flatMap(x)), false, false));
        break;
      case 'distinct': {
        const seen = new Map<string, unknown>();
        for (const x of src!.data) seen.set(JSON.stringify(x), x);
        const n = node.n ?? src!.n;
        // Spark 3: a partitioned RDD keeping its partition count removes duplicates in place.
        if (src!.partitioner !== null && n === src!.n) out.push({ ...narrow([...seen.values()], src!.pairs, true) });
        else out.push({ pairs: src!.pairs, data: [...seen.values()], n, nExact: true, partitioner: null, order: null });
        break;
      }
      case 'repartition':
        out.push({ pairs: src!.pairs, data: [...src!.data], n: node.n, nExact: true, partitioner: null, order: null });
        break;
      case 'coalesce':
        out.push({ pairs: src!.pairs, data: [...src!.data], n: Math.min(node.n, src!.n), nExact: src!.nExact || node.n <= 1, partitioner: null, order: null });
        break;
      case 'union': {
        const other = out[node.other];
        const data = [...src!.data, ...other.data];
        if (samePart(src!.partitioner, other.partitioner)) out.push({ pairs: src!.pairs, data, n: src!.n, nExact: true, partitioner: src!.partitioner, order: null });
        else out.push({ pairs: src!.pairs, data, n: src!.n + other.n, nExact: src!.nExact && other.nExact, partitioner: null, order: null });
        break;
      }
      case 'keyBy':
        out.push(narrow(N(node.src).map((x) => [x % node.m, x]), true, false));
        break;
      case 'mapValues':
        out.push(narrow(P(node.src).map(([k, v]) => [k, fns.map(v, node.a, node.b, node.m)]), true, true, src!.order));
        break;
      case 'flatMapValues':
        out.push(narrow(P(node.src).flatMap(([k, v]) => fns.flatMapValue(v).map((w) => [k, w])), true, true, src!.order));
        break;
      case 'keys':
        out.push(narrow(P(node.src).map(([k]) => k), false, false, src!.order?.by === 'key' ? { by: 'value', asc: src!.order.asc } : null));
        break;
      case 'values':
        out.push(narrow(P(node.src).map(([, v]) => v), false, false));
        break;
      case 'reduceByKey':
      case 'groupByKey':
      case 'foldByKey':
      case 'aggregateByKey':
      case 'combineByKey': {
        const part = node.n === undefined ? defaultPartitioner([src!]) : ({ kind: 'hash', n: node.n } as const);
        const groups = [...groupBy(P(node.src))];
        const value = (vs: number[]): number => {
          switch (node.op) {
            case 'groupByKey':
              return fns.group(vs);
            case 'aggregateByKey':
            case 'combineByKey':
              return fns.aggValue(vs.reduce((acc, v) => fns.aggSeq(acc, v), [0, -1] as [number, number]));
            default:
              return vs.reduce((a, b) => fns.sum(a, b), 0);
          }
        };
        out.push(keyed(groups.map(([k, vs]) => [k, value(vs)]), part));
        break;
      }
      case 'join':
      case 'leftOuterJoin':
      case 'rightOuterJoin':
      case 'fullOuterJoin':
      case 'cogroup': {
        const other = out[node.other];
        const part = node.n === undefined ? defaultPartitioner([src!, other]) : ({ kind: 'hash', n: node.n } as const);
        const left = groupBy(P(node.src));
        const right = groupBy(P(node.other));
        const keys = new Set([...left.keys(), ...right.keys()]);
        const data: [number, number][] = [];
        for (const k of keys) {
          const vs = left.get(k) ?? [];
          const ws = right.get(k) ?? [];
          if (node.op === 'cogroup') {
            data.push([k, fns.cogrouped(vs, ws)]);
            continue;
          }
          const keepLeft = node.op === 'leftOuterJoin' || node.op === 'fullOuterJoin';
          const keepRight = node.op === 'rightOuterJoin' || node.op === 'fullOuterJoin';
          if (vs.length > 0 && ws.length > 0) for (const v of vs) for (const w of ws) data.push([k, fns.joined(v, w)]);
          else if (vs.length > 0 && keepLeft) for (const v of vs) data.push([k, fns.joined(v, undefined)]);
          else if (ws.length > 0 && keepRight) for (const w of ws) data.push([k, fns.joined(undefined, w)]);
        }
        out.push(keyed(data, part));
        break;
      }
      case 'subtractByKey': {
        const part = node.n !== undefined ? ({ kind: 'hash', n: node.n } as const) : src!.partitioner?.kind === 'hash' ? src!.partitioner : ({ kind: 'hash', n: src!.n } as const);
        const drop = new Set(P(node.other).map(([k]) => k));
        out.push(keyed(P(node.src).filter(([k]) => !drop.has(k)), part));
        break;
      }
      case 'subtract': {
        // Spark's: this.map((_, null)).subtractByKey(other.map((_, null)), p).keys, p a
        // HashPartitioner of the count given or of this RDD's; keys keeps no partitioner.
        const drop = new Set(N(node.other));
        const n = node.n ?? src!.n;
        out.push({ pairs: false, data: N(node.src).filter((x) => !drop.has(x)), n, nExact: node.n !== undefined || src!.nExact, partitioner: null, order: null });
        break;
      }
      case 'intersection': {
        // Spark's: a cogroup of both mapped to (_, null), on the count given or the default
        // partitioner of the two (no partitioner after a map: the larger count); distinct
        // elements found on both sides; keys keeps no partitioner.
        const other = out[node.other];
        const there = new Set(N(node.other));
        const data = [...new Set(N(node.src))].filter((x) => there.has(x));
        const n = node.n ?? Math.max(src!.n, other.n);
        out.push({ pairs: false, data, n, nExact: node.n !== undefined || (src!.nExact && other.nExact), partitioner: null, order: null });
        break;
      }
      case 'cartesian': {
        const other = out[node.other];
        const data = N(node.src).flatMap((a) => N(node.other).map((b) => [a, b]));
        out.push({ pairs: true, data, n: src!.n * other.n, nExact: src!.nExact && other.nExact, partitioner: null, order: null });
        break;
      }
      case 'partitionBy':
        out.push(samePart(src!.partitioner, { kind: 'hash', n: node.n }) ? narrow([...src!.data], true, true, src!.order) : keyed([...src!.data], { kind: 'hash', n: node.n }));
        break;
      case 'cache':
        out.push(narrow([...src!.data], src!.pairs, true, src!.order));
        break;
      case 'sortBy':
      case 'sortByKey': {
        const sign = node.asc ? 1 : -1;
        const data =
          node.op === 'sortBy' ? [...N(node.src)].sort((a, b) => sign * (a - b)) : [...P(node.src)].sort((a, b) => sign * (a[0] - b[0]));
        out.push({
          pairs: node.op === 'sortByKey',
          data,
          n: node.n ?? src!.n,
          nExact: false,
          partitioner: node.op === 'sortByKey' ? { kind: 'range' } : null,
          order: { by: node.op === 'sortBy' ? 'value' : 'key', asc: node.asc },
        });
        break;
      }
      case 'zipWithIndex':
        out.push(narrow(N(node.src).map((x, i) => [x, i]), true, false, src!.order ? { by: 'key', asc: src!.order.asc } : null));
        break;
    }
  }
  return out;
}

/** The most elements a program's nodes hold, but for the last one (at most a join of two such). */
const MAX_ELEMENTS = 2_000;

/** A program of a few nodes and actions, from `rand` (uniform in [0, 1)). */
export function generate(rand: () => number): Program {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo)); // [lo, hi)
  const chance = (p: number): boolean => rand() < p;
  const maybeN = (): number | undefined => (chance(0.5) ? undefined : int(1, 7));
  const nodes: Node[] = [];
  const kinds: { pairs: boolean; ordered: boolean }[] = [];
  const add = (n: Node, pairs: boolean, ordered: boolean): number => {
    nodes.push(n);
    kinds.push({ pairs, ordered });
    return nodes.length - 1;
  };
  const source = (pairs: boolean): number => {
    const size = chance(0.1) ? 0 : int(1, 120);
    // Up to 12 partitions: within and past 10x of a shuffle's few (the default partitioner's rule).
    const p = chance(0.7) ? int(1, 6) : int(6, 13);
    if (pairs) return add({ op: 'pairs', data: Array.from({ length: size }, () => [int(0, 12), int(0, 100)]), p }, true, false);
    if (chance(0.25)) {
      const start = int(0, 20);
      return add({ op: 'range', start, end: start + size, step: int(1, 4), p }, false, false);
    }
    return add({ op: 'nums', data: Array.from({ length: size }, () => int(0, 100)), p }, false, false);
  };
  /** An earlier pairs node not ordered (or a new source). */
  const otherPairs = (): number => {
    const candidates = kinds.flatMap((k, i) => (k.pairs && !k.ordered ? [i] : []));
    return candidates.length > 0 && chance(0.6) ? candidates[int(0, candidates.length)] : source(true);
  };
  let cur = source(chance(0.5));
  const steps = int(2, 8);
  for (let s = 0; s < steps; s++) {
    if (s > 0 && evaluate(nodes)[cur].data.length > MAX_ELEMENTS) {
      // Joins of joins multiply: a program stays a few thousand elements, so that it checks
      // operators, not the cluster's speed. The node that grew past it is the program's last.
      break;
    }
    const { pairs, ordered } = kinds[cur];
    if (ordered) {
      // Only what keeps (or reads) the order after a sort.
      const ops = pairs ? ['filter', 'mapValues', 'keys'] : ['filter', 'zipWithIndex'];
      const op = ops[int(0, ops.length)];
      if (op === 'filter') cur = add({ op: 'filter', src: cur, m: int(2, 9), r: int(0, 2) }, pairs, true);
      else if (op === 'mapValues') cur = add({ op: 'mapValues', src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 60) }, true, true);
      else if (op === 'keys') cur = add({ op: 'keys', src: cur }, false, true);
      else cur = add({ op: 'zipWithIndex', src: cur }, true, true);
      continue;
    }
    if (!pairs) {
      const ops = ['map', 'filter', 'flatMap', 'distinct', 'repartition', 'coalesce', 'union', 'keyBy', 'keyBy', 'keyBy', 'cache', 'sortBy', 'subtract', 'intersection', 'cartesian'];
      const op = ops[int(0, ops.length)];
      switch (op) {
        case 'map':
          cur = add({ op: 'map', src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 60) }, false, false);
          break;
        case 'filter':
          cur = add({ op: 'filter', src: cur, m: int(2, 9), r: int(0, 2) }, false, false);
          break;
        case 'flatMap':
          cur = add({ op: 'flatMap', src: cur }, false, false);
          break;
        case 'distinct':
          cur = add({ op: 'distinct', src: cur, n: maybeN() }, false, false);
          break;
        case 'repartition':
          cur = add({ op: 'repartition', src: cur, n: int(1, 7) }, false, false);
          break;
        case 'coalesce':
          cur = add({ op: 'coalesce', src: cur, n: int(1, 7) }, false, false);
          break;
        case 'union': {
          const others = kinds.flatMap((k, i) => (!k.pairs && !k.ordered ? [i] : []));
          cur = add({ op: 'union', src: cur, other: chance(0.5) ? others[int(0, others.length)] : source(false) }, false, false);
          break;
        }
        case 'keyBy':
          cur = add({ op: 'keyBy', src: cur, m: int(1, 12) }, true, false);
          break;
        case 'subtract':
        case 'intersection': {
          // The other side: this node itself, an earlier one of numbers, or a new source.
          const others = kinds.flatMap((k, i) => (!k.pairs && !k.ordered ? [i] : []));
          const other = chance(0.15) ? cur : chance(0.5) ? others[int(0, others.length)] : source(false);
          cur = add({ op, src: cur, other, n: maybeN() }, false, false);
          break;
        }
        case 'cartesian': {
          // A small other side: the product stays a few hundred pairs.
          const size = int(0, 8);
          const other = add({ op: 'nums', data: Array.from({ length: size }, () => int(0, 100)), p: int(1, 4) }, false, false);
          cur = add({ op: 'cartesian', src: cur, other }, true, false);
          break;
        }
        case 'cache':
          cur = add({ op: 'cache', src: cur }, false, false);
          break;
        default:
          cur = add({ op: 'sortBy', src: cur, asc: chance(0.5), n: maybeN() }, false, true);
      }
      continue;
    }
    const ops = [
      'mapValues', 'filter', 'flatMapValues', 'keys', 'values', 'reduceByKey', 'groupByKey', 'foldByKey', 'aggregateByKey', 'combineByKey',
      'join', 'leftOuterJoin', 'rightOuterJoin', 'fullOuterJoin', 'cogroup', 'subtractByKey', 'join', 'cogroup', 'partitionBy', 'union', 'distinct', 'cache', 'sortByKey', 'coalesce', 'repartition',
    ] as const;
    const op = ops[int(0, ops.length)];
    switch (op) {
      case 'mapValues':
        cur = add({ op, src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 60) }, true, false);
        break;
      case 'filter':
        cur = add({ op, src: cur, m: int(2, 9), r: int(0, 2) }, true, false);
        break;
      case 'flatMapValues':
      case 'cache':
        cur = add({ op, src: cur }, true, false);
        break;
      case 'keys':
      case 'values':
        cur = add({ op, src: cur }, false, false);
        break;
      case 'reduceByKey':
      case 'groupByKey':
      case 'foldByKey':
      case 'aggregateByKey':
      case 'combineByKey':
        cur = add({ op, src: cur, n: maybeN() }, true, false);
        break;
      case 'join':
      case 'leftOuterJoin':
      case 'rightOuterJoin':
      case 'fullOuterJoin':
      case 'cogroup':
      case 'subtractByKey': {
        // The other side may be this node itself (a self-join) or one it was made from.
        const other = chance(0.15) ? cur : otherPairs();
        cur = add({ op, src: cur, other, n: maybeN() }, true, false);
        break;
      }
      case 'partitionBy':
        cur = add({ op, src: cur, n: int(1, 7) }, true, false);
        break;
      case 'union':
        cur = add({ op, src: cur, other: chance(0.15) ? cur : otherPairs() }, true, false);
        break;
      case 'distinct':
        cur = add({ op, src: cur, n: maybeN() }, true, false);
        break;
      case 'coalesce':
      case 'repartition':
        cur = add({ op, src: cur, n: int(1, 7) }, true, false);
        break;
      case 'sortByKey':
        cur = add({ op, src: cur, asc: chance(0.5), n: maybeN() }, true, true);
        break;
    }
  }
  const actions: Action[] = [{ act: 'collect', node: cur }];
  // An earlier node run again after the last one: shuffles and caches met a second time.
  if (nodes.length > 2 && chance(0.5)) actions.push({ act: 'collect', node: int(1, nodes.length - 1) });
  const { pairs, ordered } = kinds[cur];
  if (chance(0.5)) actions.push({ act: 'count', node: cur });
  if (ordered) actions.push({ act: 'take', node: cur, k: int(1, 8) });
  if (!pairs) {
    if (chance(0.5)) actions.push({ act: 'fold', node: cur });
    if (chance(0.5)) actions.push({ act: chance(0.5) ? 'top' : 'takeOrdered', node: cur, k: int(1, 6) });
  } else {
    if (chance(0.4)) actions.push({ act: 'countByKey', node: cur });
    if (chance(0.5)) actions.push({ act: 'lookup', node: cur, key: int(0, 12) });
  }
  return { nodes, actions };
}

const bag = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
const keysOf = (xs: readonly unknown[]): unknown[] => xs.map((x) => (Array.isArray(x) ? x[0] : x));

/** An RDD's partition count and partitioner, as the fixture prints them. */
type Shape = [number, { kind: string; n: number } | null];

function checkShape(e: Expected, [n, partitioner]: Shape, where: string): void {
  if (e.nExact) assert.equal(n, e.n, `${where}the partition count`);
  else assert.ok(n >= 1 && n <= e.n, `${where}the partition count ${n}: from 1 to ${e.n} (a range partitioner)`);
  if (e.partitioner === null) assert.equal(partitioner, null, `${where}no partitioner`);
  else if (e.partitioner.kind === 'range') assert.equal(partitioner?.kind, 'range', `${where}a range partitioner`);
  else assert.deepEqual(partitioner, { kind: 'hash', n: e.partitioner.n }, `${where}the partitioner`);
}

/** What a program's action must give, checked against what the cluster gave. */
function check(program: Program, expected: readonly Expected[], a: number, got: unknown): void {
  const action = program.actions[a];
  const e = expected[action.node];
  switch (action.act) {
    case 'collect': {
      const g = got as { data: unknown[]; n: number; partitioner: Shape[1] };
      assert.deepEqual(bag(g.data), bag(e.data), 'the elements');
      if (e.order) {
        const sorted = keysOf(e.data);
        assert.deepEqual(keysOf(g.data), sorted, `the order (by ${e.order.by}, ${e.order.asc ? 'ascending' : 'descending'})`);
      }
      checkShape(e, [g.n, g.partitioner], '');
      return;
    }
    case 'count':
      assert.equal(got, e.data.length);
      return;
    case 'fold':
      assert.equal(got, (e.data as number[]).reduce((x, y) => (x + y) % 1_000_003, 0));
      return;
    case 'top':
      assert.deepEqual(got, [...(e.data as number[])].sort((x, y) => y - x).slice(0, action.k));
      return;
    case 'takeOrdered':
      assert.deepEqual(got, [...(e.data as number[])].sort((x, y) => x - y).slice(0, action.k));
      return;
    case 'take': {
      const g = got as unknown[];
      assert.deepEqual(keysOf(g), keysOf(e.data).slice(0, action.k), 'the first keys in order');
      const all = new Set(bag(e.data));
      for (const x of g) assert.ok(all.has(JSON.stringify(x)), `${JSON.stringify(x)} is an element`);
      return;
    }
    case 'countByKey': {
      const counts = new Map<number, number>();
      for (const [k] of e.data as [number, number][]) counts.set(k, (counts.get(k) ?? 0) + 1);
      assert.deepEqual(bag(got as unknown[]), bag([...counts.entries()]));
      return;
    }
    case 'lookup':
      assert.deepEqual(bag(got as unknown[]), bag((e.data as [number, number][]).filter(([k]) => k === action.key).map(([, v]) => v)));
      return;
  }
}

/** What the fixture printed for an action: its value, or what it threw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string; code: string | null };

/**
 * Every program's printed results (`<program>.<action>` and `<program>.shape`) against what it
 * must give: the failures, in words naming the program (its nodes too) and action (at most 5 programs' worth).
 */
export function compare(programs: readonly Program[], results: ReadonlyMap<string, Outcome>): string[] {
  const failures: string[] = [];
  for (const [p, program] of programs.entries()) {
    // Each failure names its program's nodes, so a seed's failure can be replayed by hand.
    const fail = (message: string): void => {
      failures.push(`${message}\n  the program: ${JSON.stringify(program.nodes)}`);
    };
    const expected = evaluate(program.nodes);
    const shape = results.get(`${p}.shape`);
    if (!shape?.ok) fail(`program ${p}: no shape printed: ${JSON.stringify(shape)}`);
    else {
      for (const [i, s] of (shape.value as Shape[]).entries()) {
        try {
          checkShape(expected[i], s, `node ${i} (${program.nodes[i].op}): `);
        } catch (err) {
          fail(`program ${p} shape: ${(err as Error).message.split('\n').slice(0, 6).join('\n')}`);
          break;
        }
      }
    }
    for (const a of program.actions.keys()) {
      const o = results.get(`${p}.${a}`);
      const where = `program ${p} action ${a} (${JSON.stringify(program.actions[a])})`;
      if (!o) {
        fail(`${where}: no result printed\n${'(the job printed nothing for it)'}`);
        continue;
      }
      if (!o.ok) {
        fail(`${where}: failed on the cluster: ${o.code ?? ''} ${o.error}`);
        continue;
      }
      try {
        check(program, expected, a, o.value);
      } catch (err) {
        fail(`${where}: ${(err as Error).message.split('\n').slice(0, 12).join('\n')}`);
      }
    }
    if (failures.length >= 5) break;
  }
  return failures;
}
