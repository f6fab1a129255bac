import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { openCheckpointStore } from '../checkpoint/checkpoint-store-registry.js';
import { decodeCheckpointPart } from '../checkpoint/checkpoint-part.js';
import fs from 'node:fs';
import { copier, decodeRecords } from '../codec/codec.js';
import { encodeRecordChunks, readCachedChunks } from '../codec/record-chunks.js';
import { recordsNotEncodable } from './records-not-encodable.js';
import { decodeObjectFile } from '../codec/object-file.js';
import { fromWire } from '../codec/record-classes.js';
import { SluiceError } from '../errors.js';
import { isCopyTree, treeCopy } from '../util/tree-copy.js';
import { isLz4Frame, lz4Frame, lz4Unframe } from '../io/lz4-frame.js';
import { KeyCounter, ShareTaker } from './sample-exact-partition.js';
import { keyId, hashKey, compareKeys, nonNegativeMod, type KeyId } from '../rdd/key.js';
import { blockIdForRdd, type MapWithStateEntry, type NodeOp, type Plan, type PlanNode } from '../rdd/plan.js';
import { StateHandle } from '../dstream/state-handle.js';
import { combineTable, makeAggregator } from '../shuffle/aggregator.js';
import { mapOrderRuns } from '../shuffle/map-order.js';
import { decodeShuffleFrames } from '../shuffle/shuffle-frame.js';
import { mapsWithData } from '../shuffle/map-status.js';
import { mulberry32, poisson } from '../util/random.js';
import { readWalRecord } from '../wal/wal-segment.js';
import { emitLinePieces, emitLines, isLineBlock } from '../receiver/line-block.js';
import { emitCompressedLines, emitFileLines } from './read-lines.js';
import { codecOfFile, decompress } from '../io/compression-codec.js';
import { readFixedLengthRecords, readRecordFile } from './read-records.js';
import { pipePartition, type PipePrinters } from './pipe-partition.js';
import { estimate } from '../rdd/hyper-log-log.js';
import { MAX_LOOPS, isPerRecord, loops, narrowPipeline, type Emit, type PerRecordOp, type Sink } from './narrow-pipeline.js';
import type { DirectReadContext, DirectReader } from '../rdd/direct-input-rdd.js';
import type { BlockRead, TaskEnv } from './task-env.js';
import type { MapOutputLocation, TaskPayload } from './task-spec.js';
import { TaskSlicesLookup, type TaskSlices } from './task-part.js';

export type { Emit, Sink } from './narrow-pipeline.js';

/** Thrown through `emit` to stop computing a partition early (take). */
export const STOP = Symbol('sluice.stop');

/**
 * Computes partitions of a stage's plan on a worker, pushing records through the chain
 * of narrow operators into `emit` (or a map-side combine's table). Sources (files, shuffle
 * reads, cached blocks) are loaded asynchronously; everything downstream of them runs
 * synchronously per record. A run of per-record operators (map, filter, flatMap, ...)
 * between a source and the sink is one fused function (narrow-pipeline.ts).
 */
/** Operators whose partition is their parent's partition as it is (Spark's MapPartitionsRDD and PipedRDD reuse the parent's Partition objects). */
const SAME_PARTITION_OPS: ReadonlySet<string> = new Set(['map', 'filter', 'flatMap', 'mapPartitions', 'mapValues', 'flatMapValues', 'keyBy', 'keys', 'values', 'glom', 'pipe']);

export class PartitionComputer {
  private readonly plan: Plan;
  private readonly env: TaskEnv;
  private readonly mapOutputs: Readonly<Record<number, readonly MapOutputLocation[]>>;
  private readonly fns = new Map<object, Function>();

  private readonly cachedLocations: Readonly<Record<string, readonly MapOutputLocation[]>>;
  private readonly emptySegments: TaskPayload['emptySegments'];
  private readonly taskSlices: TaskSlicesLookup | undefined;
  /** While a pipe's parent is computed: whether its command's stdin is full (a promise to wait for), for sources that read in steps. */
  private pause: (() => Promise<void> | undefined) | undefined;

  constructor(
    plan: Plan,
    env: TaskEnv,
    mapOutputs: Readonly<Record<number, readonly MapOutputLocation[]>>,
    cachedLocations: Readonly<Record<string, readonly MapOutputLocation[]>> = {},
    emptySegments?: TaskPayload['emptySegments'],
    /** The task's own slices of the plan's parallelize nodes (TaskPart.slices), when the plan is its stage's shared one. */
    taskSlices?: TaskSlices,
  ) {
    this.plan = plan;
    this.env = env;
    this.mapOutputs = mapOutputs;
    this.cachedLocations = cachedLocations;
    this.emptySegments = emptySegments;
    this.taskSlices = taskSlices === undefined ? undefined : new TaskSlicesLookup(taskSlices);
  }

