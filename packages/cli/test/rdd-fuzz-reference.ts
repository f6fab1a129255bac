/**
 * The randomized RDD test's two halves that run here: programs made from a seed, and what each
 * must give, computed on plain arrays with Spark's rules for partition counts and partitioners
 * (RDD.scala, PairRDDFunctions.scala, Partitioner.defaultPartitioner, SparkContext.union), not
 * with Sluice's code.
 */
import assert from 'node:assert/strict';
import { fns, type Action, type Node, type Program } from './fixtures/rdd-fuzz-ops.js';

/**
 * A range partitioner: the sortByKey node that made it (two nodes placed by the same sort have
 * equal partitioners), its order, and whether its bounds were sampled when the sort was called
 * (Sluice's sortByKey samples at once unless its lineage has work of its own to do first: then
 * at its first job, and until then its partitioner is not reused; 'unknown' where that depends on
 * a partition count the reference does not know).
 */
type RangePart = { kind: 'range'; sort: number; asc: boolean; sampled: boolean | 'unknown' };
/** 'any': a range partitioner or none (filterByRange's, by when the sort's bounds are known). */
type Part = { kind: 'hash'; n: number } | RangePart | { kind: 'any' } | null;
type Tri = boolean | 'unknown';
const or3 = (xs: readonly Tri[]): Tri => (xs.includes(true) ? true : xs.includes('unknown') ? 'unknown' : false);

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
  /**
   * What each partition holds, in order, where Spark's rules fix it: parallelize's and range's
   * slices, through narrow operators, unions, coalesce's ranges and cartesian products; else
   * null (a shuffle's output). When set, `data` is these partitions one after another.
   */
  parts: unknown[][] | null;
  /** Each partition's pairs sorted by key (repartitionAndSortWithinPartitions). */
  sortedWithin?: { asc: boolean };
  /** Whether its lineage, when the program made it, held an RDD with a job of its own still to run first (zipWithIndex's count, a sort sampled at its first job). */
  pending?: Tri;
  /** Set where Spark's rules give a partitioner that depends on partition counts the reference does not know (a sort's): the generator does not keep such a node. */
  ambiguous?: boolean;
}

/** Spark's ParallelCollectionRDD.slice positions: partition i is [i * len / n, (i + 1) * len / n). */
function slices<T>(xs: readonly T[], n: number): T[][] {
  return Array.from({ length: n }, (_, i) => xs.slice(Math.floor((i * xs.length) / n), Math.floor(((i + 1) * xs.length) / n)));
}

/** Each known partition through f (an element to any number of them, with its partition's index). */
function perPart(parts: unknown[][] | null, f: (x: unknown, index: number) => unknown[]): unknown[][] | null {
  return parts === null ? null : parts.map((p, i) => p.flatMap((x) => f(x, i)));
}

const samePart = (a: Part, b: Part): boolean => a !== null && b !== null && a.kind === 'hash' && b.kind === 'hash' && a.n === b.n;

/** A shuffle's partitioner and the partition count it gives (a range partitioner's: its sort's, known or at most). */
type Placed = { part: { kind: 'hash'; n: number } | RangePart; n: number; nExact: boolean };

/**
 * Spark's Partitioner.defaultPartitioner, with spark.default.parallelism not set: the
 * partitioner of the input with the most partitions among those that have one (a range one
 * too), when it has within 10x of the largest input's count or at least the default count;
 * else a HashPartitioner of the largest input's count. A range partitioner whose bounds Sluice
 * has not sampled yet is passed over (docs/spark-suites.md). A sort's partition count is known
 * only as at most its request, so every count it can have is tried: 'ambiguous' when they give
 * different partitioners.
 */
function defaultPartitioner(rdds: readonly Expected[]): Placed | 'ambiguous' {
  const distinct = [...new Set(rdds)];
  if (distinct.some((r) => r.partitioner?.kind === 'any' || (r.partitioner?.kind === 'range' && r.partitioner.sampled === 'unknown'))) return 'ambiguous';
  const counts = distinct.map((r) => (r.nExact ? [r.n] : Array.from({ length: r.n }, (_, i) => i + 1)));
  const outcomes = new Map<string, Placed>();
  const pick = (cs: number[]): void => {
    const count = (r: Expected): number => cs[distinct.indexOf(r)];
    const maxN = Math.max(...rdds.map(count));
    let best: Expected | undefined;
    for (const r of rdds) {
      const p = r.partitioner;
      if (p === null || (p.kind === 'range' && p.sampled !== true) || count(r) === 0) continue;
      if (best === undefined || count(r) > count(best)) best = r;
    }
    if (best && (Math.log10(maxN) - Math.log10(count(best)) < 1 || maxN <= count(best))) {
      const p = best.partitioner as { kind: 'hash'; n: number } | RangePart;
      outcomes.set(p.kind === 'hash' ? `hash ${p.n}` : `range ${p.sort}`, { part: p, n: best.n, nExact: best.nExact });
    } else outcomes.set(`hash ${maxN}`, { part: { kind: 'hash', n: maxN }, n: maxN, nExact: true });
  };
  const walk = (i: number, cs: number[]): void => {
    if (i === counts.length) return pick(cs);
    for (const c of counts[i]) walk(i + 1, [...cs, c]);
  };
  walk(0, []);
  return outcomes.size === 1 ? [...outcomes.values()][0] : 'ambiguous';
}

