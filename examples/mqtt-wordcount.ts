// Word count over MQTT (Spark's MQTTWordCount): each message on the topic is a line of
// text; the words are counted per 1-second batch and printed.
//
// On the compose cluster with its mosquitto and a publisher of generated lines
// (the `mqtt` profile; containers reach the broker as mosquitto:1883):
//   docker compose --profile mqtt up -d --scale worker=2
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/mqtt-wordcount.ts mqtt://mosquitto:1883 lines
// or on this machine against a broker on 127.0.0.1:1883 (the profile publishes it there):
//   node packages/cli/bin/sluice.js run --workers 2 examples/mqtt-wordcount.ts mqtt://127.0.0.1:1883 lines
// Arguments: BROKER_URL [TOPIC, default lines] [CLIENT_ID, default sluice-mqtt-wordcount].
// QoS 1 with a persistent session under CLIENT_ID: a message is acknowledged to the broker
// only once stored, and what arrives while the receiver restarts waits in the broker.
// Runs until stopped (`sluice stop JOB`, or Ctrl-C for `run`).
import { SluiceError, StreamingContext, type SluiceContext } from '@sluice/core';
import { MQTTUtils } from '@sluice/mqtt';

export default async function mqttWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const [brokerUrl, topic = 'lines', clientId = 'sluice-mqtt-wordcount'] = args;
  if (!brokerUrl) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'mqtt-wordcount: give the BROKER_URL (and optionally TOPIC and CLIENT_ID), e.g. `-- mqtt://mosquitto:1883 lines`');

  const ssc = new StreamingContext(sc, '1s');
  const lines = MQTTUtils.createStream(ssc, brokerUrl, [topic], { qos: 1, clientId });
  const counts = lines
    .flatMap((line) => line.split(/\s+/).filter((w) => w !== ''))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b);
  counts.print();

  ssc.start();
  await ssc.awaitTermination();
}