  /** The records of one reduce partition of a shuffle, fetched from the map outputs with data for it. */
  private async fetchShuffle(shuffleId: number, split: number): Promise<[unknown, unknown][]> {
    const empties = this.emptySegments?.[shuffleId];
    const framed = await this.env.fetchShuffle(shuffleId, split, this.mapOutputs[shuffleId] ?? [], empties === undefined ? undefined : mapsWithData(empties, split));
    const out: [unknown, unknown][] = [];
    // In map-index order whatever worker held each map output (map-order.ts), so every stage over a shuffle reads its records in one order however often they are recomputed.
    const runs = mapOrderRuns(framed);
    const bufs = framed.map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)));
    for (let i = 0; i < runs.length; i += 3) decodeShuffleFrames(bufs[runs[i]], out, runs[i + 1], runs[i + 2]);
    this.env.countShuffleRecordsRead?.(out.length);
    return out;
  }

  private fn<F extends Function>(shipped: Parameters<TaskEnv['revive']>[0]): F {
    let f = this.fns.get(shipped);
    if (!f) {
      f = this.env.revive(shipped);
      this.fns.set(shipped, f);
    }
    return f as F;
  }

  private node(id: number): PlanNode {
    const n = this.plan.nodes[id];
    if (!n) throw new SluiceError('SLUICE_INTERNAL', `plan has no node ${id}`);
    return n;
  }

  /**
   * The text file partition `split` of `nodeId` reads, when the node is `sc.textFile`'s or reaches
   * it through operators that keep each partition as it is (map, filter, mapPartitions, pipe, ...):
   * where Spark's partition is still the HadoopPartition, whose input file PipedRDD exports.
   * Undefined past any other operator (a shuffle, a union, a sample, a checkpoint).
   */
  private inputFileOf(nodeId: number, split: number): string | undefined {
    const node = this.node(nodeId);
    const op = node.op;
    if (op.kind === 'textFile') return op.splits[op.groups ? op.groups[split][0] : split]?.file;
    return SAME_PARTITION_OPS.has(op.kind) ? this.inputFileOf(node.parents[0], split) : undefined;
  }

  /** All records of one partition, as an array. */
  async collect(nodeId: number, split: number): Promise<unknown[]> {
    const out: unknown[] = [];
    await this.compute(nodeId, split, (r) => out.push(r));
    return out;
  }

  async compute(nodeId: number, split: number, emit: Emit): Promise<void> {
    return this.computeInto(nodeId, split, { kind: 'emit', emit });
  }

  /**
   * How many records one partition has. Nothing sees them: a cached partition this thread
   * keeps decoded is counted over its kept records, none copied (a count over an RDD derived
   * from it, `map(f).count()`, copies each record for `f`, as every read does).
   */
  async count(nodeId: number, split: number): Promise<number> {
    let n = 0;
    await this.computeInto(nodeId, split, { kind: 'emit', emit: () => void n++, blind: true });
    return n;
  }

  /** Computes one partition into `sink`: a function, or a map-side combine's table. */
  async computeInto(nodeId: number, split: number, sink: Sink): Promise<void> {
    const node = this.node(nodeId);
    const op = node.op;
    if (node.storage === 'NONE' && isPerRecord(op)) return this.computeChain(node, op, split, sink);
    const emit = sinkEmit(sink);
    if (node.storage !== 'NONE' && node.op.kind !== 'checkpointFile') {
      const blockId = blockIdForRdd(this.env.jobId, node.id, split);
      // This worker's copy, else another worker's (as Spark reads remote cached blocks), else recompute.
      // A deserialized level's partition this thread keeps decoded: each record copied for this read (tree-copy.ts).
      const T0 = performance.now();
      const TR = (kind: string): void => { if (process.env.PERF32_TRACE) appendFileSync(process.env.PERF32_TRACE, `${process.pid} ${threadId} ${blockId} ${kind} ${(performance.now() - T0).toFixed(1)}\n`); };
      const decoded = node.deserialized === true && this.env.keepDecoded !== undefined ? this.env.decodedCached?.(blockId) : undefined;
      const held = decoded?.records;
      // A sink that never looks at a record (count's) is given the kept records themselves.
      const blind = sink.kind === 'emit' && sink.blind === true;
      // A cached block read (not computed here) is this task's input, as Spark's RDD.getOrCompute
      // counts a block hit: its bytes (the block as stored, here or fetched: BlockResult.bytes),
      // and its records as they are read.
      if (held !== undefined) {
        if (blind) for (let i = 0; i < held.length; i++) emit(held[i]);
        else for (let i = 0; i < held.length; i++) emit(treeCopy(held[i]));
        this.env.countInput?.(decoded!.blockBytes!, held.length);
        TR('hit');
        return;
      }
      const here = await this.env.getCached(blockId);
      if (here && decoded?.keep === true) {
        const records = decodeCached(here);
        if (records !== undefined) {
          this.env.countInput?.(here.length, records.length);
          // Kept decoded when every record copies exactly; else this read's own records, as before.
          if (records.every(isCopyTree)) {
            this.env.keepDecoded!(blockId, records, here.length);
            if (blind) for (let i = 0; i < records.length; i++) emit(records[i]);
            else for (let i = 0; i < records.length; i++) emit(treeCopy(records[i]));
          } else for (let i = 0; i < records.length; i++) emit(records[i]);
          TR('keep');
          return;
        }
      }
      const elsewhere = this.cachedLocations[blockId];
      const cached = here ?? (elsewhere?.length ? (await this.env.getBlock(blockId, elsewhere)).data : undefined);
      // Emitted a chunk at a time as decoded (record-chunks.ts); a compressed block damaged since it was stored (its LZ4 checksums) is computed anew, as a lost block is.
      if (cached) {
        let read = 0;
        const counted: Emit = (r) => {
          read++;
          emit(r);
        };
        if (emitCached(cached, counted)) {
          this.env.countInput?.(cached.length, read);
          TR(here ? 'plain' : 'remote');
          return;
        }
      }
      TR('compute');
      const records: unknown[] = [];
      await this.computeOp(node, split, (r) => records.push(r));
      let bytes: Uint8Array;
      try {
        bytes = encodeRecordChunks(records);
      } catch (err) {
        throw recordsNotEncodable(err, this.plan, node.id, `cached (${node.storage})`);
      }
      this.env.putCached(blockId, node.compressed === true ? smallerFrame(bytes) : bytes, node.storage);
      for (let i = 0; i < records.length; i++) emit(records[i]);
      return;
    }
    await this.computeOp(node, split, emit);
  }

  /**
   * `top` and the per-record operators below it that are not cached, as one fused
   * pipeline into `sink`, fed by the partition of the node below them. `top` itself is
   * taken whatever its storage (a cached node's records are computed here, then stored).
   */
  private computeChain(top: PlanNode, topOp: PerRecordOp, split: number, sink: Sink): Promise<void> {
    const chain: PerRecordOp[] = [topOp];
    let loopOps = loops(topOp) ? 1 : 0;
    let below = this.node(top.parents[0]);
    while (below.storage === 'NONE' && isPerRecord(below.op) && (!loops(below.op) || loopOps < MAX_LOOPS)) {
      chain.push(below.op);
      if (loops(below.op)) loopOps++;
      below = this.node(below.parents[0]);
    }
    chain.reverse();
    const fns = chain.map((op) => ('fn' in op ? this.fn<Function>(op.fn) : undefined));
    return this.computeInto(below.id, split, { kind: 'emit', emit: narrowPipeline(chain, fns, sink) });
  }

  private async computeOp(node: PlanNode, split: number, emit: Emit): Promise<void> {
    const op: NodeOp = node.op;
    const parent = node.parents[0];
    switch (op.kind) {
      case 'parallelize': {
        const own = this.taskSlices === undefined ? undefined : this.taskSlices.slice(node.id, split);
        const slice = fromWire<readonly unknown[]>(own ?? op.slices[split] ?? []);
        for (let i = 0; i < slice.length; i++) emit(slice[i]);
        return;
      }
      case 'range': {
        const count = Math.max(0, Math.ceil((op.end - op.start) / op.step));
        const lo = Math.floor((split * count) / node.numPartitions);
        const hi = Math.floor(((split + 1) * count) / node.numPartitions);
        for (let i = lo; i < hi; i++) emit(op.start + i * op.step);
        return;
      }
      case 'textFile': {
        // Spark's HadoopRDD inputMetrics: the bytes read of the file, the lines they gave.
        let bytesRead = 0;
        let lines = 0;
        const onRead = (n: number): void => void (bytesRead += n);
        const counted: Emit = (line) => {
          lines++;
          emit(line);
        };
        try {
          for (const index of op.groups ? op.groups[split] : [split]) {
            const s = op.splits[index];
            if (s.codec !== undefined) {
              await emitCompressedLines(s.file, s.codec, counted, { pause: this.pause, end: s.end, stream: s.stream && { ...s.stream, warn: this.env.warn?.bind(this.env) }, onRead });
              continue;
            }
            await emitFileLines(s.file, s.start, s.end, counted, { stream: s.stream && { ...s.stream, warn: this.env.warn?.bind(this.env) }, fsSettings: op.fsSettings, pause: this.pause, onRead });
          }
        } finally {
          this.env.countInput?.(bytesRead, lines);
        }
        return;
      }
      case 'blocks': {
        const b = op.blocks[split];
        const read: BlockRead = b.locations.length > 0 || !b.wal ? await this.env.getBlock(b.blockId, b.locations) : { misses: [] };
        if (read.lines) {
          emitLinePieces(read.lines, emit, b.take);
          return;
        }
        let data = read.data;
        // On no live worker: read it back from the write-ahead log (its CRC checked).
        if (!data && b.wal) {
          try {
            data = (await readWalRecord(b.wal)).data;
          } catch (err) {
            // Which block of the batch could not be read, beside where and why.
            throw err instanceof SluiceError ? new SluiceError(err.code, `received block ${b.blockId}: ${err.message}`, { cause: err }) : err;
          }
        }
        if (!data) {
          // Say what each worker it was stored on answered: a live worker that no longer
          // holds the block is not "lost".
          const where = read.misses && read.misses.length > 0 ? read.misses.join('; ') : b.locations.map((l) => l.workerId).join(', ') || 'no worker';
          // What to do: without the log a block lives on its receiver's worker and one replica.
          const fix = b.wal ? '' : '; with the write-ahead log off, a received block is kept only on its receiver\'s worker and one replica: turn on the StreamingContext option writeAheadLog (with ssc.checkpoint) for input that must outlive losing both';
          throw new SluiceError('SLUICE_WORKER_LOST', `received block ${b.blockId} cannot be read from any worker it was stored on: ${where}${fix}`);
        }
        // socketTextStream's blocks are the lines' bytes: decoded here, once, and cut.
        if (isLineBlock(data)) {
          emitLines(data, emit, b.take);
          return;
        }
        const records = decodeRecords<unknown[]>(data);
        for (const [from, to] of b.take ?? [[0, records.length]]) for (let i = from; i < Math.min(to, records.length); i++) emit(records[i]);
        return;
      }
      case 'directInput': {
        const read = this.fn<DirectReader<unknown, unknown>>(op.reader);
        const ctx: DirectReadContext = { partition: split, warn: (message, fields) => this.env.warn?.(message, fields) };
        const out = await read(op.ranges[split], ctx);
        if (out && typeof (out as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
          for await (const r of out as AsyncIterable<unknown>) emit(r);
        } else {
          emitAll(out as Iterable<unknown>, emit);
        }
        return;
      }
      case 'binaryRecords': {
        const s = op.splits[split];
        if (s.stream === undefined) {
          // sc.binaryRecords: the file as it is now.
          const all = await readRecordFile(s.file, op.recordLength);
          this.env.countInput?.(all.length * op.recordLength, all.length);
          for (const r of all) emit(r);
          return;
        }
        const stream = s.stream;
        const records = await readFixedLengthRecords(s.file, s.end, op.recordLength, { ...stream, warn: this.env.warn?.bind(this.env) });
        this.env.countInput?.(records.length * op.recordLength, records.length);
        for (let i = 0; i < records.length; i++) emit(records[i]);
        return;
      }
      case 'objectFile': {
        const file = op.files[split];
        let bytes: Buffer;
        try {
          bytes = await fs.promises.readFile(file);
        } catch (err) {
          throw new SluiceError('SLUICE_IO', `sc.objectFile: cannot read '${file}' on this worker: ${(err as Error).message}. The path must be readable by every worker.`, { cause: err });
        }
        const records = decodeObjectFile(bytes, file);
        this.env.countInput?.(bytes.length, records.length);
        for (let i = 0; i < records.length; i++) emit(records[i]);
        return;
      }
      case 'wholeFiles': {
        for (const file of op.files[split]) {
          let bytes: Buffer;
          try {
            bytes = await fs.promises.readFile(file);
          } catch (err) {
            throw new SluiceError('SLUICE_IO', `sc.${op.binary ? 'binaryFiles' : 'wholeTextFiles'}: cannot read '${file}' on this worker: ${(err as Error).message}. The path must be readable by every worker.`, { cause: err });
          }
          // Spark's inputMetrics: the file's bytes as read (compressed), one record a file.
          this.env.countInput?.(bytes.length, 1);
          // As Spark's WholeTextFileRecordReader, a compressed file's text is what its codec gives (binaryFiles' bytes are the file's).
          const codec = op.binary ? undefined : codecOfFile(file);
          if (codec !== undefined) {
            try {
              bytes = decompress(codec, bytes);
            } catch (err) {
              throw new SluiceError('SLUICE_IO', `sc.wholeTextFiles: '${file}' is not a whole ${codec} stream: ${(err as Error).message}`, { cause: err });
            }
          }
          emit([file, op.binary ? bytes : bytes.toString('utf8')]);
        }
        return;
      }
      case 'checkpointFile': {
        const store = openCheckpointStore(op.dir);
        const key = `part-${split}`;
        let data: Buffer | undefined;
        let records: unknown[];
        try {
          data = await store.read(key);
          if (data === undefined) throw new Error('it does not exist');
          records = decodeCheckpointPart(data);
        } catch (err) {
          throw new SluiceError(
            'SLUICE_CHECKPOINT',
            `cannot read checkpoint file '${store.describe(key)}': ${(err as Error).message}. ` +
              `Restore the checkpoint directory '${store.location}' from a backup, or move or delete it to start afresh (what it holds is then lost: a stream's state, an RDD's checkpointed partitions)`,
            { cause: err },
          );
        }
        for (let i = 0; i < records.length; i++) emit(records[i]);
        return;
      }
      case 'localCheckpoint':
        // Reached only when the block is on no live worker (computeInto reads it first): nothing to recompute it from.
        throw new SluiceError(
          'SLUICE_CHECKPOINT',
          `partition ${split} of rdd ${node.id} was locally checkpointed (rdd.localCheckpoint()) and its block ${blockIdForRdd(this.env.jobId, node.id, split)} is lost: ` +
            'the worker that held it is gone, or the RDD was unpersisted, and its lineage was truncated, so it cannot be recomputed. ' +
            'A local checkpoint does not survive the loss of a worker; use rdd.checkpoint() after sc.setCheckpointDir(dir), which writes the partitions to a reliable directory, ' +
            'or persist() the RDD without checkpointing to keep its lineage.',
        );
      case 'map':
      case 'filter':
      case 'flatMap':
      case 'mapValues':
      case 'flatMapValues':
      case 'keyBy':
      case 'keys':
      case 'values':
      case 'pairWithNull':
        // Reached for a cached node only (compute fuses uncached ones): the chain from it down.
        return this.computeChain(node, op, split, { kind: 'emit', emit });
      case 'mapPartitions': {
        const input = await this.collect(parent, split);
        const f = this.fn<Function>(op.fn);
        const out = op.withIndex ? f(split, input[Symbol.iterator]()) : f(input[Symbol.iterator]());
        emitAll((await out) as Iterable<unknown>, emit);
        return;
      }
      case 'glom': {
        const all = await this.collect(parent, split);
        emit(all);
        return;
      }
      case 'aggregatePartition': {
        const seq = this.fn<(acc: unknown, x: unknown) => unknown>(op.seqOp);
        let acc = copier(op.zero)();
        await this.compute(parent, split, (x) => void (acc = seq(acc, x)));
        emit(acc);
        return;
      }
      case 'sample': {
        const rand = mulberry32((op.seed ^ Math.imul(split + 1, 0x9e3779b1)) >>> 0);
        if (op.withReplacement) {
          return this.compute(parent, split, (x) => {
            const n = poisson(op.fraction, rand);
            for (let i = 0; i < n; i++) emit(x);
          });
        }
        return this.compute(parent, split, (x) => {
          if (rand() < op.fraction) emit(x);
        });
      }
      case 'zipWithIndex': {
        let i = op.offsets[split] ?? 0;
        return this.compute(parent, split, (x) => emit([x, i++]));
      }
      case 'roundRobinKeys': {
        // Spark starts each parent partition at a random position; here the starts are spread evenly
        // (partition i of N at i * n / N), so equal parent partitions fill every output alike.
        let position = op.parentPartitions ? Math.floor((split * op.numPartitions) / op.parentPartitions) % op.numPartitions : nonNegativeMod(hashKey(split), op.numPartitions);
        return this.compute(parent, split, (x) => {
          position = (position + 1) % op.numPartitions;
          emit([position, x]);
        });
      }
      case 'reduceWindow': {
        const reduce = this.fn<(a: unknown, b: unknown) => unknown>(op.reduce);
        const inv = this.fn<(a: unknown, b: unknown) => unknown>(op.inv);
        const keep = op.filter ? this.fn<(kv: unknown) => boolean>(op.filter) : undefined;
        return this.compute(parent, split, (rec) => {
          // As Spark's ReducedWindowedDStream.mergeValues: the batches that left are reduced
          // together and inverse-reduced out of the previous window at once, then the batches
          // that entered, reduced together, are reduced in (the order matters for floats).
          // A key not in the previous window (never seen, or dropped by filterFunc) is its
          // new batches' reduction; with none either it has no value (Spark throws there).
          const [k, groups] = rec as [unknown, unknown[][]];
          const olds = groups.slice(1, 1 + op.numOld).flat();
          const news = groups.slice(1 + op.numOld).flat();
          let v: unknown;
          if (groups[0].length === 0) {
            if (news.length === 0) return;
            v = news.reduce((a, b) => reduce(a, b));
          } else {
            v = groups[0][0];
            if (olds.length > 0) v = inv(v, olds.reduce((a, b) => reduce(a, b)));
            if (news.length > 0) v = reduce(v, news.reduce((a, b) => reduce(a, b)));
          }
          const kv = [k, v];
          if (!keep || keep(kv)) emit(kv);
        });
      }
      case 'updateState': {
        if (op.form === 'iterator') {
          const update = this.fn<(records: IterableIterator<[unknown, unknown[], unknown]>) => Iterable<unknown>>(op.fn);
          const records: [unknown, unknown[], unknown][] = [];
          await this.compute(parent, split, (rec) => {
            const [k, [prev, values]] = rec as [unknown, [unknown[], unknown[]]];
            records.push([k, values, prev.length > 0 ? prev[0] : undefined]);
          });
          for (const kv of update(records[Symbol.iterator]())) emit(kv);
          return;
        }
        const fn = this.fn<Function>(op.fn);
        const batchTime = op.batchTime;
        const update =
          op.form === 'timeKey'
            ? (k: unknown, values: unknown[], s: unknown): unknown => fn(batchTime, k, values, s)
            : (_k: unknown, values: unknown[], s: unknown): unknown => fn(values, s);
        return this.compute(parent, split, (rec) => {
          const [k, [prev, values]] = rec as [unknown, [unknown[], unknown[]]];
          const s = update(k, values, prev.length > 0 ? prev[0] : undefined);
          if (s !== undefined) emit([k, s]);
        });
      }
      case 'mapWithState': {
        const fn = this.fn<Function>(op.fn);
        const f = op.withTime ? (key: unknown, value: unknown, state: StateHandle): unknown => fn(op.batchTime, key, value, state) : (fn as (key: unknown, value: unknown, state: StateHandle) => unknown);
        return this.compute(parent, split, (rec) => {
          const [k, [prevEntries, values]] = rec as [unknown, [MapWithStateEntry[], unknown[]]];
          // One entry a key, but an initial state may repeat a key: the last one wins, as Spark's
          // createFromPairRDD puts each [key, state] into the state map in turn.
          const prev = prevEntries.findLast((e) => e.exists);
          const handle = new StateHandle(prev !== undefined, prev?.state);
          const mapped: unknown[] = [];
          if (values.length > 0) {
            for (const v of values) {
              handle.nextCall();
              const out = f(k, v, handle);
              if (out !== undefined) mapped.push(out);
            }
          } else if (prev && op.timeoutMs !== undefined && op.timeoutScan === true && op.batchTime - prev.updatedAt > op.timeoutMs) {
            handle.timingOut = true;
            const out = f(k, undefined, handle);
            if (out !== undefined) mapped.push(out);
            handle.drop();
          } else if (!prev) {
            return;
          }
          const updatedAt = values.length > 0 ? op.batchTime : (prev?.updatedAt ?? op.batchTime);
          const entry: MapWithStateEntry = { exists: handle.exists(), state: handle.exists() ? handle.get() : undefined, updatedAt, mapped };
          if (entry.exists || mapped.length > 0) emit([k, entry]);
        });
      }
      case 'sketchEstimate':
        return this.compute(parent, split, (kv) => emit([(kv as [unknown, Uint8Array])[0], estimate((kv as [unknown, Uint8Array])[1])]));
      case 'pipe': {
        const { printContext, printElement } = op.spec;
        const printers = { context: printContext && this.fn<NonNullable<PipePrinters['context']>>(printContext), element: printElement && this.fn<NonNullable<PipePrinters['element']>>(printElement) };
        // The parent's records go to the command's stdin as they are computed; a text file
        // source waits for the pipe to drain between its reads (this.pause).
        const feed = async (write: Emit, full: () => Promise<void> | undefined): Promise<void> => {
          const outer = this.pause;
          this.pause = full;
          try {
            await this.compute(parent, split, write);
          } finally {
            this.pause = outer;
          }
        };
        // As Spark's PipedRDD over a HadoopRDD's partition: the text file it reads, for the command (over the user's env).
        const inputFile = this.inputFileOf(parent, split);
        const spec = inputFile === undefined ? op.spec : { ...op.spec, env: { ...op.spec.env, map_input_file: inputFile, mapreduce_map_input_file: inputFile } };
        return pipePartition(feed, spec, split, emit, printers, this.env.childProcess?.bind(this.env));
      }
      case 'keyCounts': {
        const counter = new KeyCounter();
        await this.compute(parent, split, (kv) => counter.add(kv));
        for (const c of counter.counts(split)) emit(c);
        return;
      }
      case 'sampleExact': {
        if (op.shares === undefined) throw new SluiceError('SLUICE_TASK_FAILED', 'rdd.sampleByKeyExact: the sample sizes were not worked out before the job');
        const taker = new ShareTaker(op.shares, op.withReplacement, op.seed, split);
        await this.compute(parent, split, (kv) => taker.take(kv, emit));
        taker.finish();
        return;
      }
      case 'sortWithinPartition': {
        const recs: [unknown, unknown][] = [];
        await this.compute(parent, split, (kv) => recs.push(kv as [unknown, unknown]));
        const dir = op.ascending ? 1 : -1;
        recs.sort((a, b) => dir * compareKeys(a[0], b[0]));
        for (let i = 0; i < recs.length; i++) emit(recs[i]);
        return;
      }
      case 'keyRange': {
        const { lower, upper } = op;
        return this.compute(parent, split, (kv) => {
          const k = (kv as [unknown, unknown])[0];
          if (compareKeys(k, lower) >= 0 && compareKeys(k, upper) <= 0) emit(kv);
        });
      }
      case 'joinValues':
        return this.compute(parent, split, (kv) => joinValues(op.mode, kv as [unknown, [unknown[], unknown[]]], emit));
      case 'union': {
        const [which, parentSplit] = op.parts[split];
        return this.compute(node.parents[which], parentSplit, emit);
      }
      case 'partitionerAwareUnion':
        for (const p of node.parents) await this.compute(p, split, emit);
        return;
      case 'coalesce':
        for (const p of op.groups[split]) await this.compute(parent, p, emit);
        return;
      case 'cartesian': {
        const right = await this.collect(node.parents[1], split % op.rightPartitions);
        return this.compute(node.parents[0], Math.floor(split / op.rightPartitions), (l) => {
          for (let i = 0; i < right.length; i++) emit([l, right[i]]);
        });
      }
      case 'zipPartitions': {
        const inputs: unknown[][] = [];
        for (const p of node.parents) inputs.push(await this.collect(p, split));
        const f = this.fn<(...its: IterableIterator<unknown>[]) => Iterable<unknown> | Promise<Iterable<unknown>>>(op.fn);
        emitAll(await f(...inputs.map((xs) => xs[Symbol.iterator]())), emit);
        return;
      }
      case 'combineLocal': {
        const table = combineTable(makeAggregator(op.aggregator, (f) => this.fn(f)));
        await this.computeInto(parent, split, { kind: 'combine', table });
        for (const e of table.entries.values()) emit(e);
        return;
      }
      case 'shuffled': {
        const spec = op.shuffle;
        const recs = await this.fetchShuffle(spec.shuffleId, split);
        let out: [unknown, unknown][];
        if (spec.aggregator) {
          const agg = makeAggregator(spec.aggregator, (f) => this.fn(f));
          const combined = new Map<KeyId, [unknown, unknown]>();
          const merge = spec.mapSideCombine ? agg.mergeCombiners : agg.mergeValue;
          const create = spec.mapSideCombine ? (c: unknown) => c : agg.createCombiner;
          for (let i = 0; i < recs.length; i++) {
            const [k, v] = recs[i];
            const id = keyId(k);
            const e = combined.get(id);
            if (e) e[1] = merge(e[1], v);
            else combined.set(id, [k, create(v)]);
          }
          out = [...combined.values()];
        } else {
          out = recs;
        }
        if (op.sort) {
          const dir = op.sort.ascending ? 1 : -1;
          out.sort((a, b) => dir * compareKeys(a[0], b[0]));
        }
        for (let i = 0; i < out.length; i++) emit(out[i]);
        return;
      }
      case 'cogroup': {
        const n = op.shuffles.length;
        const groups = new Map<KeyId, [unknown, unknown[][]]>();
        const add = (i: number, kv: [unknown, unknown]): void => {
          const id = keyId(kv[0]);
          let g = groups.get(id);
          if (!g) {
            g = [kv[0], Array.from({ length: n }, () => [])];
            groups.set(id, g);
          }
          g[1][i].push(kv[1]);
        };
        for (let i = 0; i < n; i++) {
          const spec = op.shuffles[i];
          if (spec) {
            for (const kv of await this.fetchShuffle(spec.shuffleId, split)) add(i, kv);
          } else {
            await this.compute(node.parents[i], split, (kv) => add(i, kv as [unknown, unknown]));
          }
        }
        for (const g of groups.values()) emit(g);
        return;
      }
      default: {
        const never: never = op;
        throw new SluiceError('SLUICE_INTERNAL', `unknown plan node ${JSON.stringify(never)}`);
      }
    }
  }
}

