import type { ShippedFunction } from '../closure/shipped-function.js';
import type { ReadCodec } from '../io/compression-codec.js';
import type { WalPlace } from '../wal/wal-segment.js';
import type { DirectPlacement } from './direct-placement.js';
import type { Partitioner } from './partitioner.js';
import type { CreationSite } from './rdd-operation-scope.js';

/**
 * The wire form of an RDD lineage: what a task needs to compute one partition.
 * Plain data (encoded with the record codec); user functions are ShippedFunctions;
 * every operator Sluice itself provides is a node kind, computed by compute-partition.ts.
 */
export type StorageLevel = 'NONE' | 'MEMORY_ONLY' | 'MEMORY_AND_DISK' | 'DISK_ONLY';

export interface TextSplit {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  /** Set for a file a file stream chose for a batch: `end` is its size then, read exactly. */
  readonly stream?: StreamFileSplit;
  /** A compressed file (by its name), read whole through its codec: [start, end) is the whole file. */
  readonly codec?: ReadCodec;
}

export interface StreamFileSplit {
  readonly directory: string;
  /** A file gone when read is skipped with a warning instead of failing the task. */
  readonly ignoreMissingFiles: boolean;
}

/** How values for one key are combined on either side of a shuffle. */
export type AggregatorSpec =
  | { readonly kind: 'reduce'; readonly fn: ShippedFunction }
  | { readonly kind: 'group' }
  | { readonly kind: 'fold'; readonly zero: unknown; readonly fn: ShippedFunction }
  | { readonly kind: 'aggregate'; readonly zero: unknown; readonly seqOp: ShippedFunction; readonly combOp: ShippedFunction }
  | { readonly kind: 'combine'; readonly createCombiner: ShippedFunction; readonly mergeValue: ShippedFunction; readonly mergeCombiners: ShippedFunction }
  /** Keep the first value seen for a key (distinct). */
  | { readonly kind: 'first' }
  /** A HyperLogLog sketch of 2^p registers of each key's values (countApproxDistinctByKey; hyper-log-log.ts). */
  | { readonly kind: 'approxDistinct'; readonly p: number };

/** What rdd.pipe runs for each partition. */
export interface PipeSpec {
  /** The program and its arguments (no shell). */
  readonly command: readonly string[];
  /** Added to the worker's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute; made on the driver from the job's working directory. */
  readonly cwd: string;
  /** Whether the user gave `cwd` (else a worker without that directory runs the command in its own). */
  readonly cwdGiven: boolean;
  /** Spark's separateWorkingDir: each command runs in a directory of its own, `tasks/<uuid>` under cwd, holding links to cwd's entries. */
  readonly separateWorkingDir?: boolean;
  /** printPipeContext: (print) => void, called before the partition's elements. */
  readonly printContext?: ShippedFunction;
  /** printRDDElement: (element, print) => void, in place of String(element). */
  readonly printElement?: ShippedFunction;
}

export interface ShuffleSpec {
  readonly shuffleId: number;
  readonly partitioner: Partitioner;
  /** Applied on the map side too when mapSideCombine is set. */
  readonly aggregator?: AggregatorSpec;
  readonly mapSideCombine: boolean;
}

