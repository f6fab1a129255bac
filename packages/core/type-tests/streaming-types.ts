// Type-level test of the public API, compiled by tsc in packages/core/test/types/type-tests.test.ts
// (never run). Every `@ts-expect-error` line must fail to type-check: tsc reports an unused
// one (TS2578), so a type that became too loose fails the test as surely as one too strict.
import { HashPartitioner, NarrowDependency, ShuffleDependency, State, StateSpec, StorageLevel, StreamingContext, type DStream, type Duration, type FutureAction, type RDD, type SluiceContext } from '@sluice/core';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<A, B>(ok: Equal<A, B>): void {
  void ok;
}

export function durations(sc: SluiceContext): void {
  const fine: Duration[] = [500, '500ms', '1s', '1.5s', '2m', '2min', '1h', '1d'];
  void fine;
  // @ts-expect-error a space between number and unit
  const spaced: Duration = '1 sec';
  // @ts-expect-error 'sec' is not a unit ('s' is)
  const sec: Duration = '1sec';
  // @ts-expect-error a unit with no number
  const bare: Duration = 's';
  // @ts-expect-error a number with no unit, as text
  const unitless: Duration = '1000';
  void [spaced, sec, bare, unitless];

  const ssc = new StreamingContext(sc, '1s');
  // @ts-expect-error the batch interval is a Duration
  new StreamingContext(sc, '1 second');
  const lines = ssc.queueStream([sc.parallelize(['a b'])]);
  lines.window('30s', '10s');
  // @ts-expect-error the window length is a Duration
  lines.window('30 seconds', '10s');
  lines.checkpoint('10s');
  StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => 0).timeout('2min');
  // @ts-expect-error the timeout is a Duration
  StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => 0).timeout('2 minutes');
}

export function updateStateByKeyInfersItsState(pairs: DStream<[string, number]>, sc: SluiceContext): void {
  // From an annotated state parameter.
  const annotated = pairs.updateStateByKey((ones, total: number | undefined) => (total ?? 0) + ones.length);
  expectType<typeof annotated, DStream<[string, number]>>(true);
  // From the function's result.
  const fromResult = pairs.updateStateByKey((ones) => ones.map(String));
  expectType<typeof fromResult, DStream<[string, string[]]>>(true);
  // The state type alone, as Spark's updateStateByKey[Int]; key and values come from the stream.
  const given = pairs.updateStateByKey<number>((ones, total) => ones.reduce((a, b) => a + b, total ?? 0));
  expectType<typeof given, DStream<[string, number]>>(true);
  // From the initial RDD.
  const initial = sc.parallelize<[string, bigint]>([['a', 1n]]);
  const fromInitial = pairs.updateStateByKey((ones, s) => (s ?? 0n) + BigInt(ones.length), { initialRDD: initial });
  expectType<typeof fromInitial, DStream<[string, bigint]>>(true);
  // The long form still compiles.
  const long = pairs.updateStateByKey<string, number, number>((ones, total) => (total ?? 0) + ones.length);
  expectType<typeof long, DStream<[string, number]>>(true);

  // @ts-expect-error the values are numbers, not strings
  pairs.updateStateByKey<number>((vs: string[], total) => (total ?? 0) + vs.length);
  // @ts-expect-error the result must be the state type
  pairs.updateStateByKey<number>((ones) => `${ones.length}`);
  // @ts-expect-error the state is unknown without a hint, so it cannot be added to
  pairs.updateStateByKey((ones, total) => total + ones.length);
  // @ts-expect-error only a stream of [key, value] pairs has per-key state
  pairs.map(([w]) => w).updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length);
}

