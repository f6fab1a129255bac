import { codecExtension, compress } from '../io/compression-codec.js';
import { newSketch, offer } from '../rdd/hyper-log-log.js';
import path from 'node:path';
import { openCheckpointStore } from '../checkpoint/checkpoint-store-registry.js';
import { encodeCheckpointPart } from '../checkpoint/checkpoint-part.js';
import { copier } from '../codec/codec.js';
import { encodeObjectFile } from '../codec/object-file.js';
import { SluiceError } from '../errors.js';
import { ChunkQueue } from '../io/chunk-queue.js';
import type { FileSystem } from '../io/file-system.js';
import { fileSystemFor } from '../io/file-system-registry.js';
import { keyId, orderComparator, type KeyId } from '../rdd/key.js';
import { partitionFunction } from '../rdd/partitioner.js';
import type { ShuffleSpec } from '../rdd/plan.js';
import { combineTable, makeAggregator } from '../shuffle/aggregator.js';
import type { CombineEntries } from '../shuffle/combine-table.js';
import { MapOutputWriter, type MapOutputFile } from '../shuffle/map-output-file.js';
import { encodeRun } from '../shuffle/shuffle-frame.js';
import { PartitionComputer, STOP } from './partition-computer.js';
import { TaskContext } from './task-context.js';
import { openLocalPart, writeLocalPart } from './local-part-file.js';
import { recordsNotEncodable } from './records-not-encodable.js';
import type { TaskEnv } from './task-env.js';
import type { ActionSpec, TaskPayload } from './task-spec.js';
import type { TaskPart } from './task-part.js';

/** Records buffered by a map task before its buckets are written out as segments. */
export const DEFAULT_SPILL_RECORDS = 1_000_000;

/**
 * A map task's outcome carries its consolidated output (index and data), the size of each
 * reduce partition's segment and how many records it wrote (after any map-side combine).
 */
export type TaskRunOutcome = { readonly kind: 'result'; readonly value: unknown } | { readonly kind: 'mapStatus'; readonly sizes: ArrayLike<number>; readonly output: MapOutputFile; readonly records: number };

/**
 * Runs one task on a worker: computes its partition through the stage plan, then either
 * applies the action (result task) or partitions the records for the shuffle (map task).
 */
export async function runTask(payload: TaskPayload, partition: number, env: TaskEnv, options: { spillRecords?: number; part?: TaskPart; shuffleCompress?: boolean; shuffleChecksum?: boolean } = {}): Promise<TaskRunOutcome> {
  const computer = newComputer(payload, env, options.part);
  if (payload.kind === 'shuffleMap') {
    const [output, records] = await TaskContext.runFor(partition, env.taskId, () => writeShuffle(computer, payload, partition, env, options.spillRecords ?? DEFAULT_SPILL_RECORDS, options.shuffleCompress ?? false, options.shuffleChecksum ?? true));
    return { kind: 'mapStatus', sizes: output.sizes, output, records };
  }
  const action = payload.action;
  if (!action) throw new SluiceError('SLUICE_INTERNAL', 'result task without an action');
  return { kind: 'result', value: await TaskContext.runFor(partition, env.taskId, () => runAction(computer, payload, partition, action, env)) };
}

/**
 * The computer of a task: over `payload` (a stage's shared one, or one whole from withTaskPart)
 * and the task's `part` (its slices and cached blocks' places), when it is given apart.
 */
function newComputer(payload: TaskPayload, env: TaskEnv, part: TaskPart | undefined): PartitionComputer {
  return new PartitionComputer(payload.plan, env, payload.mapOutputs, part?.cachedLocations ?? payload.cachedLocations, payload.emptySegments, part?.slices);
}

/**
 * A result task over `count` contiguous partitions from `first` on (TaskPart.partitions):
 * each partition computed on its own, in order, as a task of its own would compute it;
 * their values in that order. Only result tasks cover ranges.
 */
