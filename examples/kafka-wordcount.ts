// Word count over a Kafka topic with the direct stream: lines are read in exact offset
// ranges per 2-second batch, words counted, the counts written to a second topic, and the
// batch's offsets committed to the consumer group once the counts were written.
//
// Against the compose file's Kafka (one KRaft broker, `docker compose --profile kafka up -d kafka`):
//   node packages/cli/bin/sluice.js run --workers 2 examples/kafka-wordcount.ts 127.0.0.1:29092 lines
// or, without Docker, against the tests' broker on the same port (it creates no topic: name both)
//   node packages/kafka/dist/test/support/broker-process.js '{"topics":[["lines",2],["lines-counts",1]],"ports":[29092]}' &
// or on the compose cluster (its containers reach the broker as kafka:9092):
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/kafka-wordcount.ts kafka:9092 lines
// Arguments: BROKERS (comma-separated host:port) TOPIC [COUNTS_TOPIC, default TOPIC-counts]
// [GROUP, default sluice-wordcount]. Runs until stopped (`sluice stop JOB`, or Ctrl-C for `run`).
import { SluiceError, StreamingContext, type SluiceContext } from '@sluice/core';
import { KafkaUtils, hasOffsetRanges, saveToKafka, valueString } from '@sluice/kafka';

export default async function kafkaWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const [brokerList, topic, countsTopic = `${topic}-counts`, groupId = 'sluice-wordcount'] = args;
  if (!brokerList || !topic) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'kafka-wordcount: give BROKERS and TOPIC, e.g. `-- 127.0.0.1:29092 lines`');
  const brokers = brokerList.split(',');

  const ssc = new StreamingContext(sc, '2s');
  const lines = KafkaUtils.createDirectStream(ssc, { brokers, topics: [topic], groupId, startingOffsets: 'earliest', maxRatePerPartition: 50_000 });
  const counts = lines
    .flatMap((record) => (valueString(record) ?? '').split(/\s+/).filter((w) => w !== ''))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
  counts.print();
  saveToKafka(counts, countsTopic, ([word, n]) => ({ key: word, value: String(n) }), { brokers });
  // Output operations run in order: this commit comes after the counts were written.
  lines.foreachRDD(async (rdd) => {
    if (hasOffsetRanges(rdd)) await lines.commitAsync(rdd.offsetRanges());
  });

  ssc.start();
  await ssc.awaitTermination();
}
