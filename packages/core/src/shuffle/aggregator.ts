import type { ShippedFunction } from '../closure/shipped-function.js';
import { copier } from '../codec/codec.js';
import { merge, newSketch, offer } from '../rdd/hyper-log-log.js';
import type { AggregatorSpec } from '../rdd/plan.js';
import { CombineTable, type CombineEntries } from './combine-table.js';

/** The three functions of a combine-by-key, as Spark's Aggregator. */
export interface Aggregator {
  createCombiner(v: unknown): unknown;
  mergeValue(c: unknown, v: unknown): unknown;
  mergeCombiners(a: unknown, b: unknown): unknown;
}

type Revive = (fn: ShippedFunction) => Function;

/** The createCombiner of reduceByKey and distinct: the first value is the combiner (a CombineTable then calls nothing). */
export const identityCombiner = (v: unknown): unknown => v;

export function makeAggregator(spec: AggregatorSpec, revive: Revive): Aggregator {
  switch (spec.kind) {
    case 'reduce': {
      const f = revive(spec.fn) as (a: unknown, b: unknown) => unknown;
      return { createCombiner: identityCombiner, mergeValue: f, mergeCombiners: f };
    }
    case 'group':
      return {
        createCombiner: (v) => [v],
        mergeValue: (c, v) => {
          (c as unknown[]).push(v);
          return c;
        },
        mergeCombiners: (a, b) => {
          for (const x of b as unknown[]) (a as unknown[]).push(x);
          return a;
        },
      };
    case 'fold': {
      const f = revive(spec.fn) as (a: unknown, b: unknown) => unknown;
      const zero = copier(spec.zero);
      return { createCombiner: (v) => f(zero(), v), mergeValue: f, mergeCombiners: f };
    }
    case 'aggregate': {
      const seq = revive(spec.seqOp) as (a: unknown, b: unknown) => unknown;
      const comb = revive(spec.combOp) as (a: unknown, b: unknown) => unknown;
      const zero = copier(spec.zero);
      return { createCombiner: (v) => seq(zero(), v), mergeValue: seq, mergeCombiners: comb };
    }
    case 'combine':
      return {
        createCombiner: revive(spec.createCombiner) as (v: unknown) => unknown,
        mergeValue: revive(spec.mergeValue) as (c: unknown, v: unknown) => unknown,
        mergeCombiners: revive(spec.mergeCombiners) as (a: unknown, b: unknown) => unknown,
      };
    case 'first':
      return { createCombiner: identityCombiner, mergeValue: (c) => c, mergeCombiners: (a) => a };
    case 'approxDistinct': {
      const p = spec.p;
      return {
        createCombiner: (v) => offer(newSketch(p), v),
        mergeValue: (c, v) => offer(c as Uint8Array, v),
        mergeCombiners: (a, b) => merge(a as Uint8Array, b as Uint8Array),
      };
    }
    default: {
      const never: never = spec;
      throw new Error(`unknown aggregator ${JSON.stringify(never)}`);
    }
  }
}

/**
 * A table combining values by key with `agg` (createCombiner, mergeValue): one look-up per
 * pair; see CombineTable for `limit` and `spill`.
 */
export function combineTable(agg: Aggregator, limit?: number, spill?: (entries: CombineEntries) => void): CombineTable {
  return new CombineTable(agg.createCombiner === identityCombiner ? undefined : agg.createCombiner, agg.mergeValue, limit, spill);
}
