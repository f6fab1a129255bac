// Type-level test (compiled by packages/core/test/types/type-tests.test.ts under strict, never
// run): the first three programs a Spark Streaming user ports, written as they come from the
// Scala (Spark's StatefulNetworkWordCount; a Kafka direct stream into Postgres with its offsets
// committed; windowed counts with an inverse function), type-check without a cast, an `any` or
// a type argument Scala did not need; the mistakes a port makes are refused. Found porting them
// on 2026-12-07: Scala's named arguments of ssc.stop (stopSparkContext = false, stopGracefully
// = true), written as an object, were a type error (and, from JavaScript, a stop at once);
// updateStateByKey(updateFunc, numPartitions) and (updateFunc, partitioner, initialRDD) too
// (from JavaScript the count was ignored).
import { HashPartitioner, Minutes, Seconds, StreamingContext, type DStream, type SluiceContext, type StopOptions } from '@sluice/core';
import { ConsumerStrategies, KafkaUtils, LocationStrategies, hasOffsetRanges, keyString, valueString, type KafkaParams } from '@sluice/kafka';
import { saveToPostgres } from '@sluice/postgres';

// StatefulNetworkWordCount: updateStateByKey with Spark's (values: Seq[Int], state: Option[Int]) function, a checkpoint.
export async function statefulNetworkWordCount(sc: SluiceContext, args: readonly string[]): Promise<void> {
  const [hostname = 'localhost', port = '9999'] = args;
  const updateFunc = (values: number[], state: number | undefined): number | undefined => values.reduce((a, b) => a + b, 0) + (state ?? 0);
  const ssc = new StreamingContext(sc, Seconds(1));
  ssc.checkpoint('.');
  const wordDstream = ssc.socketTextStream(hostname, Number(port)).flatMap((x) => x.split(' ')).map((x) => [x, 1]);
  const stateDstream: DStream<[string, number]> = wordDstream.updateStateByKey(updateFunc);
  // Spark's updateStateByKey[Int](...) with the state type alone.
  const typed: DStream<[string, number]> = wordDstream.updateStateByKey<number>((values, state) => values.length + (state ?? 0));
  // @ts-expect-error a state of another type than the function returns
  const wrong: DStream<[string, string]> = wordDstream.updateStateByKey(updateFunc);
  // @ts-expect-error the function's values are the pairs' values (numbers), not strings
  wordDstream.updateStateByKey((values: string[], state: number | undefined) => values.length + (state ?? 0));
  // Spark's positional forms: (updateFunc, numPartitions), (updateFunc, partitioner, initialRDD).
  const counted: DStream<[string, number]> = wordDstream.updateStateByKey(updateFunc, 4);
  const initial = sc.parallelize<[string, number]>([['to', 1]]);
  const placed: DStream<[string, number]> = wordDstream.updateStateByKey(updateFunc, HashPartitioner.of(4), initial);
  // @ts-expect-error a partition count is a number
  wordDstream.updateStateByKey(updateFunc, '4');
  void [typed, wrong, counted, placed];
  stateDstream.print();
  ssc.start();
  await ssc.awaitTermination();
}

// DirectKafkaWordCount's stream, into Postgres, offsets committed after the output.
export async function kafkaToPostgres(sc: SluiceContext): Promise<void> {
  const ssc = new StreamingContext(sc, Seconds(2));
  // Scala's Map[String, Object]: typed as KafkaParams, its 'auto.offset.reset' stays a literal.
  const kafkaParams: KafkaParams = { 'bootstrap.servers': 'localhost:9092', 'group.id': 'clicks', 'auto.offset.reset': 'latest', 'enable.auto.commit': false };
  const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent, ConsumerStrategies.Subscribe(['clicks'], kafkaParams));
  const counts = stream.map((record) => [keyString(record) ?? '', 1]).reduceByKey((a, b) => a + b);
  saveToPostgres(counts, { connectionString: 'postgres://localhost/clicks', table: 'click_counts', columns: ['page', 'clicks'], conflictKey: ['page'] });
  // @ts-expect-error a record's key is a Buffer (or null): decode it with keyString
  stream.map((record): [string, number] => [record.key, 1]);
  // @ts-expect-error Kafka's StringDeserializer: records carry Buffers, decoded with valueString
  const stringParams: KafkaParams = { 'bootstrap.servers': 'localhost:9092', 'value.deserializer': 'org.apache.kafka.common.serialization.StringDeserializer' };
  void stringParams;
  stream.map((r) => valueString(r)).print();
  stream.foreachRDD(async (rdd) => {
    if (hasOffsetRanges(rdd)) await stream.commitAsync(rdd.offsetRanges());
  });
  ssc.start();
  await ssc.awaitTermination();
}

// reduceByKeyAndWindow(_ + _, _ - _, Seconds(30), Seconds(10)), and with a filter of zero counts.
export async function windowCounts(sc: SluiceContext): Promise<void> {
  const ssc = new StreamingContext(sc, Seconds(2));
  ssc.checkpoint('/tmp/window-counts');
  const lines = ssc.socketTextStream('localhost', 9999);
  const pairs = lines.flatMap((l) => l.split(' ')).map((w) => [w, 1]);
  const windowed: DStream<[string, number]> = pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(30), Seconds(10));
  windowed.print();
  const noZeros = pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Minutes(1), Seconds(10), 2, ([, n]) => n > 0);
  noZeros.foreachRDD(async (rdd, time) => console.log(time, await rdd.sortBy(([, n]) => n, false).take(10)));
  // @ts-expect-error an inverse function must give the values' type back
  pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => String(a - b), Seconds(30), Seconds(10));
  // @ts-expect-error '30 seconds' is no duration ('30s', Seconds(30))
  pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, '30 seconds', Seconds(10));
  lines.countByValueAndWindow(Seconds(30), Seconds(10)).print();
  ssc.start();
  const stopped: boolean = await ssc.awaitTerminationOrTimeout(60_000);
  // Scala's ssc.stop(stopSparkContext = false, stopGracefully = true), as an object, and positionally.
  if (!stopped) await ssc.stop({ stopSparkContext: false, stopGracefully: true });
  await ssc.stop(false, true);
  await ssc.stop({ graceful: true });
  const options: StopOptions = { stopGracefully: true };
  await ssc.stop(options);
  // @ts-expect-error PySpark's spelling (stopGraceFully) is no option
  await ssc.stop({ stopGraceFully: true });
}