export async function runResultRange(payload: TaskPayload, first: number, count: number, env: TaskEnv, part?: TaskPart): Promise<unknown[]> {
  if (payload.kind !== 'result' || !payload.action) throw new SluiceError('SLUICE_INTERNAL', 'a task over a range of partitions must be a result task');
  const values = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const computer = newComputer(payload, env, part);
    const action = payload.action;
    values[i] = await TaskContext.runFor(first + i, env.taskId, () => runAction(computer, payload, first + i, action, env));
  }
  return values;
}

async function runAction(computer: PartitionComputer, payload: TaskPayload, split: number, action: ActionSpec, env: TaskEnv): Promise<unknown> {
  const root = payload.plan.root;
  switch (action.kind) {
    case 'collect':
      return computer.collect(root, split);
    case 'count':
      return computer.count(root, split);
    case 'take': {
      const out: unknown[] = [];
      if (action.n <= 0) return out;
      try {
        await computer.compute(root, split, (x) => {
          out.push(x);
          if (out.length >= action.n) throw STOP;
        });
      } catch (e) {
        if (e !== STOP) throw e;
      }
      return out;
    }
    case 'reduce': {
      const f = env.revive(action.fn) as (a: unknown, b: unknown) => unknown;
      let empty = true;
      let acc: unknown;
      await computer.compute(root, split, (x) => {
        if (empty) {
          acc = x;
          empty = false;
        } else acc = f(acc, x);
      });
      return { empty, value: acc };
    }
    case 'fold': {
      const f = env.revive(action.fn) as (a: unknown, b: unknown) => unknown;
      let acc = copier(action.zero)();
      await computer.compute(root, split, (x) => void (acc = f(acc, x)));
      return acc;
    }
    case 'aggregate': {
      const f = env.revive(action.seqOp) as (a: unknown, b: unknown) => unknown;
      let acc = copier(action.zero)();
      await computer.compute(root, split, (x) => void (acc = f(acc, x)));
      return acc;
    }
    case 'foreach': {
      const f = env.revive(action.fn) as (x: unknown) => unknown;
      const pending: Promise<unknown>[] = [];
      await computer.compute(root, split, (x) => {
        const r = f(x);
        if (r instanceof Promise) pending.push(r);
      });
      await Promise.all(pending);
      return null;
    }
    case 'foreachPartition': {
      const f = env.revive(action.fn) as (it: Iterator<unknown>) => unknown;
      const all = await computer.collect(root, split);
      await f(all[Symbol.iterator]());
      return null;
    }
    case 'runJob': {
      const f = env.revive(action.fn) as (it: IterableIterator<unknown>) => unknown;
      const all = await computer.collect(root, split);
      return await f(all[Symbol.iterator]());
    }
    case 'countByValue': {
      const counts = new Map<KeyId, [unknown, number]>();
      await computer.compute(root, split, (x) => {
        const id = keyId(x);
        const e = counts.get(id);
        if (e) e[1]++;
        else counts.set(id, [x, 1]);
      });
      return [...counts.values()];
    }
    case 'countApproxDistinct': {
      const sketch = newSketch(action.p);
      await computer.compute(root, split, (x) => void offer(sketch, x));
      return sketch;
    }
    case 'top': {
      const all = await computer.collect(root, split);
      const cmp = orderComparator(action.compare ? (env.revive(action.compare) as (a: unknown, b: unknown) => number) : undefined, action.keyed === true);
      all.sort(action.ascending ? cmp : (a, b) => cmp(b, a));
      return all.slice(0, action.n);
    }
    case 'sampleKeys': {
      // Reservoir sample of keys, seeded by partition so a retry samples alike.
      const sample: unknown[] = [];
      let seen = 0;
      let seed = (split + 1) * 2654435761;
      const rand = (): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed / 4294967296;
      };
      await computer.compute(root, split, (kv) => {
        const k = (kv as unknown[])[0];
        if (sample.length < action.perPartition) sample.push(k);
        else {
          const j = Math.floor(rand() * (seen + 1));
          if (j < action.perPartition) sample[j] = k;
        }
        seen++;
      });
      // The partition's size too: each sampled key stands for seen / sample.length keys (Spark's sketch).
      return { count: seen, sample };
    }
    case 'saveAsTextFile': {
      const fsys = fileSystemFor(action.dir, 'saveAsTextFile');
      if (fsys) return writePartOn(fsys, computer, root, split, action, env);
      if (action.codec === undefined) {
        // Written as its lines are computed, and counted as they are given to the file, so an
        // attempt killed before its part is whole reports what it wrote (Spark's TaskKilled
        // carries the outputMetrics as they stood). The file is open for the whole compute, in
        // the attempt's own folder (writeLocalPart): an attempt late past its job's commit
        // writes nothing into the committed directory.
        const file = path.join(action.dir, `part-${String(split).padStart(5, '0')}`);
        const write = await openLocalPart(file, env, split, 'saveAsTextFile');
        await streamPart(computer, root, split, env, write);
        return null;
      }
      // Compressed: the whole part at once, counted once written.
      const lines: string[] = [];
      await computer.compute(root, split, (x) => void lines.push(String(x)));
      const name = `part-${String(split).padStart(5, '0')}`;
      const text = Buffer.from(lines.length ? lines.join('\n') + '\n' : '');
      // Spark's SparkHadoopWriter outputMetrics: the part file's bytes as written (compressed), its lines.
      const data = action.codec !== undefined ? compress(action.codec, text) : text;
      await writeLocalPart(path.join(action.dir, action.codec !== undefined ? name + codecExtension(action.codec) : name), data, env, split, 'saveAsTextFile');
      env.countOutput?.(data.length, lines.length);
      return null;
    }
    case 'saveAsObjectFile': {
      const records = await computer.collect(root, split);
      const name = `part-${String(split).padStart(5, '0')}`;
      const data = encodeObjectFile(records);
      await writeLocalPart(path.join(action.dir, name), data, env, split, 'saveAsObjectFile');
      env.countOutput?.(data.length, records.length);
      return null;
    }
    case 'writeCheckpoint': {
      const records = await computer.collect(root, split);
      await openCheckpointStore(action.dir).write(`part-${split}`, encodeCheckpointPart(records, action.compress === true));
      return null;
    }
    default: {
      const never: never = action;
      throw new SluiceError('SLUICE_INTERNAL', `unknown action ${JSON.stringify(never)}`);
    }
  }
}