/** The partitioner a keyed operator gives: the count given (a HashPartitioner), or the default partitioner of its inputs. */
function placedBy(n: number | undefined, rdds: readonly Expected[]): Placed | 'ambiguous' {
  return n === undefined ? defaultPartitioner(rdds) : { part: { kind: 'hash', n }, n, nExact: true };
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
  return { pairs: true, data, n: part.n, nExact: true, partitioner: part, order: null, parts: null };
}

/** A keyed result placed by `placed` (ambiguous: marked so, its shape not checked). */
function keyedPlaced(data: unknown[], placed: Placed | 'ambiguous'): Expected {
  if (placed === 'ambiguous') return { pairs: true, data, n: 1, nExact: false, partitioner: { kind: 'any' }, order: null, parts: null, ambiguous: true };
  return { pairs: true, data, n: placed.n, nExact: placed.nExact, partitioner: placed.part, order: null, parts: null };
}

export function evaluate(nodes: readonly Node[]): Expected[] {
  const out: Expected[] = [];
  const P = (i: number): [number, number][] => out[i].data as [number, number][];
  const N = (i: number): number[] => out[i].data as number[];
  for (const node of nodes) {
    const src = 'src' in node ? out[node.src] : undefined;
    /** An element-wise operator: f of each element, partition by partition where they are known. */
    const narrow = (f: (x: unknown, index: number) => unknown[], pairs: boolean, keepPart: boolean, order: Expected['order'] = null): Expected => {
      const parts = perPart(src!.parts, f);
      return {
        pairs,
        data: parts === null ? src!.data.flatMap((x) => f(x, -1)) : parts.flat(),
        n: src!.n,
        nExact: src!.nExact,
        partitioner: keepPart ? src!.partitioner : null,
        order,
        parts,
      };
    };
    const one = (f: (x: never) => unknown) => (x: unknown): unknown[] => [f(x as never)];
    switch (node.op) {
      case 'nums':
      case 'pairs':
        out.push({ pairs: node.op === 'pairs', data: [...node.data], n: node.p, nExact: true, partitioner: null, order: null, parts: slices<unknown>(node.data, node.p) });
        break;
      case 'range': {
        const data: number[] = [];
        for (let x = node.start; x < node.end; x += node.step) data.push(x);
        // Spark's SparkContext.range: element i of the count goes to partition j with j * count / p <= i < (j + 1) * count / p.
        out.push({ pairs: false, data, n: node.p, nExact: true, partitioner: null, order: { by: 'value', asc: true }, parts: slices(data, node.p) });
        break;
      }
      case 'map':
        out.push(narrow(one((x: number) => fns.map(x, node.a, node.b, node.m)), false, false));
        break;
      case 'filter': {
        const keep = src!.pairs ? (x: unknown): boolean => fns.filterPair(x as [number, number], node.m, node.r) : (x: unknown): boolean => fns.filter(x as number, node.m, node.r);
        // Spark's filter preserves partitioning.
        out.push({ ...narrow((x) => (keep(x) ? [x] : []), src!.pairs, true, src!.order), sortedWithin: src!.sortedWithin });
        break;
      }
      case 'flatMap':
        out.push(narrow((x) => fns.flatMap(x as number), false, false));
        break;
      case 'distinct': {
        const seen = new Map<string, unknown>();
        for (const x of src!.data) seen.set(JSON.stringify(x), x);
        const n = node.n ?? src!.n;
        // Spark 3: a partitioned RDD keeping its partition count removes duplicates in place.
        if (src!.partitioner !== null && n === src!.n) out.push({ ...narrow(() => [], src!.pairs, true), data: [...seen.values()], parts: null });
        else out.push({ pairs: src!.pairs, data: [...seen.values()], n, nExact: true, partitioner: null, order: null, parts: null });
        break;
      }
      case 'repartition':
        out.push({ pairs: src!.pairs, data: [...src!.data], n: node.n, nExact: true, partitioner: null, order: null, parts: null });
        break;
      case 'coalesce': {
        if (node.shuffle === true) {
          out.push({ pairs: src!.pairs, data: [...src!.data], n: node.n, nExact: true, partitioner: null, order: null, parts: null });
          break;
        }
        // Spark's DefaultPartitionCoalescer, parents without preferred locations: group i takes
        // the parent partitions [i * N / n, (i + 1) * N / n), in order.
        const n = Math.min(node.n, src!.n);
        const parts = src!.parts === null ? null : slices(src!.parts, n).map((group) => group.flat());
        out.push({ pairs: src!.pairs, data: parts === null ? [...src!.data] : parts.flat(), n, nExact: src!.nExact || node.n <= 1, partitioner: null, order: null, parts });
        break;
      }
      case 'union': {
        const other = out[node.other];
        const data = [...src!.data, ...other.data];
        if (samePart(src!.partitioner, other.partitioner)) out.push({ pairs: src!.pairs, data, n: src!.n, nExact: true, partitioner: src!.partitioner, order: null, parts: null });
        else {
          // Spark's UnionRDD: this RDD's partitions, then the other's.
          const parts = src!.parts !== null && other.parts !== null ? [...src!.parts, ...other.parts] : null;
          out.push({ pairs: src!.pairs, data, n: src!.n + other.n, nExact: src!.nExact && other.nExact, partitioner: null, order: null, parts });
        }
        break;
      }
      case 'keyBy':
        out.push(narrow(one((x: number) => [x % node.m, x]), true, false));
        break;
      case 'mapValues':
        out.push({ ...narrow(one(([k, v]: [number, number]) => [k, fns.map(v, node.a, node.b, node.m)]), true, true, src!.order), sortedWithin: src!.sortedWithin });
        break;
      case 'flatMapValues':
        out.push({ ...narrow((x) => { const [k, v] = x as [number, number]; return fns.flatMapValue(v).map((w) => [k, w]); }, true, true, src!.order), sortedWithin: src!.sortedWithin });
        break;
      case 'keys':
        out.push(narrow(one(([k]: [number, number]) => k), false, false, src!.order?.by === 'key' ? { by: 'value', asc: src!.order.asc } : null));
        break;
      case 'values':
        out.push(narrow(one(([, v]: [number, number]) => v), false, false));
        break;
      case 'mapPartitionsWithIndex': {
        // The index is known only with the partitions (the generator gives a = 0 otherwise).
        const f = src!.pairs ? (x: unknown, i: number): unknown[] => [[(x as [number, number])[0], fns.indexed((x as [number, number])[1], i, node.a)]] : (x: unknown, i: number): unknown[] => [fns.indexed(x as number, i, node.a)];
        out.push(narrow(f, src!.pairs, node.preserve));
        break;
      }
      case 'zipWithUniqueId': {
        // Spark's: the k-th element (from 0) of partition i gets k * n + i.
        const parts = src!.parts!.map((p, i) => p.map((x, k) => [x, k * src!.n + i]));
        out.push({ pairs: true, data: parts.flat(), n: src!.n, nExact: src!.nExact, partitioner: null, order: null, parts });
        break;
      }
      case 'zip':
        out.push(narrow(one((x: number) => [x, fns.map(x, node.a, node.b, node.m)]), true, false));
        break;
      case 'groupBy': {
        // Spark's groupBy: keyBy (no partitioner), then groupByKey on the count given or the default partitioner.
        const placed = placedBy(node.n, [{ ...src!, partitioner: null }]);
        const groups = groupBy(N(node.src).map((x) => [x % node.m, x]));
        out.push(keyedPlaced([...groups].map(([k, vs]) => [k, fns.group(vs)]), placed));
        break;
      }
      case 'cogroup3': {
        const [o1, o2] = [out[node.other], out[node.other2]];
        const placed = placedBy(node.n, [src!, o1, o2]);
        const [l, a, b] = [groupBy(P(node.src)), groupBy(P(node.other)), groupBy(P(node.other2))];
        const keys = new Set([...l.keys(), ...a.keys(), ...b.keys()]);
        out.push(keyedPlaced([...keys].map((k) => [k, fns.cogrouped3(l.get(k) ?? [], a.get(k) ?? [], b.get(k) ?? [])]), placed));
        break;
      }
      case 'repartitionAndSortWithinPartitions':
        // PySpark's: a hash partitioner of the count given, or of the RDD's partition count.
        out.push({ ...keyed([...src!.data], { kind: 'hash', n: node.n ?? src!.n }), sortedWithin: { asc: node.asc } });
        break;
      case 'filterByRange':
        // Spark's: a PartitionPruningRDD (fewer partitions, no partitioner) once the sort's bounds are known.
        out.push({
          pairs: true,
          data: P(node.src).filter(([k]) => k >= node.lo && k <= node.hi),
          n: src!.n,
          nExact: false,
          partitioner: src!.partitioner?.kind === 'range' ? { kind: 'any' } : src!.partitioner,
          order: src!.order,
          parts: null,
        });
        break;
      case 'reduceByKey':
      case 'groupByKey':
      case 'foldByKey':
      case 'aggregateByKey':
      case 'combineByKey': {
        const placed = placedBy(node.n, [src!]);
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
        out.push(keyedPlaced(groups.map(([k, vs]) => [k, value(vs)]), placed));
        break;
      }
      case 'join':
      case 'leftOuterJoin':
      case 'rightOuterJoin':
      case 'fullOuterJoin':
      case 'cogroup': {
        const other = out[node.other];
        const placed = placedBy(node.n, [src!, other]);
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
        out.push(keyedPlaced(data, placed));
        break;
      }
      case 'subtractByKey': {
        // Spark's self.partitioner.getOrElse(new HashPartitioner(self.partitions.length)): this
        // RDD's partitioner whatever its kind (a sort's range one too: seed 842), which the result
        // keeps with this RDD's partition count; a HashPartitioner of that count where it has none.
        const drop = new Set(P(node.other).map(([k]) => k));
        const data = P(node.src).filter(([k]) => !drop.has(k));
        const own = src!.partitioner;
        if (node.n !== undefined) out.push(keyed(data, { kind: 'hash', n: node.n }));
        else if (own?.kind === 'any') out.push(keyedPlaced(data, 'ambiguous'));
        else if (own !== null) out.push(keyedPlaced(data, { part: own, n: src!.n, nExact: src!.nExact }));
        else out.push(keyed(data, { kind: 'hash', n: src!.n }));
        break;
      }
      case 'subtract': {
        // Spark's: this.map((_, null)).subtractByKey(other.map((_, null)), p).keys, p a
        // HashPartitioner of the count given or of this RDD's; keys keeps no partitioner.
        const drop = new Set(N(node.other));
        const n = node.n ?? src!.n;
        out.push({ pairs: false, data: N(node.src).filter((x) => !drop.has(x)), n, nExact: node.n !== undefined || src!.nExact, partitioner: null, order: null, parts: null });
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
        out.push({ pairs: false, data, n, nExact: node.n !== undefined || (src!.nExact && other.nExact), partitioner: null, order: null, parts: null });
        break;
      }
      case 'cartesian': {
        const other = out[node.other];
        // Spark's CartesianRDD: partition i * m + j pairs this RDD's partition i with the other's j.
        const parts = src!.parts !== null && other.parts !== null ? src!.parts.flatMap((a) => other.parts!.map((b) => a.flatMap((x) => b.map((y) => [x, y])))) : null;
        const data = parts !== null ? parts.flat() : N(node.src).flatMap((a) => N(node.other).map((b) => [a, b]));
        out.push({ pairs: true, data, n: src!.n * other.n, nExact: src!.nExact && other.nExact, partitioner: null, order: null, parts });
        break;
      }
      case 'partitionBy':
        out.push(samePart(src!.partitioner, { kind: 'hash', n: node.n }) ? { ...narrow((x) => [x], true, true, src!.order), sortedWithin: src!.sortedWithin } : keyed([...src!.data], { kind: 'hash', n: node.n }));
        break;
      case 'cache':
      case 'persist':
      case 'checkpoint':
        out.push({ ...narrow((x) => [x], src!.pairs, true, src!.order), sortedWithin: src!.sortedWithin });
        break;
      case 'sortBy':
      case 'sortByKey': {
        const sign = node.asc ? 1 : -1;
        const data =
          node.op === 'sortBy' ? [...N(node.src)].sort((a, b) => sign * (a - b)) : [...P(node.src)].sort((a, b) => sign * (a[0] - b[0]));
        // Sampled as the sort is called (its job run at once, as Spark's RangePartitioner), or
        // with one partition asked for none needed; else (its lineage has a job of its own to
        // run first) at its first job, its count then the one asked for.
        const asked = node.n ?? (src!.nExact ? src!.n : undefined);
        const before = src!.pending ?? false;
        const sampled: Tri = asked === 1 ? true : asked === undefined && before !== false ? 'unknown' : before === true ? false : before === 'unknown' ? 'unknown' : true;
        // Sampled over no element, Spark's RangePartitioner has no bounds: one partition,
        // whatever was asked (rangeBounds.length + 1).
        const none = sampled === true && data.length === 0;
        out.push({
          pairs: node.op === 'sortByKey',
          data,
          n: none ? 1 : node.n ?? src!.n,
          nExact: sampled === false || none,
          partitioner: node.op === 'sortByKey' ? { kind: 'range', sort: out.length, asc: node.asc, sampled } : null,
          order: { by: node.op === 'sortBy' ? 'value' : 'key', asc: node.asc },
          parts: null,
          pending: or3([before, sampled === true ? false : sampled === false ? true : 'unknown']),
        });
        break;
      }
      case 'zipWithIndex': {
        // The index of each element in partition order (a sorted RDD's, or known partitions').
        let i = 0;
        out.push(narrow((x) => [[x, i++]], true, false, src!.order ? { by: 'key', asc: src!.order.asc } : null));
        break;
      }
    }
    // What its lineage still had to run when the program made it: its parents' (zipWithIndex
    // counts when called, as Spark's, unless its own lineage has such work: then it waits too).
    const made = out[out.length - 1];
    const parents = (['src', 'other', 'other2'] as const).flatMap((k) => (k in node ? [out[(node as unknown as Record<string, number>)[k]]] : []));
    made.pending = or3([made.pending ?? false, ...parents.map((x) => x.pending ?? false)]);
    if (parents.some((x) => x.ambiguous)) made.ambiguous = true;
  }
  return out;
}