export function mapWithStateInfersItsState(pairs: DStream<[string, number]>): void {
  const spec = StateSpec.function((word: string, one: number | undefined, state: State<number>) => {
    const total = (state.getOption() ?? 0) + (one ?? 0);
    state.update(total);
    return [word, total] as [string, number];
  });
  const mapped = pairs.mapWithState(spec);
  expectType<typeof mapped extends DStream<infer M> ? M : never, [string, number]>(true);
  const snapshots = mapped.stateSnapshots();
  expectType<typeof snapshots, DStream<[string, number]>>(true);
  // Key and value types come from the stream when the spec is made in place.
  const inPlace = pairs.mapWithState(StateSpec.function((word, one, state: State<string[]>) => {
    state.update([...(state.getOption() ?? []), word.toUpperCase()]);
    return (one ?? 0) * 2;
  }));
  expectType<typeof inPlace extends DStream<infer M> ? M : never, number>(true);
  expectType<ReturnType<typeof inPlace.stateSnapshots>, DStream<[string, string[]]>>(true);

  StateSpec.function((_w: string, _one: number | undefined, state: State<number>) => {
    // @ts-expect-error the state is a number
    state.update('x');
  });
  // @ts-expect-error the values of this stream are numbers, not strings
  pairs.mapWithState(StateSpec.function((_w: string, v: string | undefined, _s: State<number>) => v));
}

export function toDashboardTakesTheShapeOfItsKind(pairs: DStream<[string, number]>, lines: DStream<string>, counts: DStream<number>): void {
  pairs.toDashboard('words', { kind: 'bar', maxItems: 20 });
  counts.toDashboard('records', { kind: 'line', keepBatches: 300 });
  pairs.toDashboard('per key', { kind: 'line' });
  lines.toDashboard('lines', { kind: 'table', columns: ['line'] });
  // @ts-expect-error a bar chart takes [key, number] pairs, not strings
  lines.toDashboard('bad', { kind: 'bar' });
  // @ts-expect-error a line takes numbers or [series, number] pairs
  lines.toDashboard('bad', { kind: 'line' });
  // @ts-expect-error 'pie' is no kind
  pairs.toDashboard('bad', { kind: 'pie' });
}

interface Order { id: number; amount: number }

export function filterWithATypeGuardNarrows(raw: DStream<string>, rdd: RDD<Order | null>): void {
  // A parse that gives null for a malformed record, then a guard, as Array.prototype.filter takes.
  const parsed = raw.map((line): Order | null => {
    try {
      return JSON.parse(line) as Order;
    } catch {
      return null;
    }
  });
  const orders = parsed.filter((o): o is Order => o !== null);
  expectType<typeof orders, DStream<Order>>(true);
  orders.map((o) => o.amount);
  // TypeScript (5.5 on) infers the guard of a plain null check, so it narrows as well.
  const inferred = parsed.filter((o) => o !== null);
  expectType<typeof inferred, DStream<Order>>(true);
  // A predicate that is no guard keeps the type.
  const kept = parsed.filter((o) => o === null || o.amount > 0);
  expectType<typeof kept, DStream<Order | null>>(true);
  // @ts-expect-error without a guard the records may still be null
  kept.map((o) => o.amount);

  const good = rdd.filter((o): o is Order => o !== null);
  expectType<typeof good, RDD<Order>>(true);
  expectType<ReturnType<typeof rdd.filter<Order>>, RDD<Order>>(true);
  const same = rdd.filter((o) => o === null || o.amount > 0);
  expectType<typeof same, RDD<Order | null>>(true);
  // @ts-expect-error a guard narrows to a type of the records only
  rdd.filter((o): o is string => typeof o === 'string');
}