/** Bytes the compute loop hands to a file system's writer at a time. */
const WRITE_CHUNK_BYTES = 1024 * 1024;

/**
 * saveAsTextFile's part on a registered file system: lines go to its writer in chunks
 * while the partition is computed; returns what the writer returns for the commit.
 */
function writePartOn(fsys: FileSystem, computer: PartitionComputer, root: TaskPayload['plan']['root'], split: number, action: { readonly dir: string; readonly fsSettings?: unknown }, env: TaskEnv): Promise<unknown> {
  const name = `part-${String(split).padStart(5, '0')}`;
  const attempt = `${env.jobId}-${split}-${process.pid}-${Math.random().toString(36).slice(2)}`;
  return streamPart(computer, root, split, env, (chunks) => fsys.writePart(action.dir, name, chunks, attempt, action.fsSettings));
}

/**
 * A text part's lines (each record's String and a newline) handed to `write` in chunks of
 * WRITE_CHUNK_BYTES while the partition is computed; returns what `write` returns. Each line is
 * counted (TaskEnv.countOutput) as it is given to the writer (Spark's outputMetrics grow as
 * records are written), so an attempt killed before its part is whole reports what it wrote.
 * The writer may fail first (an unreachable endpoint, a full disk): computing stops then and its
 * error is the task's; an error of the compute is the task's, the writer's after it dropped.
 */
