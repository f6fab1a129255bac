import type { ShippedFunction } from '../closure/shipped-function.js';
import type { AggregatorSpec, NodeOp, Plan, PlanNode } from './plan.js';
import type { RDD } from './rdd.js';
import { creationSiteText } from './rdd-operation-scope.js';

/**
 * An RDD's lineage as text, in the shape of Spark's `RDD.toDebugString`: one line per RDD,
 * `(partitions) Class[id] at operator at file:line:column [storage level]`, its parents
 * below it indented by `|`; a shuffle dependency starts a new stage, drawn `+-(partitions)`
 * one level further in. An RDD reached twice (a diamond) is written each time, as Spark's.
 * A checkpointed RDD's parent is its checkpoint (ReliableCheckpointRDD, or LocalCheckpointRDD
 * for a local checkpoint), whose lineage was cut.
 *
 * The class names are Spark's where Sluice has the same thing (ParallelCollectionRDD,
 * MapPartitionsRDD, ShuffledRDD, CoGroupedRDD, UnionRDD, ...), so a reader can look them up;
 * after ` at ` each RDD's creation site, as Spark's: the operation the program called and where
 * (source-mapped), the RDDs a streaming batch makes their stream's. One stack a call of the
 * program's, not an RDD, taken unformatted and read only here (RDD.creationSite).
 */
export function debugString(rdd: RDD<unknown>): string {
  const lines: string[] = [];
  // `prefix` opens the line of an RDD reached through a narrow dependency and is kept for its
  // own parents; an RDD that starts a stage (the root, a shuffle's map side) opens a new column
  // under the middle of its partition count, and `+-` marks it where the column it leaves was.
  const visit = (r: RDD<unknown>, prefix: string, startsStage: boolean, lastParent: boolean): void => {
    let next = prefix;
    if (startsStage) {
      const count = `(${r.numPartitions})`;
      const middle = Math.floor((count.length - 1) / 2);
      const column = `${' '.repeat(middle)}|${' '.repeat(count.length - middle)}`;
      if (lines.length === 0) {
        lines.push(`${count} ${describeStored(r)}`);
        next = column;
      } else {
        const base = prefix.replace(/\|\s*$/, '');
        lines.push(`${base}+-${count} ${describeStored(r)}`);
        next = `${base}${lastParent ? '  ' : '| '}${column}`;
      }
    } else {
      lines.push(`${prefix}${describeStored(r)}`);
    }
    if (r.checkpointDir !== undefined) {
      lines.push(`${next}ReliableCheckpointRDD at checkpoint (${r.checkpointDir}) []`);
      return;
    }
    if (r.locallyCheckpointed) {
      lines.push(`${next}LocalCheckpointRDD at localCheckpoint (rdd ${r.id}'s cached blocks) []`);
      return;
    }
    r.deps.forEach((d, i) => visit(d.rdd, next, d.type === 'shuffle', i === r.deps.length - 1));
  };
  visit(rdd, '', true, true);
  return lines.join('\n');
}

/**
 * One RDD as Spark's `RDD.toString` writes it: `[name ]Class[id] at creation site` (no storage
 * level: toDebugString adds it), the creation site the operation the program called and where
 * (`distinct at /jobs/job.ts:5:14` for each RDD distinct makes); made outside any, the
 * operator and the place of its function, if it has one.
 */
export function describe(r: RDD<unknown>): string {
  const { cls, operator, site } = classOf(r.op);
  const name = r.name !== undefined ? `${r.name} ` : '';
  const at = creationSiteText(r.creationSite) ?? (site !== undefined ? `${operator} at ${site}` : operator);
  return `${name}${cls}[${r.id}] at ${at}`;
}

/**
 * The operator whose records a plan's root (or node `nodeId`) holds and where the program called it, as the
 * "not serializable" errors name it (`rdd.map`, `/jobs/job.ts:5:26`): the root's, else the
 * nearest single narrow parent's with a call site (a cache read, a coalesce has none of its
 * own). Undefined when none has one.
 */
export function recordsMadeAt(plan: Plan, nodeId: number = plan.root): { readonly operator: string; readonly site: string } | undefined {
  for (let node: PlanNode | undefined = plan.nodes[nodeId]; node !== undefined; node = node.parents.length === 1 ? plan.nodes[node.parents[0]!] : undefined) {
    const { operator, site } = classOf(node.op);
    if (site !== undefined) return { operator: `rdd.${operator}`, site };
  }
  return undefined;
}

/** One RDD's line in toDebugString, as Spark's debugSelf: its toString, then `[storage level]`. */
function describeStored(r: RDD<unknown>): string {
  return `${describe(r)} [${r.storage === 'NONE' ? '' : r.storage}]`;
}

/** The RDD class Spark would have made for `op` (`MapPartitionsRDD`, `ShuffledRDD`, ...): its RDDInfo name when none was set. */
export function rddClassName(op: NodeOp): string {
  return classOf(op).cls;
}