export function parallelizeTypesPairsWrittenInline(sc: SluiceContext, ssc: StreamingContext, parsed: ReturnType<typeof JSON.parse>, words: string[], rows: number[][]): void {
  // Spark's sc.parallelize(Seq(("a", 1), ("b", 2))).reduceByKey(_ + _), as written in TypeScript.
  const counts = sc.parallelize([['a', 1], ['b', 2]]);
  expectType<typeof counts, RDD<[string, number]>>(true);
  counts.reduceByKey((a, b) => a + b);
  // PageViewStream's userList, joined to (userID, 1) pairs; makeRDD and ssc.sparkContext alike.
  const userList = ssc.sparkContext.parallelize([[1, 'Patrick Wendell'], [2, 'Reynold Xin']]);
  expectType<typeof userList, RDD<[number, string]>>(true);
  const joined = sc.makeRDD([[1, 1], [3, 1]], 2).join(userList);
  expectType<typeof joined, RDD<[number, [number, string]]>>(true);
  // Everything else as before: plain elements, rows that are no pairs, any data, an empty literal.
  const explicit = sc.parallelize<[string, number]>([]);
  expectType<typeof explicit, RDD<[string, number]>>(true);
  const plain = sc.parallelize(words);
  expectType<typeof plain, RDD<string>>(true);
  const triples = sc.parallelize([[1, 2, 3]]);
  expectType<typeof triples, RDD<number[]>>(true);
  const grid = sc.parallelize(rows);
  expectType<typeof grid, RDD<number[]>>(true);
  const loose = sc.parallelize(parsed);
  loose.map((r) => r.anything);
  const none = sc.parallelize([]);
  expectType<typeof none, RDD<never>>(true);
  // @ts-expect-error rows of 3 are no pairs
  sc.parallelize([[1, 2, 3]]).reduceByKey((a, b) => a + b);
}

export async function numberLiteralsReduceToANumber(sc: SluiceContext, points: RDD<number>, words: RDD<string>, lines: DStream<string>): Promise<void> {
  // Spark's SparkPi: `.map { _ => if (x*x + y*y <= 1) 1 else 0 }.reduce(_ + _)`. The map is an
  // RDD<0 | 1>, and its sum a number (before 2026-12-05 a type error: number is not 0 | 1).
  const inside = sc.parallelize([1, 2, 3], 2).map(() => (Math.random() <= 0.5 ? 1 : 0));
  expectType<typeof inside, RDD<0 | 1>>(true);
  const count = await inside.reduce((a, b) => a + b);
  expectType<typeof count, number>(true);
  const folded = await inside.fold(0, (a, b) => a + b);
  expectType<typeof folded, number>(true);
  const tree = await inside.treeReduce((a, b) => a + b, 3);
  expectType<typeof tree, number>(true);
  const perBatch = lines.map((l) => (l.length > 0 ? 1 : 0)).reduce((a, b) => a + b);
  expectType<typeof perBatch, DStream<number>>(true);
  // Everything else as before: numbers, strings, a generic program's own T.
  expectType<Awaited<ReturnType<typeof points.reduce>>, number>(true);
  const joined = await words.reduce((a, b) => a + b);
  expectType<typeof joined, string>(true);
  const sumOf = <T>(rdd: RDD<T>, f: (a: T, b: T) => T): Promise<T> => rdd.reduce(f);
  expectType<Awaited<ReturnType<typeof sumOf<string>>>, string>(true);
  // @ts-expect-error a function of strings gives no number
  await words.reduce((a, b) => a.length + b.length);
  // @ts-expect-error nor one of numbers a string
  await inside.reduce((a, b) => `${a}${b}`);
}

