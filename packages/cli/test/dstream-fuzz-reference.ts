/**
 * The randomized DStream test's two halves that run here: programs made from a seed, and what
 * each output must give at each batch time, computed on plain arrays with Spark Streaming's
 * rules (not Sluice's code): a stream with slide s has an RDD at the times that are multiples of
 * s; a window of w at time t holds its parent's RDDs of the times in (t - w, t]; a
 * reduceByKeyAndWindow with an inverse keeps every key its parent ever had, with the window's
 * value (0 when no value of it is in the window) unless its filter drops it
 * (ReducedWindowedDStream's cogroup of the previous window with the leaving and entering
 * batches; a key its filter dropped starts again from what enters, as Spark's); countByWindow and reduceByWindow with an inverse are such a window on one key, so
 * they give nothing until their parent's first element and 0 after; countByValueAndWindow is
 * such a window with a filter of positive counts, so the counts of the window's values;
 * updateStateByKey calls its function for every key it has or the batch has (values [] for an
 * idle key; its initialRDD is the state before the first batch) and drops a key it returns
 * undefined for; mapWithState calls its function only for the batch's keys and, at a batch whose
 * state is checkpointed, the keys idle longer than its timeout (which then go; a key of its
 * initial state counts as updated at the first batch), and its snapshots
 * are the keys not removed; outer joins give a missing side
 * as undefined; subtract keeps duplicates of what the other lacks, intersection gives each
 * common element once. Times here are in batches.
 */
import assert from 'node:assert/strict';
import { BATCH_MS, sfns, type StatePartitions, type StreamNode, type StreamProgram, type StreamPrograms } from './fixtures/dstream-fuzz-ops.js';
import { mulberry32 } from './harness.js';

type Pair = [number, number];

/** For each node: its slide, and its elements at each time it has an RDD (by time). */
export interface StreamExpected {
  slide: number;
  at: Map<number, unknown[]>;
}

function sumByKey(pairs: readonly Pair[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const [k, v] of pairs) m.set(k, (m.get(k) ?? 0) + v);
  return m;
}

