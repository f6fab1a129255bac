// Streaming cases a user meets often, beyond the Spark cases other files port (the state
// operators with an initial RDD and a partitioner together, reduceByKeyAndWindow sliding by more
// than a batch with filterFunc, the StreamingListener events' order) and CheckpointSuite "basic rdd
// checkpoints + dstream graph checkpoint recovery", run on a real local cluster
// (a driver and 2 worker processes; fixture streaming-spark-suites17.ts, one StreamingContext
// after the other in one job). Expected values are computed here from the inputs, by plain
// models of Spark's StateDStream, MapWithStateRDD, ReducedWindowedDStream.mergeValues,
// JobScheduler's events and DStreamCheckpointData, never from Sluice's code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';
import { STATE_BATCHES, STATE_INITIAL, WINDOW_BATCHES } from './fixtures/streaming-spark-suites17.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sss17-'));
let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('streaming-spark-suites17.ts', [tmp, process.env.SLUICE_CASES ?? '']);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Pair = [number, number];
const B = 1000;
const times = (n: number, every = 1): number[] => Array.from({ length: n }, (_, i) => (i + 1) * B).filter((t) => t % (every * B) === 0);

/** Spark's HashPartitioner(n) of an Int key: Integer.hashCode is the value, Utils.nonNegativeMod. */
const partitionOf = (k: number, n: number): number => ((k % n) + n) % n;

