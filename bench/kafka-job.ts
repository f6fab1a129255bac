// The job of bench/kafka-stream.js. args[0] is JSON { mode, brokers, topics, total, sinkTopic }.
//  - mode 'count': a direct Kafka stream over `topics` (1 s batches, from the earliest
//    offsets), counted per batch until `total` records were counted; prints
//    `RESULT {records, ms}` with ms from the start of the first batch that had records to
//    the end of the last one.
//  - mode 'sink': sc.range(0, total) in 4 partitions written to `sinkTopic` with
//    saveToKafka (100-byte values); prints `RESULT {records, ms}`.
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { KafkaUtils, saveToKafka } from '@sluice/kafka';

interface Args {
  mode: 'count' | 'sink';
  brokers: string[];
  topics: string[];
  total: number;
  sinkTopic: string;
}

export default async function (sc: SluiceContext, argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0]!) as Args;
  if (a.mode === 'sink') {
    const pad = 'x'.repeat(90);
    const start = Date.now();
    const records = await saveToKafka(sc.range(0, a.total, 1, 4), a.sinkTopic, (n) => ({ value: `${String(n).padStart(10, '0')}${pad}` }), { brokers: a.brokers });
    console.log('RESULT ' + JSON.stringify({ records, ms: Date.now() - start }));
    return;
  }
  const ssc = new StreamingContext(sc, '1s');
  const stream = KafkaUtils.createDirectStream(ssc, { brokers: a.brokers, topics: a.topics, groupId: 'bench', startingOffsets: 'earliest' });
  let counted = 0;
  let first = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  stream.foreachRDD(async (rdd, time) => {
    const n = await rdd.count();
    if (n > 0 && first === 0) first = time;
    counted += n;
    if (counted >= a.total) {
      console.log('RESULT ' + JSON.stringify({ records: counted, ms: Date.now() - first }));
      finish();
    }
  });
  ssc.start();
  await Promise.race([finished, ssc.awaitTermination()]);
  await ssc.stop();
}