export function evaluateStreams(nodes: readonly StreamNode[], batches: number): StreamExpected[] {
  const out: StreamExpected[] = [];
  for (const node of nodes) {
    const src = 'src' in node ? out[node.src] : undefined;
    const slide = node.op === 'input' ? 1 : 's' in node ? node.s : src!.slide;
    const at = new Map<number, unknown[]>();
    /** mapWithState's state, carried from batch to batch. */
    const mapState = new Map<number, number>();
    /** The batch at which each key of mapState last had a value. */
    const mapUpdated = new Map<number, number>();
    // StateSpec.initialState: the state before the first batch (at the slide), each key counted
    // as updated then (Spark's MapWithStateRDD.createFromPairRDD(initial, partitioner, validTime)).
    if (node.op === 'mapWithState')
      for (const [k, s] of node.initial ?? []) {
        mapState.set(k, s);
        mapUpdated.set(k, slide);
      }
    /** The parent's RDDs of the times in (t - w, t]. */
    const window = (t: number, w: number): unknown[] => {
      const xs: unknown[] = [];
      for (let u = t - w + src!.slide; u <= t; u += src!.slide) if (u >= 1) xs.push(...src!.at.get(u)!);
      return xs;
    };
    /** The parent's elements at every time up to t. */
    const upTo = (t: number): unknown[] => [...src!.at].filter(([u]) => u <= t).flatMap(([, xs]) => xs);
    for (let t = slide; t <= batches; t += slide) {
      const parent = (): unknown[] => src!.at.get(t)!;
      const N = (): number[] => parent() as number[];
      const P = (): Pair[] => parent() as Pair[];
      switch (node.op) {
        case 'input':
          at.set(t, node.batches[t - 1] ?? []);
          break;
        case 'map':
          at.set(t, N().map((x) => sfns.map(x, node.a, node.b, node.m)));
          break;
        case 'filter':
          at.set(t, N().filter((x) => sfns.filter(x, node.m, node.r)));
          break;
        case 'flatMap':
          at.set(t, N().flatMap((x) => sfns.flatMap(x)));
          break;
        case 'pair':
          at.set(t, N().map((x) => sfns.pair(x, node.m)));
          break;
        case 'mapValues':
          at.set(t, P().map(([k, v]) => [k, sfns.mapValue(v, node.a, node.b, node.m)]));
          break;
        case 'reduceByKey':
          at.set(t, [...sumByKey(P())]);
          break;
        case 'countByValue':
          at.set(t, [...sumByKey(N().map((x): Pair => [x, 1]))]);
          break;
        case 'count':
          at.set(t, [parent().length]);
          break;
        case 'window':
          at.set(t, window(t, node.w));
          break;
        case 'reduceByKeyAndWindow': {
          if (node.mode === 'plain') {
            at.set(t, [...sumByKey(window(t, node.w) as Pair[])]);
            break;
          }
          // Spark's ReducedWindowedDStream: from its own previous window (at t - slide, as its
          // filter left it; none before its first), each key's value less the batches that left
          // (t - slide - w, t - w] plus those that entered (t - slide, t]; a key the previous
          // window lacks (never seen, or dropped by the filter) is what entered, none if nothing
          // did (Spark's mergeValues throws there). So a key the filter dropped while values of it
          // stay in the window comes back without them (a timed-out mapWithState's negative
          // value, say), as Spark's does.
          const prev = new Map((t - slide >= slide ? at.get(t - slide)! : []) as Pair[]);
          const batchesIn = (from: number, to: number): Pair[] => {
            const xs: Pair[] = [];
            for (let u = from + src!.slide; u <= to; u += src!.slide) if (u >= 1) xs.push(...(src!.at.get(u)! as Pair[]));
            return xs;
          };
          const left = sumByKey(batchesIn(t - slide - node.w, t - node.w));
          const entered = sumByKey(batchesIn(t - slide, t));
          const next: Pair[] = [];
          for (const k of new Set([...prev.keys(), ...left.keys(), ...entered.keys()])) {
            let v = prev.get(k);
            if (v === undefined) v = entered.get(k);
            else {
              if (left.has(k)) v = sfns.minus(v, left.get(k)!);
              if (entered.has(k)) v = sfns.sum(v, entered.get(k)!);
            }
            if (v !== undefined) next.push([k, v]);
          }
          at.set(t, node.mode === 'inverse' ? next : next.filter((kv) => sfns.positive(kv)));
          break;
        }
        case 'countByValueAndWindow':
          at.set(t, [...sumByKey((window(t, node.w) as number[]).map((x): Pair => [x, 1]))]);
          break;
        case 'countByWindow':
          at.set(t, upTo(t).length === 0 ? [] : [window(t, node.w).length]);
          break;
        case 'reduceByWindow': {
          const xs = window(t, node.w) as number[];
          const sum = xs.reduce((a, b) => sfns.sum(a, b), 0);
          if (node.inverse) at.set(t, upTo(t).length === 0 ? [] : [sum]);
          else at.set(t, xs.length === 0 ? [] : [sum]);
          break;
        }
        case 'updateStateByKey': {
          // Before the first batch the initialRDD if any: Spark's StateDStream cogroups the
          // first batch with it (computeUsingPreviousRDD), so each of its keys gets a call.
          const state = new Map((t - slide >= 1 ? at.get(t - slide)! : (node.initial ?? [])) as Pair[]);
          const div = node.d;
          if (div === undefined) for (const [k, v] of sumByKey(P())) state.set(k, (state.get(k) ?? 0) + v);
          else {
            const values = new Map<number, number[]>();
            for (const [k, v] of P()) values.set(k, [...(values.get(k) ?? []), v]);
            for (const k of new Set([...state.keys(), ...values.keys()])) {
              const next = sfns.updateRemoving(values.get(k) ?? [], state.get(k), div);
              if (next === undefined) state.delete(k);
              else state.set(k, next);
            }
          }
          at.set(t, [...state]);
          break;
        }
        case 'mapWithState': {
          const mapped: Pair[] = [];
          const values = sumByKey(P());
          for (const [k, v] of values) {
            const { s, remove } = sfns.mapState(mapState.get(k), v, node.d);
            if (remove) mapState.delete(k);
            else mapState.set(k, s);
            mapUpdated.set(k, t);
            mapped.push([k, s]);
          }
          // A key with no value whose last value is more than the timeout ago gets a last call and goes, as Spark's
          // MapWithStateRDD: only at a full scan, a batch whose state RDD is checkpointed (checkpointEvery, or 10 slides).
          const timeout = node.timeout;
          if (timeout !== undefined && t % (node.checkpointEvery ?? 10 * slide) === 0)
            for (const [k, s] of [...mapState])
              if (!values.has(k) && t - mapUpdated.get(k)! > timeout) {
                mapped.push([k, -s]);
                mapState.delete(k);
              }
          at.set(t, node.snapshots ? [...mapState] : mapped);
          break;
        }
        case 'repartition':
        case 'glom':
          at.set(t, parent());
          break;
        case 'transformWith': {
          const other = out[node.other].at.get(t)! as number[];
          if (node.kind === 'subtract') at.set(t, N().filter((x) => !other.includes(x)));
          else at.set(t, [...new Set(N().filter((x) => other.includes(x)))]);
          break;
        }
        case 'cogroup': {
          const right = out[node.other].at.get(t)! as Pair[];
          const keys = new Set([...P(), ...right].map(([k]) => k));
          const of = (xs: Pair[], k: number): number[] => xs.filter(([k2]) => k2 === k).map(([, v]) => v);
          at.set(t, [...keys].map((k): Pair => [k, sfns.cogrouped(of(P(), k), of(right, k))]));
          break;
        }
        case 'distinct': {
          const seen = new Map<string, unknown>();
          for (const x of parent()) seen.set(JSON.stringify(x), x);
          at.set(t, [...seen.values()]);
          break;
        }
        case 'union':
          at.set(t, [...parent(), ...out[node.other].at.get(t)!]);
          break;
        case 'join': {
          const right = out[node.other].at.get(t)! as Pair[];
          const joined: Pair[] = [];
          for (const [k, v] of P()) for (const [k2, w] of right) if (k === k2) joined.push([k, sfns.joined(v, w)]);
          const leftKeys = new Set(P().map(([k]) => k));
          const rightKeys = new Set(right.map(([k]) => k));
          // A missing side is undefined, made 0 by the program's mapValues.
          if (node.kind === 'left' || node.kind === 'full') for (const [k, v] of P()) if (!rightKeys.has(k)) joined.push([k, sfns.joined(v, 0)]);
          if (node.kind === 'right' || node.kind === 'full') for (const [k, w] of right) if (!leftKeys.has(k)) joined.push([k, sfns.joined(0, w)]);
          at.set(t, joined);
          break;
        }
      }
    }
    out.push({ slide, at });
  }
  return out;
}