/** `state` as HashPartitioner(3) lays it out: each partition's pairs, sorted as the fixture sorts them. */
function laidOut(state: Map<number, number>): Pair[][] {
  const parts: Pair[][] = [[], [], []];
  for (const [k, v] of state) parts[partitionOf(k, 3)].push([k, v]);
  return parts.map((p) => p.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
}

test('updateStateByKey with an initial RDD and HashPartitioner(3): the initial keys join at the first batch (one with no input kept), a key whose sum reaches 0 dropped, each key in the partition its hash gives (negative keys too); mapWithState with the same initial state and partitioner: the same state, mapped values only for keys with input', () => {
  const r = cases.one<{ update: Record<string, Pair[][]>; snapshots: Record<string, Pair[][]>; mapped: Record<string, [number, number | null][]>; parts: number[] }>('state');
  // StateDStream: the first batch cogroups the input with the initial RDD; every later batch
  // the previous state with the batch's values; the function sees (values, state) for every key
  // of either, None dropping it. MapWithStateRDD: the function runs for each input record only,
  // state.remove() drops the key; the snapshot is the whole state.
  const state = new Map<number, number>(STATE_INITIAL);
  const want: Record<string, Pair[][]> = {};
  const mapped: Record<string, [number, number | null][]> = {};
  STATE_BATCHES.forEach((batch, i) => {
    const time = (i + 1) * B;
    const values = new Map<number, number[]>();
    for (const [k, v] of batch) values.set(k, [...(values.get(k) ?? []), v]);
    const out: [number, number | null][] = [];
    for (const [k, vs] of values) {
      const n = vs.reduce((a, b) => a + b, state.get(k) ?? 0);
      if (n === 0) state.delete(k);
      else state.set(k, n);
      out.push([k, n === 0 ? null : n]);
    }
    want[time] = laidOut(state);
    mapped[time] = out.sort((a, b) => a[0] - b[0]);
  });
  assert.deepEqual(r.parts, STATE_BATCHES.map(() => 3));
  assert.deepEqual(r.update, want);
  assert.deepEqual(r.snapshots, want);
  assert.deepEqual(r.mapped, mapped);
  // The key only in the initial RDD (-5) stays in every batch, in partition 1 (-5 mod 3, made non-negative).
  for (const t of times(STATE_BATCHES.length)) assert.ok(r.update[t][1].some(([k, v]) => k === -5 && v === 5), `batch ${t}: ${JSON.stringify(r.update[t])}`);
});

test('reduceByKeyAndWindow over 3 batches sliding by 2, 2 partitions: without the inverse the window\'s sums, filterFunc dropping zeros; with it and no filterFunc every key once seen stays (0 when its values left); with both, a key dropped by filterFunc takes only its entering values, and none entering it stays out (where Spark\'s job fails: README\'s reduceByKeyAndWindow row)', () => {
  const r = cases.one<{ inverse: Record<string, Pair[]>; plain: Record<string, Pair[]>; unfiltered: Record<string, Pair[]>; parts: number[] }>('window');
  const sumsIn = (from: number, to: number): Map<number, number> => {
    const m = new Map<number, number>();
    WINDOW_BATCHES.forEach((b, i) => {
      const t = (i + 1) * B;
      if (t > from && t <= to) for (const [k, v] of b) m.set(k, (m.get(k) ?? 0) + v);
    });
    return m;
  };
  const sorted = (m: Map<number, number>): Pair[] => [...m].sort((a, b) => a[0] - b[0]);
  const outputs = times(WINDOW_BATCHES.length, 2);
  const plain: Record<string, Pair[]> = {};
  for (const t of outputs) plain[t] = sorted(new Map([...sumsIn(t - 3 * B, t)].filter(([, v]) => v !== 0)));
  assert.deepEqual(r.plain, plain);
  // ReducedWindowedDStream.mergeValues, step by step: the previous window's value of a key,
  // less its leaving batches' values reduced together, plus its entering ones reduced together;
  // with no previous value, its entering values (none: no value, Spark's exception).
  const model = (filter: boolean): Record<string, Pair[]> => {
    let prev = new Map<number, number>();
    const got: Record<string, Pair[]> = {};
    for (const t of outputs) {
      const olds = sumsIn(t - 2 * B - 3 * B, t - 3 * B);
      const news = sumsIn(t - 2 * B, t);
      const next = new Map<number, number>();
      for (const k of new Set([...prev.keys(), ...olds.keys(), ...news.keys()])) {
        let v: number;
        if (!prev.has(k)) {
          if (!news.has(k)) continue;
          v = news.get(k)!;
        } else {
          v = prev.get(k)!;
          if (olds.has(k)) v -= olds.get(k)!;
          if (news.has(k)) v += news.get(k)!;
        }
        if (!filter || v !== 0) next.set(k, v);
      }
      got[t] = sorted(next);
      prev = next;
    }
    return got;
  };
  assert.deepEqual(r.unfiltered, model(false));
  assert.deepEqual(r.inverse, model(true));
  // Where they part: at 8000 key 1 (+1 at 4000, -1 at 6000) was dropped at 6000 as 0 while its
  // -1 is still in the window; the inverse form cannot recover it.
  assert.deepEqual(r.plain[8000], [[1, -1], [5, 5]]);
  assert.deepEqual(r.inverse[8000], [[5, 5]]);
  assert.deepEqual(r.parts, outputs.map(() => 2));
});

test('StreamingListener: per batch, in batch order, onBatchSubmitted, onBatchStarted, then each output operation started and completed in registration order, then onBatchCompleted with both; onStreamingStarted first', () => {
  const r = cases.one<{ events: unknown[][]; counts: number[]; sums: number[] }>('listener');
  // JobScheduler: submitJobSet posts BatchSubmitted; the first job's start BatchStarted then its
  // OutputOperationStarted; each job's end OutputOperationCompleted; the last job's BatchCompleted.
  // One job at a time (spark.streaming.concurrentJobs = 1), in output order.
  const want: unknown[][] = [['streamingStarted']];
  for (const t of times(3)) {
    want.push(['batchSubmitted', t], ['batchStarted', t]);
    for (const id of [0, 1]) want.push(['outputOperationStarted', t, id], ['outputOperationCompleted', t, id, null]);
    want.push(['batchCompleted', t, 2]);
  }
  assert.deepEqual(r.events, want);
  assert.deepEqual(r.counts, [2, 2, 2]);
  // Batch i holds i and 10 i; the second operation sums them plus one each.
  assert.deepEqual(r.sums, [1, 2, 3].map((i) => i + 1 + 10 * i + 1));
});

test('CheckpointSuite "basic rdd checkpoints + dstream graph checkpoint recovery": the state checkpointed every 1 s (2 batches of 500 ms) and its files kept while remembered; recovered twice (the second 7 batches late), the state read back before any batch, and the count going on', () => {
  const r = cases.one<{
    seen: [number, [string, number][], string | null][];
    afterTwo: Record<string, boolean>;
    afterFour: Record<string, boolean>;
    restored: [string, number][][];
    afterFive: Record<string, boolean>;
    restoredAgain: [string, number][][];
    atEnd: Record<string, boolean>;
  }>('basic-checkpoints');
  // Spark's input: "a" in each of 10 batches; a running count, so batch i outputs min(i, 10).
  // Batches 1-4, a recovery and batch 5, a recovery with the clock 7 batches on (batches 6-12,
  // generated at once), then 13-16. The state RDD is checkpointed at the batches whose time is
  // a multiple of 1 s: the even ones. Each batch's foreachRDD finds its own state RDD by
  // slice, those of batches 6 to 8 too, while batches up to 12 are already generated.
  const batches = Array.from({ length: 16 }, (_, k) => k + 1);
  assert.deepEqual(r.seen.map(([i, out]) => [i, out]), batches.map((i) => [i, [['a', Math.min(i, 10)]]]));
  assert.deepEqual(r.seen.map(([i, , f]) => [i, f !== null]), batches.map((i) => [i, i % 2 === 0]));
  const file = (i: number): string => r.seen[i - 1][2]!;
  assert.equal(new Set(batches.filter((i) => i % 2 === 0).map(file)).size, 8, 'a file of its own at each checkpoint');
  // Spark: "No checkpointed RDDs in state stream before first failure"; the files exist.
  assert.deepEqual(r.afterTwo, { [file(2)]: true });
  // Spark's DStreamCheckpointData.cleanup deletes a file once every checkpointed RDD the stream
  // still remembers (2 x 1 s, 4 batches) is newer: batch 2's at batch 6, not yet here. (Spark's
  // test asserts it gone after batch 4 with java.io.File on the file: URI getCheckpointFile
  // gives, which never exists.)
  assert.deepEqual(r.afterFour, { [file(2)]: true, [file(4)]: true });
  // Spark: "No restored RDDs in state stream after recovery": the state of batches 2 and 4
  // read back from their files (DStreamCheckpointData.restore), before any batch of the run.
  assert.deepEqual(r.restored, [[['a', 2]], [['a', 4]]]);
  // Spark: "No checkpointed RDDs in state stream before second failure": they exist.
  assert.deepEqual(r.afterFive, { [file(2)]: true, [file(4)]: true });
  // Batch 5 checkpointed nothing: the second recovery reads back the same two.
  assert.deepEqual(r.restoredAgain, [[['a', 2]], [['a', 4]]]);
  // At batch 16 the stream remembers batches 13-16: the files of 14 and 16 are kept (Spark's
  // current checkpoint files), those of 2 to 8 are gone. Spark would keep 2 and 4's for good
  // (after a recovery its cleanup knows only the files the new run wrote); 10 and 12's go once
  // no kept metadata checkpoint lists them (README, state checkpoints), as batches complete.
  for (const i of [14, 16]) assert.equal(r.atEnd[file(i)], true, `batch ${i}'s checkpoint`);
  for (const i of [2, 4, 6, 8]) assert.equal(r.atEnd[file(i)], false, `batch ${i}'s checkpoint`);
});