async function streamPart<T>(computer: PartitionComputer, root: TaskPayload['plan']['root'], split: number, env: TaskEnv, write: (chunks: ChunkQueue) => Promise<T>): Promise<T> {
  const queue = new ChunkQueue(WRITE_CHUNK_BYTES);
  const writing = write(queue);
  let writeFailed = false;
  writing.catch(() => void (writeFailed = true));
  // Lines as text until a chunk's worth: one Buffer a chunk, not one a line.
  let pending: string[] = [];
  let pendingBytes = 0;
  try {
    await computer.compute(root, split, (x) => {
      if (writeFailed) throw STOP;
      const line = `${String(x)}\n`;
      const bytes = Buffer.byteLength(line);
      pending.push(line);
      pendingBytes += bytes;
      env.countOutput?.(bytes, 1);
      if (pendingBytes >= WRITE_CHUNK_BYTES) {
        queue.push(Buffer.from(pending.join('')));
        pending = [];
        pendingBytes = 0;
      }
    });
    if (pendingBytes > 0) queue.push(Buffer.from(pending.join('')));
    queue.end();
  } catch (err) {
    queue.fail(err);
    await writing.catch(() => undefined);
    if (err !== STOP) throw err;
  }
  return await writing;
}

/**
 * The map side of a shuffle: partition the records by key (combining values per key
 * first when the shuffle allows) and lay every reduce partition's records out in one
 * consolidated output with an index (MapOutputFile), which the worker stores as one
 * block. Buckets are encoded (a frame per non-empty reduce partition) whenever
 * `spillRecords` records are buffered, so a map task holds at most that many records
 * as objects; what it holds beyond them is encoded bytes. With `compress` (the worker's
 * spark.shuffle.compress), large frames are LZ4 frames (shuffle-frame.ts, COMPRESS_MIN_BYTES).
 * With `checksum` (spark.shuffle.checksum.enabled) each partition run is followed by its
 * CRC-32 (shuffle-checksum.ts).
 */
/** A map task's output, and the records written to it (Spark's shuffleWriteMetrics.recordsWritten). */
async function writeShuffle(computer: PartitionComputer, payload: TaskPayload, partition: number, env: TaskEnv, spillRecords: number, compress: boolean, checksum: boolean): Promise<[MapOutputFile, number]> {
  const spec = payload.shuffle as ShuffleSpec;
  const n = spec.partitioner.numPartitions;
  const part = partitionFunction(spec.partitioner, (f) => env.revive(f));
  const writer = new MapOutputWriter(n);
  let written = 0;
  const addRun = (records: readonly unknown[], parts: ArrayLike<number>, count: number): void => {
    written += count;
    let run: ReturnType<typeof encodeRun>;
    try {
      run = encodeRun(records, parts, count, n, compress, checksum);
    } catch (err) {
      throw recordsNotEncodable(err, payload.plan, payload.plan.root, 'written for the shuffle');
    }
    writer.addRun(run);
  };
  if (spec.mapSideCombine && spec.aggregator) {
    // Combine in one table first and place each distinct key once, at a spill: the partition
    // function (a hash of the key) then runs per key, not per record. The table's steps run
    // inside the narrow pipeline that feeds it (one look-up per pair, no call to reach it).
    const spill = (combined: CombineEntries): void => {
      const entries = new Array<[unknown, unknown]>(combined.size);
      const parts = new Int32Array(combined.size);
      let i = 0;
      for (const e of combined.values()) {
        entries[i] = e;
        parts[i++] = part(e[0]);
      }
      addRun(entries, parts, i);
    };
    const table = combineTable(makeAggregator(spec.aggregator, (f) => env.revive(f)), spillRecords, spill);
    await computer.computeInto(payload.plan.root, partition, { kind: 'combine', table });
    table.spill();
  } else {
    // Records and their partitions as they come; each spill is laid out by partition at once.
    let records: unknown[] = [];
    let parts: number[] = [];
    await computer.compute(payload.plan.root, partition, (kv) => {
      records.push(kv);
      parts.push(part((kv as unknown[])[0]));
      if (records.length >= spillRecords) {
        addRun(records, parts, records.length);
        records = [];
        parts = [];
      }
    });
    addRun(records, parts, records.length);
  }
  return [writer.finish(), written];
}