export type NodeOp =
  /** Each slice's records as toWire made them (job-class instances tagged), or null where a task does not need it. */
  | { readonly kind: 'parallelize'; readonly slices: readonly unknown[] }
  | { readonly kind: 'range'; readonly start: number; readonly end: number; readonly step: number }
  /**
   * Partition i reads splits[i], or with `groups` the splits groups[i] names, in order
   * (textFile on a registered file system, whose driver-side settings are `fsSettings`).
   */
  | { readonly kind: 'textFile'; readonly splits: readonly TextSplit[]; readonly groups?: readonly (readonly number[])[]; readonly fsSettings?: unknown }
  /** binaryRecordsStream: partition i is file splits[i] (whole, [0, end)) cut into records of recordLength bytes. */
  | { readonly kind: 'binaryRecords'; readonly splits: readonly TextSplit[]; readonly recordLength: number }
  | { readonly kind: 'checkpointFile'; readonly dir: string }
  /**
   * A locally checkpointed RDD's partitions: its own cached blocks (the node's storage level
   * uses disk), nothing to recompute them from. Computed only when a block is lost: an error
   * (Spark's LocalCheckpointRDD).
   */
  | { readonly kind: 'localCheckpoint' }
  /** Partition i is the records of object file files[i] (codec/object-file.ts). */
  | { readonly kind: 'objectFile'; readonly files: readonly string[] }
  /** sc.wholeTextFiles / sc.binaryFiles: partition i is a [path, content] pair for each file of files[i], read whole (as a string in UTF-8, or a Buffer when binary). */
  | { readonly kind: 'wholeFiles'; readonly files: readonly (readonly string[])[]; readonly binary: boolean }
  /** Received input: partition i is the stored block blocks[i] (on any of its locations, else at its place in the write-ahead log). */
  | {
      readonly kind: 'blocks';
      readonly blocks: readonly {
        readonly blockId: string;
        readonly locations: readonly { readonly workerId: string; readonly address: string }[];
        readonly wal?: WalPlace;
        /** Record index ranges [from, to) to read; absent: all. */
        readonly take?: readonly (readonly [number, number])[];
      }[];
    }
  /**
   * A direct input's batch: partition i is what `reader(ranges[i], context)` yields on a
   * worker. `placements[i]` says which worker partition i prefers (DirectPlacement: a hash of
   * what it reads, e.g. a topic-partition, over the workers taking tasks, as Spark's KafkaRDD).
   */
  | { readonly kind: 'directInput'; readonly reader: ShippedFunction; readonly ranges: readonly unknown[]; readonly placements?: readonly (DirectPlacement | null)[] }
  | { readonly kind: 'map'; readonly fn: ShippedFunction }
  | { readonly kind: 'filter'; readonly fn: ShippedFunction }
  | { readonly kind: 'flatMap'; readonly fn: ShippedFunction }
  | { readonly kind: 'mapPartitions'; readonly fn: ShippedFunction; readonly withIndex: boolean }
  | { readonly kind: 'mapValues'; readonly fn: ShippedFunction }
  | { readonly kind: 'flatMapValues'; readonly fn: ShippedFunction }
  | { readonly kind: 'keyBy'; readonly fn: ShippedFunction }
  | { readonly kind: 'keys' }
  | { readonly kind: 'values' }
  | { readonly kind: 'glom' }
  /** The partition folded into one value from a copy of `zero` (treeAggregate's first level). */
  | { readonly kind: 'aggregatePartition'; readonly zero: unknown; readonly seqOp: ShippedFunction }
  | { readonly kind: 'sample'; readonly withReplacement: boolean; readonly fraction: number; readonly seed: number }
  | { readonly kind: 'zipWithIndex'; readonly offsets: readonly number[] }
  /** Partition i of a union is partition `parts[i][1]` of parent `parts[i][0]`. */
  | { readonly kind: 'union'; readonly parts: readonly (readonly [number, number])[] }
  /** Partition i concatenates partition i of every parent, in order (inputs with the same partitioner). */
  | { readonly kind: 'partitionerAwareUnion' }
  /** [k, HyperLogLog sketch] -> [k, the sketch's estimate] (countApproxDistinctByKey). */
  | { readonly kind: 'sketchEstimate' }
  /** Each partition's records through an external command, its stdout lines the new partition (pipe-partition.ts). */
  | { readonly kind: 'pipe'; readonly spec: PipeSpec }
  /** sampleByKeyExact's counting pass: [partition, key, pairs of that key] for each key of the partition, keys by keyId. */
  | { readonly kind: 'keyCounts' }
  /**
   * sampleByKeyExact's sample: each key's share of its pairs in the partition, as [key,
   * pairs per partition, sample pairs per partition] (scheduler/sample-exact-partition.ts);
   * `shares` is absent until the driver has worked them out (the RDD's prepare).
   */
  | { readonly kind: 'sampleExact'; readonly shares?: readonly (readonly [unknown, readonly number[], readonly number[]])[]; readonly withReplacement: boolean; readonly seed: number }
  /** The partition's pairs sorted by key in compareKeys' order, stably (repartitionAndSortWithinPartitions over an RDD already placed by its partitioner). */
  | { readonly kind: 'sortWithinPartition'; readonly ascending: boolean }
  /** The pairs whose key k has lower <= k <= upper in compareKeys' order (filterByRange). */
  | { readonly kind: 'keyRange'; readonly lower: unknown; readonly upper: unknown }
  /**
   * Partition i of a coalesced RDD concatenates these parent partitions (none: an empty
   * partition, whose parent is not computed); `pruning` when filterByRange (true) or
   * PartitionPruningRDD.create ('create') made it (Spark's PartitionPruningRDD, for toDebugString).
   */
  | { readonly kind: 'coalesce'; readonly groups: readonly (readonly number[])[]; readonly pruning?: boolean | 'create' }
  | { readonly kind: 'cartesian'; readonly rightPartitions: number }
  /** Partition i is fn(parent 0's partition i, parent 1's partition i, ...), each as an iterator (zipPartitions with 2 to 4 inputs, zip). */
  | { readonly kind: 'zipPartitions'; readonly fn: ShippedFunction; readonly inputs?: number }
  /** Reads shuffle output; combines with the aggregator; sorts by key when `sort` is set. */
  | { readonly kind: 'shuffled'; readonly shuffle: ShuffleSpec; readonly sort?: { readonly ascending: boolean } }
  /** Groups the values of each parent by key: [k, [vs of parent 0, vs of parent 1, ...]]. */
  | { readonly kind: 'cogroup'; readonly shuffles: readonly (ShuffleSpec | null)[] }
  /** Combines values by key within each partition (input already partitioned by key). */
  | { readonly kind: 'combineLocal'; readonly aggregator: AggregatorSpec }
  /** x -> [x, null] (distinct). */
  | { readonly kind: 'pairWithNull' }
  /** x -> [n, x] with n cycling over numPartitions from a per-partition start (repartition). */
  | { readonly kind: 'roundRobinKeys'; readonly numPartitions: number; /** The parent's partition count: partition i starts at i * numPartitions / parentPartitions. */ readonly parentPartitions?: number }
  /**
   * [k, [prev, old_1..old_n, new_1..new_m]] from a cogroup -> [k, window value]: the
   * previous window's value with leaving values inverse-reduced out and entering ones reduced in.
   */
  | { readonly kind: 'reduceWindow'; readonly reduce: ShippedFunction; readonly inv: ShippedFunction; readonly filter?: ShippedFunction; readonly numOld: number }
  /** [k, [prevStates, values]] from a cogroup -> [k, update(values, prevState)] unless undefined. */
  | {
      readonly kind: 'updateState';
      readonly fn: ShippedFunction;
      /** 'values' (default): fn(values, state); 'timeKey': fn(batchTime, key, values, state); 'iterator': fn(partition's [key, values, state]) -> [key, state]s. */
      readonly form?: 'values' | 'timeKey' | 'iterator';
      readonly batchTime?: number;
    }
  /**
   * [k, [prevEntries, values]] -> [k, MapWithStateEntry]: calls fn(key, value, state) per
   * new value, and, when `timeoutScan` (the state RDD is checkpointed at this batch, Spark's
   * full scan), once with a timing-out state for keys idle longer than timeoutMs.
   */
  | {
      readonly kind: 'mapWithState';
      readonly fn: ShippedFunction;
      readonly timeoutMs: number | undefined;
      readonly batchTime: number;
      /** fn(batchTime, key, value, state) */ readonly withTime?: boolean;
      /** Time out idle keys at this batch: as Spark's MapWithStateRDD, only at a batch whose state RDD is checkpointed (removeTimedoutData = doFullScan). */
      readonly timeoutScan?: boolean;
    }
  /** [k, [vs, ws]] from a cogroup -> [k, [v, w]] for each joined pair. */
  | { readonly kind: 'joinValues'; readonly mode: 'inner' | 'left' | 'right' | 'full' };