/** The sink as a function of one record (a pair, for a combine's table). */
function sinkEmit(sink: Sink): Emit {
  if (sink.kind === 'emit') return sink.emit;
  const table = sink.table;
  return (kv) => table.add((kv as unknown[])[0], (kv as unknown[])[1]);
}

function emitAll(it: Iterable<unknown>, emit: Emit): void {
  if (Array.isArray(it)) {
    for (let i = 0; i < it.length; i++) emit(it[i]);
    return;
  }
  for (const x of it) emit(x);
}

function joinValues(mode: 'inner' | 'left' | 'right' | 'full', [k, [vs, ws]]: [unknown, [unknown[], unknown[]]], emit: Emit): void {
  if (vs.length === 0) {
    if (mode === 'right' || mode === 'full') for (const w of ws) emit([k, [undefined, w]]);
    return;
  }
  if (ws.length === 0) {
    if (mode === 'left' || mode === 'full') for (const v of vs) emit([k, [v, undefined]]);
    return;
  }
  for (const v of vs) for (const w of ws) emit([k, [v, w]]);
}

/** `bytes` as an LZ4 frame when that is smaller (spark.rdd.compress), else as they are. */
function smallerFrame(bytes: Uint8Array): Uint8Array {
  const framed = lz4Frame(bytes);
  return framed.length < bytes.length ? framed : bytes;
}