function classOf(op: NodeOp): { cls: string; operator: string; site?: string } {
  const mapped = (operator: string, fn?: ShippedFunction): { cls: string; operator: string; site?: string } => ({ cls: 'MapPartitionsRDD', operator, site: fn?.callSite });
  switch (op.kind) {
    case 'parallelize':
      // No slice at all: sc.emptyRDD's (sc.parallelize makes at least one), Spark's EmptyRDD.
      return op.slices.length === 0 ? { cls: 'EmptyRDD', operator: 'emptyRDD' } : { cls: 'ParallelCollectionRDD', operator: 'parallelize' };
    case 'range':
      return { cls: 'ParallelCollectionRDD', operator: 'range' };
    case 'textFile':
      return { cls: 'TextFileRDD', operator: 'textFile' };
    case 'binaryRecords':
      return { cls: 'BinaryRecordsRDD', operator: op.splits.some((s) => s.stream !== undefined) ? 'binaryRecordsStream' : 'binaryRecords' };
    case 'checkpointFile':
      return { cls: 'ReliableCheckpointRDD', operator: 'checkpoint' };
    case 'localCheckpoint':
      return { cls: 'LocalCheckpointRDD', operator: 'localCheckpoint' };
    case 'objectFile':
      return { cls: 'ObjectFileRDD', operator: 'objectFile' };
    case 'wholeFiles':
      return op.binary ? { cls: 'BinaryFileRDD', operator: 'binaryFiles' } : { cls: 'WholeTextFileRDD', operator: 'wholeTextFiles' };
    case 'blocks':
      return { cls: 'BlockRDD', operator: 'receiver blocks' };
    case 'directInput':
      return { cls: 'DirectInputRDD', operator: 'direct input', site: op.reader.callSite };
    case 'map':
    case 'filter':
    case 'flatMap':
    case 'mapValues':
    case 'flatMapValues':
    case 'keyBy':
      return mapped(op.kind, op.fn);
    case 'mapPartitions':
      return mapped(op.withIndex ? 'mapPartitionsWithIndex' : 'mapPartitions', op.fn);
    case 'keys':
    case 'values':
    case 'glom':
      return mapped(op.kind);
    case 'sketchEstimate':
      return mapped('countApproxDistinctByKey');
    case 'aggregatePartition':
      return mapped('treeAggregate', op.seqOp);
    case 'pipe':
      return { cls: 'PipedRDD', operator: 'pipe' };
    case 'keyRange':
      return mapped('filterByRange');
    case 'sortWithinPartition':
      return mapped('repartitionAndSortWithinPartitions');
    case 'keyCounts':
    case 'sampleExact':
      return mapped('sampleByKeyExact');
    case 'pairWithNull':
      return mapped('distinct');
    case 'roundRobinKeys':
      return mapped('repartition');
    case 'reduceWindow':
      return mapped('reduceByKeyAndWindow', op.reduce);
    case 'updateState':
      return mapped('updateStateByKey', op.fn);
    case 'mapWithState':
      return mapped('mapWithState', op.fn);
    case 'joinValues':
      return mapped(op.mode === 'inner' ? 'join' : `${op.mode === 'full' ? 'fullOuter' : op.mode + 'Outer'}Join`);
    case 'combineLocal':
      return mapped(aggregatorOperator(op.aggregator), aggregatorFn(op.aggregator));
    case 'sample':
      return { cls: 'PartitionwiseSampledRDD', operator: 'sample' };
    case 'zipWithIndex':
      return { cls: 'ZippedWithIndexRDD', operator: 'zipWithIndex' };
    case 'union':
      return { cls: 'UnionRDD', operator: 'union' };
    case 'partitionerAwareUnion':
      return { cls: 'PartitionerAwareUnionRDD', operator: 'union' };
    case 'coalesce':
      if (op.pruning !== undefined && op.pruning !== false) return { cls: 'PartitionPruningRDD', operator: op.pruning === 'create' ? 'create' : 'filterByRange' };
      return { cls: 'CoalescedRDD', operator: 'coalesce' };
    case 'cartesian':
      return { cls: 'CartesianRDD', operator: 'cartesian' };
    case 'zipPartitions':
      return { cls: `ZippedPartitionsRDD${op.inputs ?? 2}`, operator: 'zipPartitions', site: op.fn.callSite };
    case 'shuffled': {
      const agg = op.shuffle.aggregator;
      const operator = agg !== undefined ? aggregatorOperator(agg) : op.sort !== undefined ? 'sortByKey' : 'partitionBy';
      return { cls: 'ShuffledRDD', operator, site: agg !== undefined ? aggregatorFn(agg)?.callSite : undefined };
    }
    case 'cogroup':
      return { cls: 'CoGroupedRDD', operator: 'cogroup' };
    default: {
      const never: never = op;
      return { cls: 'RDD', operator: (never as { kind: string }).kind };
    }
  }
}

function aggregatorOperator(a: AggregatorSpec): string {
  switch (a.kind) {
    case 'reduce':
      return 'reduceByKey';
    case 'group':
      return 'groupByKey';
    case 'fold':
      return 'foldByKey';
    case 'aggregate':
      return 'aggregateByKey';
    case 'combine':
      return 'combineByKey';
    case 'first':
      return 'distinct';
    case 'approxDistinct':
      return 'countApproxDistinctByKey';
  }
}

function aggregatorFn(a: AggregatorSpec): ShippedFunction | undefined {
  switch (a.kind) {
    case 'reduce':
    case 'fold':
      return a.fn;
    case 'aggregate':
      return a.seqOp;
    case 'combine':
      return a.createCombiner;
    default:
      return undefined;
  }
}
