// Spark Streaming's argument checks and its windowed and stateful operators at their edges, run
// on a real local cluster (a driver and 2 worker processes; fixture streaming-spark-suites6.ts).
// What each case expects is Spark's, from streaming/src/main/scala/org/apache/spark/streaming/
// dstream/{UnionDStream,TransformedDStream,ReducedWindowedDStream,PairDStreamFunctions}.scala,
// StateSpec.scala and WindowOperationsSuite / BasicOperationsSuite, computed here from the
// batches fed (a window's counts, a state's running counts), not from Sluice's code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const BATCH = 1000;
/** One array of words a batch (times 1000, 2000, ...); the fixture runs two empty batches more. */
const BATCHES = [['a', 'a', 'b'], ['a'], [], ['c', 'b', 'c'], [], ['c'], ['b', 'b', 'b', 'a']];
const N = BATCHES.length + 2;
const TIMES = Array.from({ length: N }, (_, i) => (i + 1) * BATCH);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss6-'));
let cases: SparkCaseRun;
before(async () => {
  cases = await runSparkCases('streaming-spark-suites6.ts', [tmp, JSON.stringify(BATCHES)]);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Seen = [number, number, string[]][];
const batchAt = (t: number): string[] => BATCHES[t / BATCH - 1] ?? [];

/** Word counts of the batches at times in (from, to]. */
function countsIn(from: number, to: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let t = from + BATCH; t <= to; t += BATCH) if (t > 0) for (const w of batchAt(t)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}
/** Every word of the batches up to `t`. */
const seenBy = (t: number): Set<string> => new Set([...countsIn(0, t).keys()]);
const pairs = (entries: Iterable<[string, number]>): string[] => [...entries].map((e) => JSON.stringify(e)).sort();
const slideTimes = (slide: number): number[] => TIMES.filter((t) => t % slide === 0);

/** A window's [time, records] without partition counts. */
const records = (s: Seen): [number, string[]][] => s.map(([t, , xs]) => [t, xs]);

test('streams of different slides: union, transformWith, join and cogroup refuse them naming the operator and both streams (UnionDStream / TransformedDStream)', () => {
  const r = cases.one<Record<string, Record<string, unknown>> & { ids: { a: number; w: number } }>('slides');
  for (const [key, op] of [
    ['union', 'dstream.union'],
    ['sscUnion', 'ssc.union'],
    ['transformWith', 'dstream.transformWith'],
    ['join', 'dstream.join'],
    ['cogroup', 'dstream.cogroup'],
    ['leftOuterJoin', 'dstream.leftOuterJoin'],
  ] as const) {
    const o = r[key];
    assert.equal(o.ok, false, key);
    assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', key);
    const m = String(o.message);
    assert.ok(m.startsWith(`${op}: `), `${key}: ${m}`);
    assert.match(m, /different slide durations/, key);
    assert.ok(m.includes(`every ${BATCH} ms`) && m.includes(`every ${2 * BATCH} ms`), `${key}: ${m}`);
  }
  // The two stream ids: the input's and its window's (the pair streams map them, same slides).
  assert.ok(String(r.union.message).includes(`stream ${r.ids.a} `) && String(r.union.message).includes(`stream ${r.ids.w} `), String(r.union.message));
  assert.deepEqual(r.sameSlide, { ok: true });
});

test('dstream.repartition refuses a partition count that is not a positive integer where it is called, not at the first batch', () => {
  const r = cases.one<{ repartition: Record<string, Record<string, unknown>> }>('slides').repartition;
  assert.deepEqual(Object.keys(r), ['0', '-1', '1.5']);
  for (const [n, o] of Object.entries(r)) {
    assert.equal(o.ok, false, n);
    assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', n);
    assert.ok(String(o.message).startsWith(`dstream.repartition: numPartitions must be a positive integer, got ${n} `), String(o.message));
  }
});

test("reduceByKeyAndWindow's filterFunc keeps only the pairs it accepts, with the inverse and without it (ReducedWindowedDStream's filter)", () => {
  const out = cases.one<Record<string, Seen>>('windows');
  const want = slideTimes(BATCH).map((t): [number, string[]] => [t, pairs([...countsIn(t - 2 * BATCH, t)].filter(([, c]) => c > 1))]);
  assert.ok(want.some(([, xs]) => xs.length > 0) && want.some(([t]) => [...countsIn(t - 2 * BATCH, t).values()].some((c) => c === 1)), 'the filter keeps some pairs and drops others');
  assert.deepEqual(records(out.filterOnly), want);
  assert.deepEqual(records(out.filterInv), want);
});

test('reduceByKeyAndWindow with an inverse keeps emptied keys at 0 (window 2 s slide 1 s, and window 3 s slide 2 s); without one, only keys in the window', () => {
  const out = cases.one<Record<string, Seen>>('windows');
  for (const [w, s, inv, plain] of [
    [2, 1, out.inv, out.plain],
    [3, 2, out.inv32, out.plain32],
  ] as const) {
    const win = (t: number): Map<string, number> => countsIn(t - w * BATCH, t);
    assert.deepEqual(records(inv), slideTimes(s * BATCH).map((t): [number, string[]] => [t, pairs([...seenBy(t)].map((k): [string, number] => [k, win(t).get(k) ?? 0]))]), `inverse ${w}/${s}`);
    assert.deepEqual(records(plain), slideTimes(s * BATCH).map((t): [number, string[]] => [t, pairs(win(t))]), `plain ${w}/${s}`);
  }
  assert.ok(records(out.inv).some(([, xs]) => xs.some((x) => x.endsWith(',0]'))), 'some key is kept at 0');
});

test('countByValueAndWindow drops zero-count keys; countByWindow counts 0 once a record was seen; repartition(3) gives 3 partitions a batch', () => {
  const out = cases.one<Record<string, Seen>>('windows');
  assert.deepEqual(records(out.countByValue), TIMES.map((t): [number, string[]] => [t, pairs(countsIn(t - 2 * BATCH, t))]));
  const total = (t: number): number => [...countsIn(t - 2 * BATCH, t).values()].reduce((a, b) => a + b, 0);
  assert.deepEqual(records(out.countByWindow), TIMES.map((t): [number, string[]] => [t, seenBy(t).size > 0 ? [String(total(t))] : []]));
  assert.ok(TIMES.some((t) => seenBy(t).size > 0 && total(t) === 0), 'some window empties after records');
  assert.deepEqual(out.repartition, TIMES.map((t): [number, number, string[]] => [t, 3, batchAt(t).map((w) => JSON.stringify(w)).sort()]));
});

test("updateStateByKey with an initialRDD and numPartitions or a partitioner; mapWithState's StateSpec.initialState and numPartitions, the later of numPartitions/partitioner winning", () => {
  const { out, initial } = cases.one<{ out: Record<string, Seen>; initial: [string, number][] }>('state');
  const init = new Map(initial);
  const running = (t: number, withInitial: boolean): [string, number][] => {
    const m = new Map(withInitial ? init : []);
    for (const [k, c] of countsIn(0, t)) m.set(k, (m.get(k) ?? 0) + c);
    return [...m];
  };
  const expect = (parts: number, withInitial: boolean): Seen => TIMES.map((t): [number, number, string[]] => [t, parts, pairs(running(t, withInitial))]);
  assert.deepEqual(out.updateInitial4, expect(4, true));
  assert.deepEqual(out.updatePartitioner5, expect(5, false));
  assert.deepEqual(out.snapshots, expect(4, true));
  assert.deepEqual(out.partitionerLast, expect(3, false));
  assert.deepEqual(out.numPartitionsLast, expect(6, false));
  // The mapped records: each record's key with its count so far, from the initial state on.
  const mapped = TIMES.map((t): [number, number, string[]] => {
    const before = new Map(running(t - BATCH, true));
    return [t, 4, batchAt(t).map((k) => { before.set(k, (before.get(k) ?? 0) + 1); return JSON.stringify(`${k}=${before.get(k)}`); }).sort()];
  });
  assert.deepEqual(out.mapped, mapped);
});