/**
 * Emits a cached block's records (plain or an LZ4 frame) a chunk at a time; false, nothing
 * emitted, when its frame is damaged (SLUICE_CORRUPT_DATA): the partition is computed again.
 */
/** A cached block's records, decoded whole (to be kept); undefined for a compressed block damaged since it was stored, as emitCached. */
function decodeCached(bytes: Uint8Array): unknown[] | undefined {
  const plain = unframedCached(bytes);
  if (plain === undefined) return undefined;
  const out: unknown[] = [];
  readCachedChunks(plain, (records) => {
    for (let i = 0; i < records.length; i++) out.push(records[i]);
  });
  return out;
}

/** A cached block's bytes as encoded (an LZ4 frame's contents: spark.rdd.compress), or undefined when its frame is damaged (its checksums). */
function unframedCached(bytes: Uint8Array): Uint8Array | undefined {
  let plain = bytes;
  if (isLz4Frame(bytes)) {
    try {
      plain = lz4Unframe(bytes);
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'SLUICE_CORRUPT_DATA') return undefined;
      throw err;
    }
  }
  return plain;
}

function emitCached(bytes: Uint8Array, emit: Emit): boolean {
  const plain = unframedCached(bytes);
  if (plain === undefined) return false;
  readCachedChunks(plain, (records) => {
    for (let i = 0; i < records.length; i++) emit(records[i]);
  });
  return true;
}
