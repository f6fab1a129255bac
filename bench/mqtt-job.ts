// The job of bench/mqtt.js. args[0] is JSON { url, topic, clientId, total, batchMs }: an
// MQTT stream (QoS 1) counted per batch; prints `COUNTED {total, at}` once `total` messages
// were counted, then stops.
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { MQTTUtils } from '@sluice/mqtt';

interface Args {
  url: string;
  topic: string;
  clientId: string;
  total: number;
  batchMs: number;
}

export default async function (sc: SluiceContext, argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0]!) as Args;
  const ssc = new StreamingContext(sc, a.batchMs, { blockInterval: 100 });
  let total = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((r) => (finish = r));
  MQTTUtils.createStream(ssc, a.url, [a.topic], { clientId: a.clientId, qos: 1 }).foreachRDD(async (rdd) => {
    total += await rdd.count();
    if (total >= a.total) {
      console.log('COUNTED ' + JSON.stringify({ total, at: Date.now() }));
      finish();
    }
  });
  ssc.start();
  await Promise.race([finished, ssc.awaitTermination()]);
  await ssc.stop();
}