/** A program of a few streams, from `rand` (uniform in [0, 1)). */
export function generateStreams(rand: () => number, batches: number, options: { exclude?: readonly StreamNode['op'][] } = {}): StreamProgram {
  const allowed = (ops: string[]): string[] => ops.filter((op) => !options.exclude?.includes(op as StreamNode['op']));
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo)); // [lo, hi)
  const chance = (p: number): boolean => rand() < p;
  const nodes: StreamNode[] = [];
  const kinds: { pairs: boolean; slide: number }[] = [];
  const add = (n: StreamNode, pairs: boolean, slide: number): number => {
    nodes.push(n);
    kinds.push({ pairs, slide });
    return nodes.length - 1;
  };
  const input = (): number =>
    add(
      {
        op: 'input',
        // Some batches empty, and the queue shorter than the run now and then (later batches empty).
        batches: Array.from({ length: chance(0.2) ? int(1, batches) : batches }, () => (chance(0.15) ? [] : Array.from({ length: int(1, 12) }, () => int(0, 30)))),
      },
      false,
      1,
    );
  /** Window and slide for a window over node `src`: multiples of its slide, the slide at most 4 batches. */
  const windowOf = (src: number, inverse: boolean): { w: number; s: number } | undefined => {
    const ps = kinds[src].slide;
    const sMult = [1, 2].filter((k) => ps * k <= 4);
    if (sMult.length === 0) return undefined;
    const s = ps * sMult[int(0, sMult.length)];
    // With an inverse, a window at least its slide: a shorter one has batches that both leave
    // and enter it, which Spark's ReducedWindowedDStream counts in a key's first value.
    const w = ps * int(1, 4);
    return inverse && w < s ? { w: s, s } : { w, s };
  };
  /**
   * The other stream of a union, join, cogroup or transformWith, of the same kind and slide as
   * `slide`: one made already, a new input (windowed to that slide), or a window with that slide
   * over one made already (so windows of different lengths, over streams of different slides, meet).
   */
  const otherOf = (pairs: boolean, slide: number): number => {
    const r = rand();
    if (r < 0.3) {
      const srcs = kinds.flatMap((k, i) => (k.pairs === pairs && slide % k.slide === 0 ? [i] : []));
      const src = srcs[int(0, srcs.length)];
      return add({ op: 'window', src, w: kinds[src].slide * int(1, 5), s: slide }, pairs, slide);
    }
    if (r < 0.65) {
      // A new input (its keys not all this stream's), windowed to this slide when it is longer than a batch.
      const i = input();
      const fresh = pairs ? add({ op: 'pair', src: i, m: int(1, 8) }, true, 1) : i;
      return slide === 1 ? fresh : add({ op: 'window', src: fresh, w: int(1, 2 * slide + 1), s: slide }, pairs, slide);
    }
    const same = kinds.flatMap((k, i) => (k.pairs === pairs && k.slide === slide ? [i] : []));
    return same[int(0, same.length)];
  };
  let cur = input();
  // What was added to the programs after seeds had been run (initial states, state
  // partitioners, updateStateByKey's forms, streams' checkpoint intervals) is drawn from a sequence of its own, seeded by
  // the program's first input, so that `rand`'s draws, and the rest of each program a seed
  // made before, stay as they were.
  const side = mulberry32(fnv1a(JSON.stringify(nodes[0])));
  const sideInt = (lo: number, hi: number): number => lo + Math.floor(side() * (hi - lo));
  /** An initial state: 1 to 4 distinct keys in [0, 10), states in [1, 30). */
  const initialOf = (): [number, number][] | undefined => {
    if (side() >= 0.35) return undefined;
    const keys = new Set(Array.from({ length: sideInt(1, 5) }, () => sideInt(0, 10)));
    return [...keys].map((k) => [k, sideInt(1, 30)]);
  };
  const partitionsOf = (): StatePartitions | undefined => (side() < 0.4 ? { n: sideInt(1, 5), by: (['numPartitions', 'hash', 'custom'] as const)[sideInt(0, 3)] } : undefined);
  const stateExtras = (): { initial?: [number, number][]; partitions?: StatePartitions } => {
    const [initial, partitions] = [initialOf(), partitionsOf()];
    return { ...(initial && { initial }), ...(partitions && { partitions }) };
  };
  /** updateStateByKey's form: (values, state), (time, key, values, state) or the iterator, the last two with rememberPartitioner: false or not. */
  const updateForm = (): { form?: 'timeKey' | 'iterator'; rememberPartitioner?: false } => {
    const form = ([undefined, 'timeKey', 'iterator'] as const)[sideInt(0, 3)];
    return form === undefined ? {} : { form, ...(side() < 0.5 && { rememberPartitioner: false as const }) };
  };
  const outputs: number[] = [];
  const steps = int(3, 9);
  for (let step = 0; step < steps; step++) {
    const { pairs, slide } = kinds[cur];
    const before = cur;
    if (!pairs) {
      const ops = allowed(['map', 'filter', 'flatMap', 'pair', 'pair', 'countByValue', 'count', 'window', 'countByWindow', 'reduceByWindow', 'distinct', 'union', 'countByValueAndWindow', 'repartition', 'glom', 'transformWith']);
      const op = ops[int(0, ops.length)];
      switch (op) {
        case 'map':
          cur = add({ op, src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 40) }, false, slide);
          break;
        case 'filter':
          cur = add({ op, src: cur, m: int(2, 9), r: int(0, 2) }, false, slide);
          break;
        case 'flatMap':
        case 'count':
        case 'distinct':
        case 'glom':
          cur = add({ op, src: cur }, false, slide);
          break;
        case 'repartition':
          cur = add({ op, src: cur, n: int(1, 5) }, false, slide);
          break;
        case 'countByValueAndWindow': {
          const ws = windowOf(cur, true);
          if (!ws) break;
          cur = add({ op, src: cur, ...ws, n: chance(0.5) ? undefined : int(1, 5) }, true, ws.s);
          break;
        }
        case 'transformWith': {
          const other = otherOf(false, slide);
          cur = add({ op, src: cur, other, kind: chance(0.5) ? 'subtract' : 'intersection', via: chance(0.5) ? 'transformWith' : 'ssc' }, false, slide);
          break;
        }
        case 'pair':
          cur = add({ op, src: cur, m: int(1, 8) }, true, slide);
          break;
        case 'countByValue':
          cur = add({ op, src: cur }, true, slide);
          break;
        case 'window':
        case 'countByWindow':
        case 'reduceByWindow': {
          const inverse = op === 'countByWindow' || (op === 'reduceByWindow' && chance(0.5));
          const ws = windowOf(cur, inverse);
          if (!ws) break;
          if (op === 'window') cur = add({ op, src: cur, ...ws }, false, ws.s);
          else if (op === 'countByWindow') cur = add({ op, src: cur, ...ws }, false, ws.s);
          else cur = add({ op, src: cur, ...ws, inverse }, false, ws.s);
          break;
        }
        case 'union':
          cur = add({ op, src: cur, other: otherOf(false, slide) }, false, slide);
          break;
      }
    } else {
      const ops = allowed(['mapValues', 'reduceByKey', 'window', 'reduceByKeyAndWindow', 'reduceByKeyAndWindow', 'updateStateByKey', 'distinct', 'union', 'join', 'join', 'countByWindow', 'mapWithState', 'repartition', 'glom', 'cogroup']);
      const op = ops[int(0, ops.length)];
      switch (op) {
        case 'mapValues':
          cur = add({ op, src: cur, a: int(1, 5), b: int(0, 10), m: int(5, 40) }, true, slide);
          break;
        case 'reduceByKey':
          cur = add({ op, src: cur, n: chance(0.5) ? undefined : int(1, 5) }, true, slide);
          break;
        case 'distinct':
        case 'glom':
          cur = add({ op, src: cur }, true, slide);
          break;
        case 'updateStateByKey': {
          // With removal, its state checkpointed every 1 to 3 slides (taken from d, so that the
          // programs of a seed stay those drawn before it was added), so that windows over it
          // read older checkpointed batches after a worker's loss or a driver's restart.
          const d = chance(0.5) ? undefined : int(2, 6);
          const extras = { ...stateExtras(), ...updateForm() };
          cur = add(d === undefined ? { op, src: cur, ...extras } : { op, src: cur, d, checkpointEvery: slide * ((d % 3) + 1), ...extras }, true, slide);
          break;
        }
        case 'mapWithState': {
          const d = int(2, 9);
          const snapshots = chance(0.5);
          const timeout = chance(0.5) && { timeout: slide * int(1, 4) };
          // The state's checkpoint interval, where timeouts are looked for: 1 to 3 slides, or Spark's default (10 slides),
          // taken from d so that the programs of a seed stay those drawn before it was added.
          cur = add({ op, src: cur, d, snapshots, ...(timeout && { ...timeout, ...(d % 4 !== 0 && { checkpointEvery: slide * (d % 4) }) }), ...stateExtras() }, true, slide);
          break;
        }
        case 'repartition':
          cur = add({ op, src: cur, n: int(1, 5) }, true, slide);
          break;
        case 'window':
        case 'countByWindow': {
          const ws = windowOf(cur, op === 'countByWindow');
          if (!ws) break;
          cur = op === 'window' ? add({ op, src: cur, ...ws }, true, ws.s) : add({ op, src: cur, ...ws }, false, ws.s);
          break;
        }
        case 'reduceByKeyAndWindow': {
          const mode = (['plain', 'inverse', 'inverseFiltered', 'optionsFiltered'] as const)[int(0, 4)];
          const ws = windowOf(cur, mode !== 'plain');
          if (!ws) break;
          cur = add({ op, src: cur, ...ws, mode, n: chance(0.5) ? undefined : int(1, 5) }, true, ws.s);
          break;
        }
        case 'union':
        case 'cogroup':
          cur = add({ op, src: cur, other: otherOf(true, slide) }, true, slide);
          break;
        case 'join': {
          const other = otherOf(true, slide);
          const kind = ([undefined, 'left', 'right', 'full'] as const)[int(0, 4)];
          cur = add(kind === undefined ? { op, src: cur, other } : { op, src: cur, other, kind }, true, slide);
          break;
        }
      }
    }
    // Now and then the new stream is checkpointed, every 1 to 3 of its slides (Spark's
    // DStream.checkpoint: a multiple of the slide); not an input, a window or a state stream.
    const made = nodes[cur];
    if (cur !== before && made.op !== 'input' && made.op !== 'window' && made.op !== 'updateStateByKey' && made.op !== 'mapWithState' && side() < 0.15) {
      made.checkpoint = kinds[cur].slide * sideInt(1, 4);
    }
    // Now and then a stream on the way is an output too.
    if (chance(0.15) && !outputs.includes(cur)) outputs.push(cur);
  }
  if (!outputs.includes(cur)) outputs.push(cur);
  return { nodes, outputs };
}

