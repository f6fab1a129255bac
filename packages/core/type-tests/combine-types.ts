// Type-level test of the combining operators' functions, compiled by tsc in
// packages/core/test/types/type-tests.test.ts (never run): a function returning an array
// literal where the operator's accumulator is a tuple needs no cast (see core's rdd/returned.ts).
// With the old `=> U` signatures each `tuple` line below fails ("Type 'number[]' is not
// assignable to type '[number, number]'").
import type { DStream, RDD } from '@sluice/core';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<A, B>(ok: Equal<A, B>): void {
  void ok;
}

type Stats = [count: number, total: number, max: number];

export function tupleAccumulators(ms: RDD<[string, number]>, pairs: RDD<[string, [number, number]]>, nums: RDD<number>): void {
  // user51's log job: per path, [count, total ms, max ms], then the top paths by count.
  const perPath = ms.aggregateByKey([0, 0, 0] as Stats, (acc, v) => [acc[0] + 1, acc[1] + v, Math.max(acc[2], v)], (a, b) => [a[0] + b[0], a[1] + b[1], Math.max(a[2], b[2])]);
  expectType<typeof perPath, RDD<[string, Stats]>>(true);
  // sortBy by a tuple key needed no cast before either (its key type is inferred from the function).
  const top = perPath.sortBy(([p, a]) => [-a[0], p]);
  expectType<typeof top, RDD<[string, Stats]>>(true);
  const curried = ms.aggregateByKey([0, 0] as [number, number])((acc, v) => [acc[0] + v, acc[1] + 1], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof curried, RDD<[string, [number, number]]>>(true);
  const sums = pairs.reduceByKey((a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof sums, RDD<[string, [number, number]]>>(true);
  // foldByKey's zero takes its type from the RDD: [0, 0] is a [number, number] here.
  const folded = pairs.foldByKey([0, 0], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof folded, RDD<[string, [number, number]]>>(true);
  const combined = ms.combineByKey((v): [number, number] => [v, 1], (c, v) => [c[0] + v, c[1] + 1], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof combined, RDD<[string, [number, number]]>>(true);
  const meanParts: Promise<[number, number]> = nums.aggregate([0, 0] as [number, number], (acc, v) => [acc[0] + v, acc[1] + 1], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  const treeParts: Promise<[number, number]> = nums.treeAggregate([0, 0] as [number, number], (acc, v) => [acc[0] + v, acc[1] + 1], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  void [meanParts, treeParts];
  // SparkKMeans' reduceByKey { case ((x1, y1), (x2, y2)) => (x1 + x2, y1 + y2) }, written as Scala's.
  const add = (a: number[], b: number[]): number[] => a.map((x, i) => x + b[i]);
  const closest: RDD<[number, [number[], number]]> = nums.map((n) => [n % 2, [[n, n], 1]] as [number, [number[], number]]);
  const pointStats = closest.reduceByKey(([x1, y1], [x2, y2]) => [add(x1, x2), y1 + y2]);
  expectType<typeof pointStats, RDD<[number, [number[], number]]>>(true);

  // Still as before: the accumulator's type from the zero, or widened by a named function's declared return.
  const plus = (a: number, b: number): number => a + b;
  const total: Promise<number> = nums.aggregate(0, plus, plus);
  const counts = ms.aggregateByKey(0, (n, v) => n + v, (a, b) => a + b);
  expectType<typeof counts, RDD<[string, number]>>(true);
  const texts = ms.aggregateByKey('', (s, v) => s + v, (a, b) => a + b);
  expectType<typeof texts, RDD<[string, string]>>(true);
  const lists = ms.combineByKey((v) => [v], (c, v) => [...c, v], (a, b) => [...a, ...b]);
  expectType<typeof lists, RDD<[string, number[]]>>(true);
  const sets = ms.aggregateByKey(new Set<number>(), (s, v) => s.add(v), (a, b) => new Set([...a, ...b]));
  expectType<typeof sets, RDD<[string, Set<number>]>>(true);
  void total;

  // @ts-expect-error a tuple of the wrong length
  pairs.reduceByKey((a, b) => [a[0] + b[0]]);
  // @ts-expect-error an empty array is no [number, number]
  pairs.reduceByKey(() => []);
  // @ts-expect-error the accumulator is a number, not a string
  ms.aggregateByKey(0, (n, v) => String(n + v), (a, b) => a + b);
}

export function tupleAccumulatorsInStreams(ms: DStream<[string, number]>, pairs: DStream<[string, [number, number]]>): void {
  const sums = pairs.reduceByKey((a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof sums, DStream<[string, [number, number]]>>(true);
  const combined = ms.combineByKey((v): [number, number] => [v, 1], (c, v) => [c[0] + v, c[1] + 1], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof combined, DStream<[string, [number, number]]>>(true);
  const windowed = pairs.reduceByKeyAndWindow((a, b) => [a[0] + b[0], a[1] + b[1]], '30s', '10s');
  const inverse = pairs.reduceByKeyAndWindow((a, b) => [a[0] + b[0], a[1] + b[1]], (a, b) => [a[0] - b[0], a[1] - b[1]], '30s', '10s');
  const options = pairs.reduceByKeyAndWindow((a, b) => [a[0] + b[0], a[1] + b[1]], '30s', '10s', { invFunc: (a, b) => [a[0] - b[0], a[1] - b[1]] });
  expectType<typeof windowed | typeof inverse | typeof options, DStream<[string, [number, number]]>>(true);
}