export interface PlanNode {
  readonly id: number;
  readonly numPartitions: number;
  readonly op: NodeOp;
  /** Narrow parent node ids, in the order the op refers to them. Empty for sources and shuffle reads. */
  readonly parents: readonly number[];
  /**
   * Map-side parents of the shuffles this node reads ('shuffled': one; 'cogroup': one
   * per shuffled input, -1 for a narrow input). The driver cuts stages here; tasks ignore it.
   */
  readonly shuffleParents: readonly number[];
  readonly storage: StorageLevel;
  /** A persisted RDD's blocks are LZ4-compressed (spark.rdd.compress, set on the driver), when that makes them smaller. */
  readonly compressed?: boolean;
  /**
   * A persisted RDD's level keeps deserialized objects in memory (Spark's MEMORY_ONLY,
   * MEMORY_AND_DISK and their _2; not the _SER ones, DISK_ONLY or OFF_HEAP): a worker keeps its
   * partitions decoded in the task thread that read them, beside the stored bytes.
   */
  readonly deserialized?: boolean;
  /**
   * A persisted RDD's name as Spark's RDDInfo gives it (setName's, else its class, `ParallelCollectionRDD`):
   * what the driver's REST storage/rdd lists it by. Absent for one not persisted.
   */
  readonly name?: string;
}

