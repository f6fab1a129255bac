/**
 * `@sluice/flume`: events pushed by a Flume agent's `avro` sink, or pulled from its SparkSink, as Spark's FlumeUtils.
 *
 * @example
 *   import { StreamingContext, type SluiceContext } from '@sluice/core';
 *   import { FlumeUtils } from '@sluice/flume';
 *
 *   export default async function (sc: SluiceContext) {
 *     const ssc = new StreamingContext(sc, '2s');
 *     // The agent: a1.sinks.k1.type = avro, hostname = <a worker>, port = 41414
 *     const events = FlumeUtils.createStream(ssc, '0.0.0.0', 41414);
 *     events.map((e) => [e.headers.host ?? '?', 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 *     ssc.start();
 *     await ssc.awaitTermination();
 *   }
 */
export { FlumeUtils } from './flume-utils.js';
export { FlumeReceiver } from './flume-receiver.js';
export type { SparkFlumeEvent } from './flume-event.js';
export type { FlumeStreamOptions, ReceiverStorageLevel } from './flume-options.js';
export type { FlumePollingOptions, SparkSinkAddress } from './flume-utils.js';
export { FlumePollingReceiver } from './flume-polling-receiver.js';