export async function rddGuideShapes(sc: SluiceContext, lines: RDD<string>, words: DStream<string>, people: RDD<{ name: string; age: number }>): Promise<void> {
  // The RDD Programming Guide's `lines.map(s => (s, 1)).reduceByKey((a, b) => a + b)`, as written
  // in TypeScript: a pair returned from map is a pair (before 2026-12-05, RDD<(string | number)[]>).
  const pairs = lines.map((s) => [s, 1]);
  expectType<typeof pairs, RDD<[string, number]>>(true);
  const counts = pairs.reduceByKey((a, b) => a + b);
  expectType<typeof counts, RDD<[string, number]>>(true);
  const sorted = counts.sortByKey();
  expectType<typeof sorted, RDD<[string, number]>>(true);
  const streamed = words.map((w) => [w, 1]).reduceByKey((a, b) => a + b);
  expectType<typeof streamed, DStream<[string, number]>>(true);
  // Everything else as before: a value, an annotated array, an object.
  const lengths = lines.map((s) => s.length);
  expectType<typeof lengths, RDD<number>>(true);
  const arrays = lines.map((s): string[] => [s]);
  expectType<typeof arrays, RDD<string[]>>(true);
  const objects = lines.map((s) => ({ s }));
  expectType<typeof objects, RDD<{ s: string }>>(true);
  // PySpark's key functions: takeOrdered(num, key), top(num, key), max(key), min(key).
  const youngest = await people.takeOrdered(2, (p) => p.age);
  expectType<typeof youngest, { name: string; age: number }[]>(true);
  const lastByName = await people.top(1, (p) => p.name);
  expectType<typeof lastByName, { name: string; age: number }[]>(true);
  await people.max((p) => p.age);
  await lengths.takeOrdered(3, (a, b) => b - a);
  // Every Spark storage level persists (the guide's MEMORY_ONLY_SER); getStorageLevel gives it back.
  lines.persist(StorageLevel.MEMORY_ONLY_SER);
  words.persist(StorageLevel.MEMORY_AND_DISK_SER_2);
  const level = lines.getStorageLevel();
  expectType<typeof level, StorageLevel>(true);
  // @ts-expect-error no such level
  lines.persist('MEMORY');
  // @ts-expect-error PySpark's sortByKey keyfunc: write sortBy(([k]) => keyfunc(k), ...)
  counts.sortByKey(true, 2, (k: string) => k.toLowerCase());
  // @ts-expect-error Spark's env map is { env: { ... } }
  lines.pipe('cat', { FOO: 'bar' });
}

export async function scalaCurriedForms(points: RDD<number>, words: RDD<string>, pairs: RDD<[string, number]>): Promise<void> {
  // Scala's fold(zero)(op), aggregate(zero)(seqOp, combOp), treeAggregate(zero)(seqOp, combOp, depth).
  const total = await points.fold(0)((a, b) => a + b);
  expectType<typeof total, number>(true);
  const inside = points.map((x) => (x > 0 ? 1 : 0));
  const count = await inside.fold(0)((a, b) => a + b);
  expectType<typeof count, number>(true);
  const longest = await words.fold('')((a, b) => (a.length >= b.length ? a : b));
  expectType<typeof longest, string>(true);
  const sumCount = await words.aggregate<[number, number]>([0, 0])((acc, w) => [acc[0] + w.length, acc[1] + 1], (a, b) => [a[0] + b[0], a[1] + b[1]]);
  expectType<typeof sumCount, [number, number]>(true);
  const lengths = await words.treeAggregate(0)((acc, w) => acc + w.length, (a, b) => a + b, 3);
  expectType<typeof lengths, number>(true);
  // @ts-expect-error the words are strings
  await words.fold('')((a, b) => a * b);
  // @ts-expect-error seqOp takes the accumulator first
  await words.aggregate(0)((w: string, acc: number) => acc + w.length, (a, b) => a + b);
  // foldByKey(zero[, partitions])(func), aggregateByKey(zero[, partitions])(seqOp, combOp), reduceByKey(partitioner, func).
  const sums = pairs.foldByKey(0)((a, b) => a + b);
  expectType<typeof sums, RDD<[string, number]>>(true);
  const sums3 = pairs.foldByKey(0, 3)((a, b) => a + b);
  expectType<typeof sums3, RDD<[string, number]>>(true);
  const sets = pairs.aggregateByKey(new Set<number>(), HashPartitioner.of(2))((s, v) => s.add(v), (a, b) => new Set([...a, ...b]));
  expectType<typeof sets, RDD<[string, Set<number>]>>(true);
  const reduced = pairs.reduceByKey(HashPartitioner.of(4), (a, b) => a + b);
  expectType<typeof reduced, RDD<[string, number]>>(true);
  // @ts-expect-error the values are numbers
  pairs.foldByKey('')((a, b) => a + b);
  // The curried forms leave RDD<T> assignable to RDD<unknown>, as every RDD is.
  const anyRdd: RDD<unknown> = words;
  const generic = <T>(rdd: RDD<T>): RDD<unknown> => rdd;
  void [anyRdd, generic];
}

