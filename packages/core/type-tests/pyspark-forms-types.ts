// Type-level test of the forms added on 2026-12-07 for what a Spark (Scala or PySpark) user
// writes, compiled by tsc in packages/core/test/types/type-tests.test.ts (never run): each
// accepted form type-checks with its result's type; each refused form is `@ts-expect-error`.
import { HashPartitioner, type DStream, type RDD, type StreamingContext } from '@sluice/core';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<A, B>(ok: Equal<A, B>): void {
  void ok;
}

export function rddPartitionFunc(pairs: RDD<[string, number]>, nums: RDD<number>): void {
  const sum = (a: number, b: number): number => a + b;
  const pf = (k: string): number => k.length;
  expectType<typeof pairs, ReturnType<typeof pairs.partitionBy<string, number>>>(true);
  const byCount = pairs.partitionBy(3);
  const byFunc = pairs.partitionBy(3, (k) => k.length);
  expectType<typeof byCount, RDD<[string, number]>>(true);
  expectType<typeof byFunc, RDD<[string, number]>>(true);
  expectType<ReturnType<typeof pairs.groupByKey<string, number>>, RDD<[string, number[]]>>(true);
  const grouped = pairs.groupByKey(2, pf);
  expectType<typeof grouped, RDD<[string, number[]]>>(true);
  const reduced = pairs.reduceByKey(sum, 2, pf);
  const reducedDefault = pairs.reduceByKey(sum, undefined, pf);
  expectType<typeof reduced | typeof reducedDefault, RDD<[string, number]>>(true);
  const combined = pairs.combineByKey((v: number) => [v], (c: number[], v: number) => [...c, v], (a: number[], b: number[]) => [...a, ...b], 2, pf);
  expectType<typeof combined, RDD<[string, number[]]>>(true);
  const folded = pairs.foldByKey(0, sum, 2, pf);
  expectType<typeof folded, RDD<[string, number]>>(true);
  const aggregated = pairs.aggregateByKey(0, sum, sum, 2, pf);
  expectType<typeof aggregated, RDD<[string, number]>>(true);
  const byParity = nums.groupBy((x) => x % 2, 2, (k) => k);
  expectType<typeof byParity, RDD<[number, number[]]>>(true);
  void nums.saveAsTextFile('out', 'org.apache.hadoop.io.compress.GzipCodec');
  void nums.saveAsTextFile('out', 'org.apache.hadoop.io.compress.DefaultCodec');
  void nums.saveAsTextFile('out', 'gzip');

  const kept = pairs.map(([k, v]): [string, number] => [k, v + 1], true);
  expectType<typeof kept, RDD<[string, number]>>(true);
  const inline = pairs.map(([k, v]) => [k, v * 2], true);
  expectType<typeof inline, RDD<[string, number]>>(true);
  const flat = nums.flatMap((x) => [x, x], false);
  expectType<typeof flat, RDD<number>>(true);
  // @ts-expect-error preservesPartitioning is a boolean
  nums.map((x) => x, 'yes');
  // @ts-expect-error a partitionFunc goes with a count, not a Partitioner
  pairs.partitionBy(HashPartitioner.of(2), pf);
  // @ts-expect-error the partitionFunc takes the key (a string here)
  pairs.partitionBy(2, (k: number) => k);
  // @ts-expect-error a partitionFunc returns a number
  pairs.groupByKey(2, (k: string) => k);
  // @ts-expect-error a partitionFunc goes with a count, not an options object
  pairs.reduceByKey(sum, { numPartitions: 2 }, pf);
  // @ts-expect-error only the codecs Sluice writes
  void nums.saveAsTextFile('out', 'org.apache.hadoop.io.compress.SnappyCodec');
}

export function streamForms(ssc: StreamingContext, words: DStream<string>, pairs: DStream<[string, number]>): void {
  const queued = ssc.queueStream([[1, 2], [3]], true, [0]);
  expectType<typeof queued, DStream<number>>(true);
  const rdds = ssc.queueStream([ssc.sparkContext.parallelize(['a'])]);
  expectType<typeof rdds, DStream<string>>(true);
  const unionArgs = ssc.union(words, words.map((w) => w.toUpperCase()));
  const unionArray = ssc.union([words, words]);
  expectType<typeof unionArgs | typeof unionArray, DStream<string>>(true);
  const byFunc = pairs.partitionBy(2, (k) => k.length);
  const byCount = pairs.partitionBy(2);
  const byPartitioner = pairs.partitionBy(HashPartitioner.of(2));
  expectType<typeof byFunc | typeof byCount | typeof byPartitioner, DStream<[string, number]>>(true);
  const indexed = words.mapPartitionsWithIndex((i, it) => [...it].map((w): [number, string] => [i, w]), true);
  expectType<typeof indexed, DStream<[number, string]>>(true);
  const keptStream = pairs.map(([k, v]) => [k, v + 1], true);
  expectType<typeof keptStream, DStream<[string, number]>>(true);
  const flatStream = words.flatMap((w) => w.split(''), true);
  expectType<typeof flatStream, DStream<string>>(true);
  // @ts-expect-error preservesPartitioning is a boolean
  words.flatMap((w) => [w], 1);
  words.pprint();
  words.pprint(5);
  const two = words.transformWith((a: RDD<string>, b: RDD<number>) => a.zip(b), pairs.map(([, v]) => v));
  expectType<typeof two, DStream<[string, number]>>(true);
  const three = words.transformWith((time: number, a: RDD<string>, b: RDD<string>) => a.union(b).map((w) => `${time}:${w}`), words);
  expectType<typeof three, DStream<string>>(true);
  const scala = words.transformWith(words, (a, b, time) => a.union(b).map((w) => `${time}:${w}`));
  expectType<typeof scala, DStream<string>>(true);
  const windowed = pairs.map(([, v]) => v).reduceByWindow((a, b) => a + b, null, '2s', '1s');
  expectType<typeof windowed, DStream<number>>(true);
  const combined = pairs.combineByKey((v: number) => v, (c: number, v: number) => c + v, (a: number, b: number) => a + b, HashPartitioner.of(2), false);
  expectType<typeof combined, DStream<[string, number]>>(true);

  const sliced = words.slice(new Date(0), new Date(2000));
  const slicedMs = words.slice(0, 2000);
  expectType<typeof sliced | typeof slicedMs, RDD<string>[]>(true);
  const waited = ssc.awaitTermination(10_000);
  expectType<typeof waited, Promise<void>>(true);

  // @ts-expect-error slice's times are ms or Dates, not text
  words.slice('0', '2000');
  // @ts-expect-error awaitTermination's timeout is a number of ms (awaitTerminationOrTimeout's)
  void ssc.awaitTermination('10s');
  // @ts-expect-error the partitionFunc takes the key (a string here)
  pairs.partitionBy(2, (k: number) => k);
  // @ts-expect-error partitionBy is for streams of pairs
  words.partitionBy(2);
  // @ts-expect-error an array and more streams at once
  ssc.union([words], words);
  // @ts-expect-error pprint's count is a number
  words.pprint('5');
  // @ts-expect-error the fifth argument is a boolean
  pairs.combineByKey((v: number) => v, (c: number, v: number) => c + v, (a: number, b: number) => a + b, 2, 'no');
  // @ts-expect-error a queue's lists hold the stream's elements: one type
  const mixed: DStream<number> = ssc.queueStream([[1], ['a']]);
  void mixed;
}