/** FNV-1a of a string's UTF-16 code units: a seed from a program's first input. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const bag = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

/**
 * Every program's outputs as the fixture printed them (`<program>.<output>`: [batch time in ms,
 * elements] a batch) against what they must give: the failures, each naming the program and
 * output and showing the program (at most 4 programs' worth).
 */
export function compareStreams(input: StreamPrograms, results: ReadonlyMap<string, [number, unknown[]][]>): string[] {
  const BATCHES = input.batches;
  const failures: string[] = [];
  for (const [p, program] of input.programs.entries()) {
    const expected = evaluateStreams(program.nodes, BATCHES);
    for (const [o, node] of program.outputs.entries()) {
      const where = `program ${p} output ${o} (node ${node}, ${program.nodes[node].op})`;
      const got = results.get(`${p}.${o}`);
      if (!got) {
        failures.push(`${where}: nothing printed\n${'(the job printed nothing for it)'}`);
        continue;
      }
      const e = expected[node];
      try {
        assert.deepEqual(
          got.map(([t]) => t / BATCH_MS),
          [...e.at.keys()],
          'the batch times it ran at (in batches)',
        );
        for (const [t, xs] of got) assert.deepEqual(bag(xs), bag(e.at.get(t / BATCH_MS)!), `the elements at batch ${t / BATCH_MS}`);
      } catch (err) {
        failures.push(`${where}: ${(err as Error).message.split('\n').slice(0, 14).join('\n')}`);
      }
    }
    if (failures.length >= 4) break;
  }
  const programOf = (f: string): string => {
    const p = Number(/program (\d+)/.exec(f)?.[1]);
    return JSON.stringify(input.programs[p].nodes.map((n) => (n.op === 'input' ? { op: 'input', batches: n.batches } : n)));
  };
  return failures.map((f) => `${f}\n  the program: ${programOf(f)}`);
}
