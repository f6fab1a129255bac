// The DAGScheduler's reduce-side locality on a fake cluster (dag-cluster.ts): a shuffle's reduce
// task prefers the workers holding a fifth or more of its input, as Spark's ShuffledRDD with
// spark.shuffle.reduceLocality.enabled (default true); off, reduce tasks prefer none.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeMapStatus } from '@sluice/core/internal';
import type { LaunchResult } from '../../src/rpc/worker-endpoint.js';
import { cluster, graph, resultOf } from './dag-cluster.js';
import { settle } from './scheduler-fakes.js';

const base = { stored_blocks: [] as string[], stored_block_bytes: [] as number[], accumulators: Buffer.alloc(0), shuffle_read_bytes: 0, metrics: null };
/** A map task's success whose output has `sizes` bytes for each reduce partition. */
const mapWith = (sizes: number[]): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'map_status', map_status: { status: Buffer.from(encodeMapStatus(sizes)) } } });

/** range(0, 3) -> 3 reduce partitions on three one-core workers, the map outputs' sizes by the worker each ran on (`held`). */
async function run3(held: Record<string, number[]>, options: { reduceLocality?: boolean; localityWaitMs?: number } = {}) {
  const c = cluster({ wA: 1, wB: 1, wC: 1 }, options);
  const starts: string[] = [];
  c.dag.addListener({ onTaskStart: (e) => void starts.push(`${e.stageId}/${e.partition}@${e.workerId}:${e.taskLocality}`) });
  const run = c.dag.runJob('job1', graph(3, 3), { kind: 'collect' }, [0, 1, 2]);
  await settle();
  for (const [w, l] of Object.entries(c.waiting())) await c.answer(w, 0, Number(l[0].split('/')[1]), mapWith(held[w]));
  return { c, run, starts };
}

/** Answer every reduce launch (stage 1) with 'r<partition>' until the action ends. */
async function finish(c: ReturnType<typeof cluster>, run: Promise<{ values: unknown[] }>): Promise<unknown[]> {
  for (;;) {
    const next = Object.entries(c.waiting()).find(([, l]) => l.length > 0);
    if (next === undefined) break;
    const p = Number(next[1][0].split('/')[1]);
    await c.answer(next[0], 1, p, resultOf(`r${p}`));
  }
  return (await run).values;
}

// wA's map output holds reduce partition 2's bytes, wB's 1's, wC's 0's.
const SKEWED = { wA: [0, 0, 1000], wB: [0, 1000, 0], wC: [1000, 0, 0] };
// wA's holds every reduce partition's bytes; wB's and wC's are empty.
const ALL_ON_A = { wA: [1000, 1000, 1000], wB: [0, 0, 0], wC: [0, 0, 0] };

describe("DAGScheduler: reduce-side locality (Spark's spark.shuffle.reduceLocality.enabled)", () => {
  test('on by default: each reduce task runs on the worker holding its input (PROCESS_LOCAL), whatever order the workers are offered in', async () => {
    const { c, run, starts } = await run3(SKEWED);
    assert.deepEqual(c.waiting(), { wA: ['1/2'], wB: ['1/1'], wC: ['1/0'] });
    assert.deepEqual(await finish(c, run), ['r0', 'r1', 'r2']);
    assert.deepEqual(starts.filter((s) => s.startsWith('1/')).sort(), ['1/0@wC:PROCESS_LOCAL', '1/1@wB:PROCESS_LOCAL', '1/2@wA:PROCESS_LOCAL']);
  });

  test('a reduce task whose input is all on a busy worker waits for it (the locality wait), where the other workers are free', async () => {
    const { c, run, starts } = await run3(ALL_ON_A, { localityWaitMs: 60_000 });
    assert.deepEqual(Object.values(c.waiting()).map((l) => l.length), [1, 0, 0], JSON.stringify(c.waiting()));
    assert.deepEqual(await finish(c, run), ['r0', 'r1', 'r2']);
    assert.deepEqual(starts.filter((s) => s.startsWith('1/')).map((s) => s.slice(s.indexOf('@'))), ['@wA:PROCESS_LOCAL', '@wA:PROCESS_LOCAL', '@wA:PROCESS_LOCAL']);
  });

  test('off (reduceLocality false, spark.shuffle.reduceLocality.enabled=false): the same reduce tasks prefer no worker and run on the three at once', async () => {
    const { c, run } = await run3(ALL_ON_A, { localityWaitMs: 60_000, reduceLocality: false });
    assert.deepEqual(Object.values(c.waiting()).map((l) => l.length), [1, 1, 1], JSON.stringify(c.waiting()));
    assert.deepEqual(await finish(c, run), ['r0', 'r1', 'r2']);
  });
});
