// A DAGScheduler on a fake cluster, for its tests (dag-scheduler-worker-lost, -fetch-failed):
// the real WorkerRegistry and TaskScheduler, endpoints that hold each launch until the test
// answers it (scheduler-fakes' FakeWorker), a one-shuffle lineage and the outcomes its tasks
// answer with.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { encodeSmall, type LineageGraph } from '@sluice/core/internal';
import type { LaunchResult } from '../../src/rpc/worker-endpoint.js';
import { DAGScheduler } from '../../src/scheduler/dag-scheduler.js';
import { TaskScheduler } from '../../src/scheduler/task-scheduler.js';
import type { TaskSetOptions } from '../../src/scheduler/task-set-manager.js';
import { fakeRegistry, settle, type Launch } from './scheduler-fakes.js';
import { taskSetOptions } from './task-set-test-options.js';

export const SHUFFLE = 0;

/** range(0, maps) -> a hash shuffle into `reduces` partitions, collected: node 0 the map side, node 1 the reduce side. */
export function graph(maps: number, reduces: number): LineageGraph {
  return {
    root: 1,
    nodes: {
      0: { id: 0, numPartitions: maps, op: { kind: 'range', start: 0, end: maps, step: 1 }, parents: [], shuffleParents: [], storage: 'NONE' },
      1: { id: 1, numPartitions: reduces, op: { kind: 'shuffled', shuffle: { shuffleId: SHUFFLE, partitioner: { kind: 'hash', numPartitions: reduces }, mapSideCombine: false } }, parents: [], shuffleParents: [0], storage: 'NONE' },
    },
  };
}

const base = { stored_blocks: [] as string[], stored_block_bytes: [] as number[], accumulators: Buffer.alloc(0), shuffle_read_bytes: 0, metrics: null };
/** A map task's success (no map status: the driver counts data in every segment). */
export const mapDone = (): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'map_status' } });
/** A reduce task's fetch failure: map output `mapPartition` of shuffle SHUFFLE could not be read from `workerId`. */
export const fetchFailed = (workerId: string, mapPartition: number): LaunchResult => ({
  ok: true,
  outcome: { ...base, outcome: 'fetch_failed', fetch_failed: { shuffle_id: SHUFFLE, map_partition: mapPartition, worker_id: workerId, message: `cannot fetch shuffle_job1_${SHUFFLE}_${mapPartition} from ${workerId}` } },
});
/** A reduce task's result: the partition's value. */
export const resultOf = (value: string): LaunchResult => ({ ok: true, outcome: { ...base, outcome: 'result', result: Buffer.from(encodeSmall({ value, accumulators: {} })) } });

/** The stage attempt a launch belongs to (its stage key: job/stage.attempt#set). */
const stageAttemptOf = (l: Launch): number => Number(/\.(\d+)#/.exec(l.desc.stage.key)?.[1] ?? -1);

export function cluster(workers: Record<string, number>, options: Partial<TaskSetOptions> = {}) {
  const { clock, fakes, registry, add } = fakeRegistry();
  const log = pino({ level: 'silent' });
  const scheduler = new TaskScheduler(registry, log);
  const dag = new DAGScheduler(registry, scheduler, taskSetOptions(options), clock, log);
  add(workers);
  dag.startJob('job1', 'sha');
  const kills: string[] = [];
  for (const [id, f] of fakes) {
    (f as { killTask: (taskId: string) => void }).killTask = (taskId) => void kills.push(`${id}:${taskId}`);
  }
  /** The launches waiting on each worker now, as stage id / partition. */
  const waiting = (): Record<string, string[]> => Object.fromEntries([...fakes].map(([id, f]) => [id, f.waiting.map((l) => `${l.desc.stage.stageId}/${l.desc.partition}`)]));
  /** The launches waiting on each worker now, as stage id . stage attempt / partition. */
  const attempts = (): Record<string, string[]> => Object.fromEntries([...fakes].map(([id, f]) => [id, f.waiting.map((l) => `${l.desc.stage.stageId}.${stageAttemptOf(l)}/${l.desc.partition}`)]));
  /** Answer the launch waiting on `workerId` for stage `stageId`'s `partition` (of attempt `stageAttempt` when given). */
  const answer = async (workerId: string, stageId: number, partition: number, r: LaunchResult, stageAttempt?: number): Promise<void> => {
    const f = fakes.get(workerId)!;
    const i = f.waiting.findIndex((l: Launch) => l.desc.stage.stageId === stageId && l.desc.partition === partition && (stageAttempt === undefined || stageAttemptOf(l) === stageAttempt));
    assert.ok(i >= 0, `a launch of ${stageId}/${partition} waits on ${workerId}: ${JSON.stringify(waiting())}`);
    f.waiting.splice(i, 1)[0].resolve(r);
    await settle();
  };
  /** Declare `workerId` lost; its launches still waiting end as its task stream's would, lost. */
  const lose = async (workerId: string): Promise<void> => {
    registry.markLost(workerId, 'test');
    for (const l of fakes.get(workerId)!.waiting.splice(0)) l.resolve({ ok: false, workerLost: true, message: 'the worker endpoint is closed' });
    await settle();
  };
  return { dag, registry, fakes, add, waiting, attempts, answer, kills, lose };
}
