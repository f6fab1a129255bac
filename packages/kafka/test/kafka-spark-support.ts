// What the Spark-suite test files share (kafka-spark-suites, kafka-spark-suites-more): sending
// Spark's test messages, reading the broker's own log as the expected values, and running
// fixtures/spark-suite-job.ts's 'stream' mode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Producer } from '@platformatic/kafka';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { jobArgs, type Env } from './stream-test-support.js';

/** Sends `values` (as strings, keyed by themselves) to partition `partition` of `topic`, in order, one request. */
export async function send(env: Env, topic: string, values: readonly string[], partition = 0): Promise<void> {
  await sendPairs(env, topic, [values.map((v) => [v, v] as const)], partition);
}

/** Sends each group of [key, value] pairs to partition `partition` of `topic` in one request (one record batch), in order. */
export async function sendPairs(env: Env, topic: string, groups: readonly (readonly (readonly [string, string])[])[], partition = 0): Promise<void> {
  const p = new Producer({ clientId: 'test', bootstrapBrokers: env.kafka.bootstrap });
  try {
    for (const g of groups) await p.send({ messages: g.map(([k, v]) => ({ topic, partition, key: Buffer.from(k), value: Buffer.from(v) })) });
  } finally {
    await p.close();
  }
}

/** Spark's sendMessages(topic, Map(k -> n)): each key n times. */
export const repeated = (m: Record<string, number>): string[] => Object.entries(m).flatMap(([k, n]) => Array.from({ length: n }, () => k));

/** The broker's records of a partition in [from, until), as [topic, partition, offset, value]. */
export function logOf(env: Env, topic: string, partition: number, from = 0, until = Number.MAX_SAFE_INTEGER): [string, number, number, string | null][] {
  return env.kafka
    .records(topic, partition)
    .filter((r) => r.offset >= BigInt(from) && r.offset < BigInt(until))
    .map((r) => [topic, partition, Number(r.offset), r.value === null ? null : r.value.toString('utf8')]);
}

export const byPosition = (a: [string, number, number, unknown], b: [string, number, number, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]);

export interface Range {
  topic: string;
  partition: number;
  fromOffset: number;
  untilOffset: number;
}

export interface StreamRun {
  received: [string, number, number, string | null][];
  /** Each batch's ranges, from its own RDD (the SIZES lines' ranges are those the transform saw last, as in Spark's test). */
  batches: { time: number; ranges: Range[] }[];
  sizes: { time: number; ranges: Range[]; sizes: [number, number][] }[];
  listener: { submitted: number; started: number; completed: number };
  /** Each completed batch's input descriptions by stream id (the listener's StreamInputInfo metadata Description). */
  inputInfo: { time: number; descriptions: Record<string, string | null> }[];
}

/** The output of a finished 'stream' run, checked to have ended well. */
export function streamRunOf(end: { ok: boolean; failure?: string | undefined; lines: string[] }): StreamRun {
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  const received = jsonLines<{ time: number; ranges: Range[]; records: [string, number, number, string | null][] }>(end.lines, 'RECEIVED ');
  return {
    received: received.flatMap((b) => b.records),
    batches: received.map(({ time, ranges }) => ({ time, ranges })),
    sizes: jsonLines(end.lines, 'SIZES '),
    listener: jsonLines<StreamRun['listener']>(end.lines, 'LISTENER ')[0]!,
    inputInfo: jsonLines<StreamRun['inputInfo'][number]>(end.lines, 'INPUT-INFO '),
  };
}

/** Runs the fixture's 'stream' mode to its end. */
export async function runStream(env: Env, o: Record<string, unknown>): Promise<StreamRun> {
  return streamRunOf(await (await startJob(env.cluster, fixture('spark-suite-job.ts'), jobArgs(env.kafka, { mode: 'stream', extraBatches: 2, ...o }))).finished(60_000));
}

/** A batch of the fixture's 'recovery' mode: the state after it and the stream's ranges of it. */
export interface RecoveryState {
  time: number;
  total: number | null;
  ranges: Range[] | null;
}

/**
 * Spark's "offset recovery" on `topic` (made here, 1 partition): the fixture's 'recovery' mode
 * (updateStateByKey over the stream, a checkpoint) fed 1..10 in groups of 4 until the state
 * is 55; started again from the checkpoint, its recovered batches must have the ranges first
 * generated, then fed 11..20 until 210. `extra` goes into the fixture's arguments (e.g. a rate).
 * Returns both runs' STATE lines for the caller's own checks.
 */
export async function runOffsetRecovery(env: Env, topic: string, extra: Record<string, unknown> = {}): Promise<{ before: RecoveryState[]; after: RecoveryState[] }> {
  env.kafka.createTopic(topic, 1);
  const ckpt = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-kafka-${topic}-`));
  try {
    const args = (stopAt: number, recoveredTimes: number[] = []) => jobArgs(env.kafka, { mode: 'recovery', topics: [topic], groupId: `g-${topic}`, ckpt, stopAt, recoveredTimes, ...extra });
    const feed = async (groups: number[][]) => {
      for (const g of groups) await send(env, topic, g.map(String));
    };
    const first = await startJob(env.cluster, fixture('spark-suite-job.ts'), args(55));
    await first.waitLine('RECOVERED ', 60_000);
    await feed([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    const end1 = await first.finished(60_000);
    assert.ok(end1.ok, `job failed: ${end1.failure}\n${end1.lines.join('\n')}`);
    const before = jsonLines<RecoveryState>(end1.lines, 'STATE ');
    assert.equal(before.at(-1)!.total, 55, 'sum of 1..10');
    const second = await startJob(env.cluster, fixture('spark-suite-job.ts'), args(210, before.map((s) => s.time)));
    const recovered = JSON.parse((await second.waitLine('RECOVERED ', 60_000)).slice('RECOVERED '.length)) as [number, Range[]][];
    assert.ok(recovered.length > 0, 'No offset ranges recovered');
    const earlier = new Map(before.map((s) => [s.time, s.ranges]));
    for (const [t, ranges] of recovered) assert.deepEqual(ranges, earlier.get(t), `batch ${t}: recovered ranges are not the same as the ones generated`);
    await feed([[11, 12, 13, 14], [15, 16, 17, 18], [19, 20]]);
    const end2 = await second.finished(60_000);
    assert.ok(end2.ok, `job failed: ${end2.failure}\n${end2.lines.join('\n')}`);
    const after = jsonLines<RecoveryState>(end2.lines, 'STATE ');
    assert.equal(after.at(-1)!.total, 210, 'sum of 1..20: each record received once');
    return { before, after };
  } finally {
    fs.rmSync(ckpt, { recursive: true, force: true });
  }
}