/** An RDD's whole lineage, down to sources and checkpoints: what the DAG scheduler cuts into stages. */
export interface LineageGraph {
  readonly nodes: Readonly<Record<number, PlanNode>>;
  readonly root: number;
  /**
   * The action's call site short form, `collect at job.ts:12:5` (Spark's job callSite, from
   * sc.getCallSite when the action ran): what its job and result stage are named. Absent when the
   * action ran outside any operation the program called (the driver names it by its kind then).
   */
  readonly callSite?: string;
  /**
   * The creation sites of the shuffles' map sides, by node id, `map at job.ts:10:5`: what their
   * shuffle map stages are named (Spark's ShuffleMapStage takes shuffleDep.rdd.creationSite).
   */
  readonly creationSites?: Readonly<Record<number, string>>;
  /**
   * Every node's RDD as Spark's RDDInfo names it for the UI's DAG visualization, by node id: its
   * name (setName's, else its class, `MapPartitionsRDD`) and creation site (`map at job.ts:10:5`,
   * absent when unknown). The driver keeps them per stage; tasks never see them.
   */
  readonly rddInfos?: Readonly<Record<number, LineageRddInfo>>;
  /**
   * The driver program's side only, never sent to the driver's scheduler: each node's creation
   * site as captured (its stack not formatted: formatting one costs ~30 us, for every RDD of
   * every action, a streaming job's every batch). The program's thread keeps them and formats an
   * RDD's (rddInfos' callSite) only when a page or REST call asks for it.
   */
  readonly creationSitesToFormat?: ReadonlyMap<number, CreationSite>;
}

/** An RDD's name, creation site and operation scopes (Spark's RDDInfo.name, callSite and scope), as LineageGraph.rddInfos holds them. */
export interface LineageRddInfo {
  readonly name: string;
  readonly callSite?: string;
  /**
   * The operation scopes it was made in, outermost first (Spark's RDDInfo.scope and its
   * parents): `reduceByKey` for the RDDs reduceByKey made; an operation made of others gives
   * its own name only (`distinct`, not the `map` inside it). Absent when made outside any.
   */
  readonly scopes?: readonly LineageScope[];
}

/** An operation scope (Spark's RDDOperationScope): its id, unique in the driver program, and name. */
export interface LineageScope {
  readonly id: string;
  readonly name: string;
}

/** A stage's lineage up to the first shuffle reads / checkpoints below it. */
export interface Plan {
  readonly nodes: Readonly<Record<number, PlanNode>>;
  readonly root: number;
}

export function blockIdForRdd(jobId: string, rddId: number, partition: number): string {
  return `rdd_${jobId}_${rddId}_${partition}`;
}

/** A key's record in a mapWithState state RDD. */
export interface MapWithStateEntry {
  /** Whether the key has state after this batch (false: removed or timed out). */
  readonly exists: boolean;
  readonly state: unknown;
  /** Batch time the state was last updated. */
  readonly updatedAt: number;
  /** What the mapping function returned for this key in this batch. */
  readonly mapped: readonly unknown[];
}
