// What fixtures/stream-stateful.ts prints (updateStateByKey, mapWithState with a timeout and
// state.remove, reduceByKeyAndWindow with an inverse; checkpointed), computed here from its
// input rules, and the checks of a run's outputs and state checkpoints against it: shared by
// the fault tests that run that fixture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { jsonLine, jsonLines, type JobRun } from './harness.js';

/**
 * What fixtures/stream-stateful.ts prints for each batch, computed from its input rules:
 * updateStateByKey's state, the batch's sums by key, mapWithState's mapped values and state
 * snapshots (one call a key a batch with the batch's sum; removed on a multiple of 40;
 * timed out when idle longer than 2 batches, as Spark's MapWithStateRDD only at a batch whose
 * state is checkpointed: every `checkpointEvery` batches from the first, 2 as the fixture
 * checkpoints it, 10 with its 'default'), and the sums of the last 3 batches by key
 * without zeros (reduceByKeyAndWindow with an inverse and a filterFunc).
 */
export function expectedStatefulOutputs(batches: number, withInput = 8, checkpointEvery = 2): { state: unknown[]; input: unknown[]; mapped: unknown[]; snapshot: unknown[]; window: unknown[] } {
  const byKey = <T>(m: Map<string, T>): [string, T][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const state = new Map<string, { n: number; sum: number }>();
  const mws = new Map<string, { n: number; sum: number; at: number }>();
  const states: unknown[] = [];
  const inputs: unknown[] = [];
  const mappeds: unknown[] = [];
  const snapshots: unknown[] = [];
  const windows: unknown[] = [];
  const sumsOf: Map<string, number>[] = [];
  for (let i = 0; i < batches; i++) {
    const values = new Map<string, number[]>();
    if (i < withInput) {
      for (let j = 0; j < 300; j++) {
        const k = `k${(i * 7 + j) % 23}`;
        values.set(k, [...(values.get(k) ?? []), (i * 31 + j) % 17]);
      }
    }
    for (const [k, vs] of values) {
      const prev = state.get(k) ?? { n: 0, sum: 0 };
      const next = { n: prev.n + vs.length, sum: prev.sum + vs.reduce((a, b) => a + b, 0) };
      if (next.sum % 50 === 0) state.delete(k);
      else state.set(k, next);
    }
    // Keys without values this batch keep their state as it was.
    states.push({ i, state: byKey(state) });
    const sums = new Map([...values].map(([k, vs]) => [k, vs.reduce((a, b) => a + b, 0)]));
    sumsOf.push(sums);
    inputs.push({ i, sums: byKey(sums) });
    const mapped: string[] = [];
    for (const [k, v] of sums) {
      const prev = mws.get(k);
      const acc = { n: (prev?.n ?? 0) + 1, sum: (prev?.sum ?? 0) + v };
      if (acc.sum % 40 === 0) {
        mws.delete(k);
        mapped.push(`R:${k}`);
      } else {
        mws.set(k, { ...acc, at: i });
        mapped.push(`${k}:${acc.sum}`);
      }
    }
    for (const [k, e] of [...mws]) {
      if (!sums.has(k) && i - e.at > 2 && (i + 1) % checkpointEvery === 0) {
        mapped.push(`T:${k}:${e.sum}`);
        mws.delete(k);
      }
    }
    mappeds.push({ i, mapped: mapped.sort() });
    snapshots.push({ i, state: byKey(new Map([...mws].map(([k, e]) => [k, { n: e.n, sum: e.sum }]))) });
    const win = new Map<string, number>();
    for (const m of sumsOf.slice(Math.max(0, i - 2))) for (const [k, v] of m) win.set(k, (win.get(k) ?? 0) + v);
    windows.push({ i, sums: byKey(new Map([...win].filter(([, v]) => v !== 0))) });
  }
  return { state: states, input: inputs, mapped: mappeds, snapshot: snapshots, window: windows };
}

/**
 * Each stateful stream of fixtures/stream-stateful.ts was checkpointed at its own interval:
 * updateStateByKey's and the window's; mapped.checkpoint() checkpointed mapWithState's state
 * (a stream of its own), not the mapped records (as Spark's MapWithStateDStream.checkpoint).
 */
export function assertStateCheckpoints(run: JobRun, ckpt: string): void {
  const ids = jsonLine<{ state: number; mapped: number; window: number }>(run.lines, 'IDS ');
  const dir = path.join(ckpt, 'state');
  const streams = new Set(fs.existsSync(dir) ? fs.readdirSync(dir).flatMap((f) => /^stream-(\d+)-\d+$/.exec(f)?.[1] ?? []).map(Number) : []);
  assert.ok(streams.has(ids.state) && streams.has(ids.window), `updateStateByKey's and the window's state checkpointed: ${JSON.stringify([...streams])}, ids ${JSON.stringify(ids)}`);
  assert.ok(!streams.has(ids.mapped), `mapWithState's mapped records are not what is checkpointed: ${JSON.stringify([...streams])}, ids ${JSON.stringify(ids)}`);
  assert.equal(streams.size, 3, `mapWithState's state checkpointed as a third stream: ${JSON.stringify([...streams])}, ids ${JSON.stringify(ids)}`);
}

/** Every output of fixtures/stream-stateful.ts equals the computation above, batch by batch. */
export function assertStatefulOutputs(run: JobRun, want: ReturnType<typeof expectedStatefulOutputs>, what: string): void {
  const outputs = <T extends { i: number }>(prefix: string, norm: (x: T) => T = (x) => x): unknown[] => jsonLines<T>(run.lines, prefix).map(norm).sort((a, b) => a.i - b.i);
  const sortedPairs = (xs: [string, unknown][]): [string, unknown][] => [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  assert.deepEqual(outputs('STATE '), want.state, `${what}, the state (updateStateByKey) after every batch equals the one computed from the input`);
  assert.deepEqual(outputs('INPUT '), want.input, `${what}, every batch input equals the input`);
  assert.deepEqual(outputs<{ i: number; mapped: string[] }>('MAPPED ', (x) => ({ ...x, mapped: [...x.mapped].sort() })), want.mapped, `${what}, what mapWithState's function returned in every batch equals the computation`);
  assert.deepEqual(outputs<{ i: number; state: [string, unknown][] }>('SNAPSHOT ', (x) => ({ ...x, state: sortedPairs(x.state) })), want.snapshot, `${what}, mapWithState's state snapshots equal the computation`);
  assert.deepEqual(outputs<{ i: number; sums: [string, unknown][] }>('WINDOW ', (x) => ({ ...x, sums: sortedPairs(x.sums) })), want.window, `${what}, every window (reduceByKeyAndWindow with an inverse) equals the computation`);
}