/** The most elements a program's nodes hold, but for the last one (at most a join of two such). */
const MAX_ELEMENTS = 2_000;

export interface GenerateOptions {
  /**
   * Whether localCheckpoint() may be used (default true). Not where workers are killed: a
   * locally checkpointed block lost with its worker cannot be recomputed (Spark's too).
   */
  localCheckpoint?: boolean;
}

/** A program of a few nodes and actions, from `rand` (uniform in [0, 1)). */
export function generate(rand: () => number, options: GenerateOptions = {}): Program {
  const local = options.localCheckpoint ?? true;
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo)); // [lo, hi)
  const chance = (p: number): boolean => rand() < p;
  const maybeN = (): number | undefined => (chance(0.5) ? undefined : int(1, 7));
  const nodes: Node[] = [];
  /** ranged: pairs placed by a sort's range partitioner, not in its order (a reduce or join over a sort that reused it). */
  const kinds: { pairs: boolean; ordered: boolean; ranged?: boolean }[] = [];
  const add = (n: Node, pairs: boolean, ordered: boolean, ranged = false): number => {
    nodes.push(n);
    kinds.push({ pairs, ordered, ...(ranged ? { ranged } : {}) });
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
    const candidates = kinds.flatMap((k, i) => (k.pairs && !k.ordered && !k.ranged ? [i] : []));
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
    const { pairs, ordered, ranged } = kinds[cur];
    /** Whether Spark's rules fix what each partition of the current node holds. */
    const known = (): boolean => evaluate(nodes)[cur].parts !== null;
    const mark = (): void => {
      // cache, persist at another level, or a checkpoint, reliable or local.
      const r = rand();
      // The same RDD again (a level cannot change once assigned, as Spark's): a reliable checkpoint.
      if (['cache', 'persist', 'checkpoint'].includes(nodes[cur].op)) cur = add({ op: 'checkpoint', src: cur, local: false }, pairs, false);
      else if (r < 0.35) cur = add({ op: 'cache', src: cur }, pairs, false);
      else if (r < 0.65) cur = add({ op: 'persist', src: cur, level: (['MEMORY_AND_DISK', 'DISK_ONLY', 'MEMORY_ONLY_SER'] as const)[int(0, 3)] }, pairs, false);
      else cur = add({ op: 'checkpoint', src: cur, local: local && chance(0.5) }, pairs, false);
    };
    /** Mostly fewer partitions than the node has, at least 2 where it can (so that ranges of them merge). */
    const coalesceTo = (): number => {
      const n = evaluate(nodes)[cur].n;
      return n > 2 && chance(0.6) ? int(2, n) : int(1, 7);
    };
    const byIndex = (): void => {
      // The partition's index in the values where the partitions are known, else ignored.
      cur = add({ op: 'mapPartitionsWithIndex', src: cur, a: known() ? int(1, 50) : 0, preserve: chance(0.5) }, pairs, false);
    };
    /**
     * A keyed operator over pairs placed by a sort (Spark's defaultPartitioner reuses its
     * RangePartitioner): mostly without a count; the other side this node or an unsorted one.
     * Kept only where the reference knows the partitioner it gives (else a filter in its place).
     */
    const overRange = (): void => {
      const op = (['reduceByKey', 'groupByKey', 'join', 'cogroup', 'leftOuterJoin'] as const)[int(0, 5)];
      const n = chance(0.8) ? undefined : int(1, 7);
      const node: Node = op === 'reduceByKey' || op === 'groupByKey' ? { op, src: cur, n } : { op, src: cur, other: chance(0.3) ? cur : otherPairs(), n };
      const made = add(node, true, false, true);
      const e = evaluate(nodes)[made];
      if (e.ambiguous) {
        nodes.pop();
        kinds.pop();
        cur = add({ op: 'filter', src: cur, m: int(2, 9), r: int(0, 2) }, true, ordered);
      } else {
        cur = made;
        // Not range-placed after all (a count given, or a sort sampled only at its first job): an ordinary keyed node.
        if (e.partitioner?.kind !== 'range') kinds[cur] = { pairs: true, ordered: false };
      }
    };
    if (ranged) {
      // Only what keeps the range placement (its partition count known only as at most the
      // sort's: keys or values would take it to operators whose count the reference must know).
      const op = (['filter', 'mapValues', 'range', 'range'] as const)[int(0, 4)];
      if (op === 'filter') cur = add({ op: 'filter', src: cur, m: int(2, 9), r: int(0, 2) }, true, false, true);
      else if (op === 'mapValues') cur = add({ op: 'mapValues', src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 60) }, true, false, true);
      else overRange();
      continue;
    }
    if (ordered && pairs && chance(0.6) && evaluate(nodes)[cur].partitioner?.kind === 'range') {
      overRange();
      continue;
    }
    if (ordered) {
      // Only what keeps (or reads) the order after a sort.
      const ops = pairs ? ['filter', 'mapValues', 'keys', 'filterByRange'] : ['filter', 'zipWithIndex'];
      const op = ops[int(0, ops.length)];
      if (op === 'filter') cur = add({ op: 'filter', src: cur, m: int(2, 9), r: int(0, 2) }, pairs, true);
      else if (op === 'filterByRange') {
        const lo = int(0, 12);
        cur = add({ op: 'filterByRange', src: cur, lo, hi: lo + int(0, 8) }, true, true);
      }
      else if (op === 'mapValues') cur = add({ op: 'mapValues', src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 60) }, true, true);
      else if (op === 'keys') cur = add({ op: 'keys', src: cur }, false, true);
      else cur = add({ op: 'zipWithIndex', src: cur }, true, true);
      continue;
    }
    if (!pairs) {
      const ops = [
        'map', 'filter', 'flatMap', 'distinct', 'repartition', 'coalesce', 'union', 'keyBy', 'keyBy', 'keyBy', 'cache', 'sortBy', 'subtract', 'intersection', 'cartesian',
        'mapPartitionsWithIndex', 'groupBy', 'zipWithUniqueId', 'zip', 'zipWithIndex',
      ];
      let op = ops[int(0, ops.length)];
      // These read the partitions' order: only where Spark's rules fix it (a shuffle's output's is not).
      if ((op === 'zipWithUniqueId' || op === 'zip' || op === 'zipWithIndex') && !known()) op = 'keyBy';
      switch (op) {
        case 'mapPartitionsWithIndex':
          byIndex();
          break;
        case 'groupBy':
          cur = add({ op: 'groupBy', src: cur, m: int(1, 12), n: maybeN() }, true, false);
          break;
        case 'zipWithUniqueId':
          cur = add({ op: 'zipWithUniqueId', src: cur }, true, false);
          break;
        case 'zip':
          cur = add({ op: 'zip', src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 60) }, true, false);
          break;
        case 'zipWithIndex':
          cur = add({ op: 'zipWithIndex', src: cur }, true, false);
          break;
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
          cur = add({ op: 'coalesce', src: cur, n: coalesceTo(), shuffle: chance(0.5) ? undefined : chance(0.3) }, false, false);
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
          mark();
          break;
        default:
          cur = add({ op: 'sortBy', src: cur, asc: chance(0.5), n: maybeN() }, false, true);
      }
      continue;
    }
    const ops = [
      'mapValues', 'filter', 'flatMapValues', 'keys', 'values', 'reduceByKey', 'groupByKey', 'foldByKey', 'aggregateByKey', 'combineByKey',
      'join', 'leftOuterJoin', 'rightOuterJoin', 'fullOuterJoin', 'cogroup', 'subtractByKey', 'join', 'cogroup', 'partitionBy', 'union', 'distinct', 'cache', 'sortByKey', 'coalesce', 'repartition',
      'mapPartitionsWithIndex', 'cogroup3', 'repartitionAndSortWithinPartitions', 'sortByKey',
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
        cur = add({ op, src: cur }, true, false);
        break;
      case 'cache':
        mark();
        break;
      case 'mapPartitionsWithIndex':
        byIndex();
        break;
      case 'cogroup3': {
        const other = chance(0.15) ? cur : otherPairs();
        cur = add({ op, src: cur, other, other2: otherPairs(), n: maybeN() }, true, false);
        break;
      }
      case 'repartitionAndSortWithinPartitions':
        cur = add({ op, src: cur, n: maybeN(), asc: chance(0.5) }, true, false);
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
        cur = add({ op, src: cur, n: coalesceTo(), shuffle: chance(0.5) ? undefined : chance(0.3) }, true, false);
        break;
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
  // One more action of the rest, at times, of this node or (most programs end in pairs) an earlier one of numbers.
  if (chance(0.7)) {
    const numsNodes = kinds.flatMap((k, i) => (k.pairs ? [] : [i]));
    const node = numsNodes.length > 0 && chance(0.4) ? numsNodes[int(0, numsNodes.length)] : cur;
    const acts = kinds[node].pairs
      ? (['first', 'isEmpty', 'countByValue', 'collectAsMap', 'reduceByKeyLocally'] as const)
      : (['reduce', 'aggregate', 'treeReduce', 'treeAggregate', 'max', 'min', 'first', 'isEmpty', 'countByValue', 'stats', 'histogram'] as const);
    const act = acts[int(0, acts.length)];
    if (act === 'treeReduce' || act === 'treeAggregate') actions.push({ act, node, depth: int(1, 5) });
    else if (act === 'histogram') {
      // Boundaries at elements of the node at times, so that some fall on the closed last one.
      const xs = evaluate(nodes)[node].data as number[];
      const bound = (): number => (xs.length > 0 && chance(0.6) ? xs[int(0, xs.length)] : int(0, 120));
      const bounds = [...new Set(Array.from({ length: int(2, 6) }, bound))].sort((a, b) => a - b);
      actions.push({ act, node, bounds: bounds.length > 1 ? bounds : [0, 120] });
    } else actions.push({ act, node });
  }
  const all = evaluate(nodes);
  // glom and sample of this node, or at times of an earlier one whose partitions Spark's rules fix (checked exactly).
  const knownNodes = all.flatMap((x, i) => (x.parts !== null && nodes[i].op !== 'nums' && nodes[i].op !== 'pairs' ? [i] : []));
  // (The last such node most often: the most operators between it and its sources.)
  const target = (): number => (knownNodes.length > 0 && chance(0.5) ? (chance(0.6) ? knownNodes[knownNodes.length - 1] : knownNodes[int(0, knownNodes.length)]) : cur);
  if (all[cur].sortedWithin !== undefined) actions.push({ act: 'glom', node: cur });
  else if (chance(0.45)) actions.push({ act: 'glom', node: target() });
  if (chance(0.25)) {
    const withReplacement = chance(0.3);
    const fraction = [0, 0.1, 0.5, 1, withReplacement ? 2 : 0.9][int(0, 5)];
    actions.push({ act: 'sample', node: target(), withReplacement, fraction, seed: int(0, 1_000_000) });
  }
  // Random splits, exact samples by key and takeSample, at times of a node whose partitions are known.
  if (chance(0.2)) {
    const weights = Array.from({ length: int(2, 5) }, () => [0, 1, 2, 3][int(0, 4)]);
    if (!weights.some((w) => w > 0)) weights[0] = 1;
    actions.push({ act: 'randomSplit', node: target(), weights, seed: int(0, 1_000_000) });
  }
  if (chance(0.2)) {
    const node = target();
    if (kinds[node].pairs) {
      const keys = [...new Set((all[node].data as [number, number][]).map(([k]) => k))];
      const fractions = keys.map((k): [number, number] => [k, [0, 0.1, 0.3, 0.5, 0.7, 1][int(0, 6)]]);
      actions.push({ act: 'sampleByKeyExact', node, withReplacement: chance(0.3), fractions, seed: int(0, 1_000_000) });
    } else actions.push({ act: 'takeSample', node, withReplacement: chance(0.3), num: int(0, 30), seed: int(0, 1_000_000) });
  }
  if (chance(0.2)) actions.push({ act: 'accumulate', node: target() });
  // A cached or persisted node unpersisted, then its later uses recompute it.
  const persisted = nodes.flatMap((n, i) => (n.op === 'cache' || n.op === 'persist' ? [i] : []));
  if (persisted.length > 0 && chance(0.5)) {
    actions.push({ act: 'unpersist', node: persisted[int(0, persisted.length)] });
    actions.push({ act: 'count', node: cur });
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
  else if (e.partitioner.kind === 'any') assert.ok(partitioner === null || partitioner.kind === 'range', `${where}a range partitioner or none: ${JSON.stringify(partitioner)}`);
  else if (e.partitioner.kind === 'range') assert.equal(partitioner?.kind, 'range', `${where}a range partitioner`);
  else assert.deepEqual(partitioner, { kind: 'hash', n: e.partitioner.n }, `${where}the partitioner`);
}

const EMPTY_FAILS = new Set(['reduce', 'treeReduce', 'max', 'min', 'first']);

const subBag = (sub: readonly unknown[], all: readonly unknown[]): boolean => {
  const left = new Map<string, number>();
  for (const x of all) left.set(JSON.stringify(x), (left.get(JSON.stringify(x)) ?? 0) + 1);
  for (const x of sub) {
    const k = JSON.stringify(x);
    const c = left.get(k) ?? 0;
    if (c === 0) return false;
    left.set(k, c - 1);
  }
  return true;
};

/** What a program's action must give, checked against what the cluster gave (or what it threw). */
function check(program: Program, expected: readonly Expected[], a: number, o: Outcome): void {
  const action = program.actions[a];
  const e = expected[action.node];
  if (EMPTY_FAILS.has(action.act) && e.data.length === 0) {
    // Spark's UnsupportedOperationException("empty collection"): Sluice's SLUICE_BAD_ARGUMENT.
    assert.ok(!o.ok && o.code === 'SLUICE_BAD_ARGUMENT' && o.error.includes('empty'), `${action.act} of an empty RDD fails saying so: ${JSON.stringify(o)}`);
    return;
  }
  if (!o.ok) assert.fail(`failed on the cluster: ${o.code ?? ''} ${o.error}`);
  const got = o.value;
  const nums = e.data as number[];
  const sumOf = (xs: readonly number[]): number => xs.reduce((x, y) => (x + y) % 1_000_003, 0);
  switch (action.act) {
    case 'reduce':
    case 'treeReduce':
      assert.equal(got, sumOf(nums));
      return;
    case 'aggregate':
    case 'treeAggregate':
      assert.deepEqual(got, [nums.length, sumOf(nums)]);
      return;
    case 'max':
      assert.equal(got, Math.max(...nums));
      return;
    case 'min':
      assert.equal(got, Math.min(...nums));
      return;
    case 'first':
      if (e.parts !== null) assert.deepEqual(got, e.data[0], 'the first element of the first partition holding one');
      else if (e.order) assert.deepEqual(keysOf([got]), keysOf(e.data.slice(0, 1)), 'the first key in order');
      else assert.ok(new Set(bag(e.data)).has(JSON.stringify(got)), `${JSON.stringify(got)} is an element`);
      return;
    case 'isEmpty':
      assert.equal(got, e.data.length === 0);
      return;
    case 'countByValue': {
      const counts = new Map<string, number>();
      for (const x of e.data) counts.set(JSON.stringify(x), (counts.get(JSON.stringify(x)) ?? 0) + 1);
      assert.deepEqual(bag(got as unknown[]), bag([...counts].map(([k, c]) => [JSON.parse(k), c])));
      return;
    }
    case 'stats': {
      const g = got as { count: number; sum: number; max: number | null; min: number | null };
      assert.equal(g.count, nums.length, 'stats count');
      const sum = nums.reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(g.sum - sum) <= 1e-9 * Math.max(1, Math.abs(sum)), `stats sum ${g.sum}, expected ${sum}`);
      if (nums.length > 0) assert.deepEqual([g.max, g.min], [Math.max(...nums), Math.min(...nums)], 'stats max and min');
      return;
    }
    case 'histogram': {
      const b = action.bounds;
      const counts = b.slice(1).map(() => 0);
      for (const x of nums) {
        if (x < b[0] || x > b[b.length - 1]) continue;
        let i = b.findIndex((_, j) => j + 1 < b.length && x < b[j + 1]);
        if (i === -1) i = b.length - 2; // the last bucket is closed
        counts[i]++;
      }
      assert.deepEqual(got, counts);
      return;
    }
    case 'glom': {
      const g = got as unknown[][];
      if (e.nExact) assert.equal(g.length, e.n, 'a list a partition');
      else assert.ok(g.length >= 1 && g.length <= e.n, `${g.length} partitions, from 1 to ${e.n}`);
      assert.deepEqual(bag(g.flat()), bag(e.data), 'the partitions hold the elements');
      if (e.parts !== null) assert.deepEqual(g, e.parts, 'each partition what Spark\'s rules put in it, in order');
      if (e.partitioner?.kind === 'range') {
        // Placed by the sort's bounds: each partition's keys all before (or, descending, after) the next one's.
        const p = e.partitioner;
        const keysOfPart = (g as [number, number][][]).map((ps) => ps.map(([k]) => k)).filter((ks) => ks.length > 0);
        for (let i = 1; i < keysOfPart.length; i++) {
          const [prev, next] = p.asc ? [Math.max(...keysOfPart[i - 1]), Math.min(...keysOfPart[i])] : [Math.min(...keysOfPart[i - 1]), Math.max(...keysOfPart[i])];
          assert.ok(p.asc ? prev < next : prev > next, `the range partitions' keys in order (${p.asc ? 'ascending' : 'descending'}): ${JSON.stringify(keysOfPart)}`);
        }
      }
      if (e.partitioner?.kind === 'hash' || e.partitioner?.kind === 'range') {
        const at = new Map<string, number>();
        for (const [i, p] of g.entries()) {
          for (const x of p as [number, number][]) {
            const k = JSON.stringify(x[0]);
            assert.ok((at.get(k) ?? i) === i, `key ${k} in partitions ${at.get(k)} and ${i} of a partitioned RDD`);
            at.set(k, i);
          }
        }
      }
      if (e.sortedWithin) {
        for (const p of g as [number, number][][]) {
          const ks = p.map(([k]) => k);
          assert.deepEqual(ks, [...ks].sort((x, y) => (e.sortedWithin!.asc ? x - y : y - x)), 'each partition sorted by key');
        }
      }
      if (e.order) assert.deepEqual(keysOf(g.flat()), keysOf(e.data), 'the partitions in order');
      return;
    }
    case 'sample': {
      const g = got as { a: unknown[]; b: unknown[]; n: number; partitioner: Shape[1] };
      checkShape(e, [g.n, g.partitioner], 'the sample: ');
      for (const x of [g.a, g.b]) {
        if (action.withReplacement) {
          const all = new Set(bag(e.data));
          for (const y of x) assert.ok(all.has(JSON.stringify(y)), `${JSON.stringify(y)} sampled is an element`);
        } else assert.ok(subBag(x, e.data), `a sample without replacement is a part of the elements: ${JSON.stringify(x).slice(0, 300)}`);
        if (action.fraction === 0) assert.deepEqual(x, [], 'fraction 0: nothing');
        if (action.fraction === 1 && !action.withReplacement) assert.deepEqual(bag(x), bag(e.data), 'fraction 1: everything');
      }
      // The same seed over the same partitions gives the same sample (a shuffle's output may come in another order).
      if (e.parts !== null) assert.deepEqual(g.b, g.a, 'the sample recomputed is the same');
      return;
    }
    case 'unpersist':
      assert.deepEqual(bag(got as unknown[]), bag(e.data), 'the elements after unpersist');
      return;
    case 'randomSplit': {
      const g = got as unknown[][];
      assert.equal(g.length, action.weights.length, 'a split a weight');
      for (const [i, split] of g.entries()) {
        assert.ok(subBag(split, e.data), `split ${i} is a part of the elements`);
        if (action.weights[i] === 0) assert.deepEqual(split, [], `split ${i} of weight 0 is empty`);
      }
      // Every element in exactly one split, where the partitions come the same at each split's computation.
      if (e.parts !== null) assert.deepEqual(bag(g.flat()), bag(e.data), 'the splits together hold every element once');
      return;
    }
    case 'sampleByKeyExact': {
      const g = got as [number, number][];
      const fraction = new Map(action.fractions);
      const have = groupBy(e.data as [number, number][]);
      const sampled = groupBy(g);
      for (const [k, vs] of have) {
        // Spark's: exactly ceil(count * fraction) of each key's pairs (math.ceil(numItems * samplingRate)).
        const want = Math.ceil(vs.length * fraction.get(k)!);
        assert.equal(sampled.get(k)?.length ?? 0, want, `key ${k}: ${vs.length} pairs at fraction ${fraction.get(k)}`);
      }
      if (action.withReplacement) for (const [k, v] of g) assert.ok(have.get(k)?.includes(v), `[${k}, ${v}] sampled is a pair`);
      else assert.ok(subBag(g, e.data), 'a sample without replacement is a part of the pairs');
      return;
    }
    case 'takeSample': {
      const [x, y] = got as [unknown[], unknown[]];
      assert.equal(x.length, action.withReplacement ? (e.data.length > 0 ? action.num : 0) : Math.min(action.num, e.data.length), 'how many taken');
      if (action.withReplacement) {
        const all = new Set(bag(e.data));
        for (const z of x) assert.ok(all.has(JSON.stringify(z)), `${JSON.stringify(z)} taken is an element`);
      } else assert.ok(subBag(x, e.data), 'taken without replacement: a part of the elements');
      if (e.parts !== null) assert.deepEqual(y, x, 'the same seed takes the same sample');
      return;
    }
    case 'accumulate':
      // Spark applies an action's accumulator updates once a task, whatever ran again.
      assert.equal(got, e.data.length, 'the accumulator counted every element once');
      return;
    case 'collectAsMap': {
      const g = got as [number, number][];
      const groups = groupBy(e.data as [number, number][]);
      assert.deepEqual(g.map(([k]) => k).sort((x, y) => x - y), [...groups.keys()].sort((x, y) => x - y), 'one entry a key');
      for (const [k, v] of g) {
        if (e.parts !== null) assert.equal(v, groups.get(k)!.at(-1), `key ${k}: the last value collected, as Spark's map.put in order`);
        else assert.ok(groups.get(k)?.includes(v), `key ${k}: ${v} one of its values`);
      }
      return;
    }
    case 'reduceByKeyLocally':
      assert.deepEqual(bag(got as unknown[]), bag([...groupBy(e.data as [number, number][])].map(([k, vs]) => [k, vs.reduce((x, y) => fns.sum(x, y), 0)])));
      return;
  }
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
      try {
        check(program, expected, a, o);
      } catch (err) {
        fail(`${where}: ${(err as Error).message.split('\n').slice(0, 12).join('\n')}`);
      }
    }
    if (failures.length >= 5) break;
  }
  return failures;
}