export function jvmOnlyMethodsRefuseArguments(sc: SluiceContext, rdd: RDD<[string, number]>, lines: DStream<string>): void {
  // Spark's Hadoop and JVM methods exist only to refuse by name (at run time, for JavaScript): TypeScript refuses any argument.
  // @ts-expect-error not provided: saveAsObjectFile or saveAsTextFile
  rdd.saveAsSequenceFile('out');
  // @ts-expect-error not provided: saveAsTextFile
  rdd.saveAsHadoopFile('out', 'Text', 'IntWritable', 'TextOutputFormat');
  // @ts-expect-error not provided: sc.textFile
  sc.hadoopFile('in', 'TextInputFormat', 'LongWritable', 'Text');
  // @ts-expect-error not provided: sc.objectFile
  sc.sequenceFile('in', 'Text', 'IntWritable');
  // @ts-expect-error not provided: saveAsTextFiles
  lines.saveAsHadoopFiles('out', 'txt');
}

export async function runJobAndSubmitJob(sc: SluiceContext, words: RDD<string>): Promise<void> {
  // sc.runJob: one value a partition, an async function's awaited; sc.submitJob: a FutureAction of resultFunc's value.
  const lengths = await sc.runJob(words, (it) => [...it].length, [0]);
  expectType<typeof lengths, number[]>(true);
  const firsts = await sc.runJob(words, async (it) => [...it][0] ?? '');
  expectType<typeof firsts, string[]>(true);
  const seen: [number, number][] = [];
  const f = sc.submitJob(words, (it) => [...it].length, [0, 1], (index, n) => void seen.push([index, n]), () => seen.length);
  expectType<typeof f, FutureAction<number>>(true);
  const done: boolean = f.isDone();
  const ids: readonly number[] = f.jobIds;
  void [done, ids];
  // @ts-expect-error the handler's result is the function's: a number, not a string
  sc.submitJob(words, (it) => [...it].length, [0], (_index: number, s: string) => void s, () => 0);
}

export function rddDependencies(pairs: RDD<[string, number]>): void {
  // rdd.dependencies: Dependency objects, narrowed by instanceof as Scala's pattern match.
  for (const d of pairs.reduceByKey((a, b) => a + b).dependencies) {
    const parent: RDD<unknown> = d.rdd;
    if (d instanceof ShuffleDependency) expectType<typeof d.partitioner.numPartitions, number>(true);
    if (d instanceof NarrowDependency) expectType<ReturnType<typeof d.getParents>, number[]>(true);
    void parent;
  }
  // @ts-expect-error dependencies is read-only (a getter)
  pairs.dependencies = [];
}

export function killTaskAttempt(sc: SluiceContext): void {
  // Task ids are strings (TaskContext.taskAttemptId(), the listener's and REST's taskId); Spark's returns whether it ran.
  const killed: boolean = sc.killTaskAttempt('app-1.s0r0.p1.a0');
  const again: boolean = sc.killTaskAttempt('app-1.s0r0.p1.a0', false, 'my reason');
  void [killed, again];
  // @ts-expect-error a task id is a string, not Spark's Long
  sc.killTaskAttempt(42);
}

export function addArchive(sc: SluiceContext): void {
  sc.addArchive('data.tar.gz');
  sc.addArchive('model.zip#model');
  const archives: string[] = sc.listArchives();
  void archives;
  // @ts-expect-error one path, as Spark's
  sc.addArchive('a.zip', true);
}
