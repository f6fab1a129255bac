// The job scripts/chaos-probe.mjs --mqtt submits (not a test fixture: the probe is a soak, run
// by hand). An MQTT stream (MQTTUtils.createStream, QoS 1, a persistent session under a fixed
// client id) with the write-ahead log on, recovered with StreamingContext.getOrCreate.
// args: [checkpointDir, outDir, controlDir, batchMs, brokerUrl, topic, clientId]
// Payloads are `k<j> <id>`. Every batch writes, keyed by its time and atomically (temp file +
// rename), out/input-<t>.json (its payloads, sorted) and out/state-<t>.json (updateStateByKey:
// how many payloads each key had so far), each write also appended to out/events.log with a
// hash of what it wrote. Receiver events are appended to out/receiver.log. Stops gracefully
// once control/stop exists.
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { batchOutput, logReceiverEvents, outputInputAndCounts, runUntilStopFile } from './job-output.js';
import { MQTTUtils } from '@sluice/mqtt';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [ckpt, out, control, batchMsArg, url, topic, clientId] = args;
  const batchMs = Number(batchMsArg);
  const output = batchOutput(sc, out);
  const ssc = await StreamingContext.getOrCreate(sc, ckpt, () => {
    const ssc = new StreamingContext(sc, batchMs, { blockInterval: 100, writeAheadLog: { rollingInterval: 1000 } });
    ssc.checkpoint(ckpt);
    const payloads = MQTTUtils.createStream(ssc, url, [topic], { qos: 1, clientId, reconnectPeriodMs: 300 });
    outputInputAndCounts(payloads, output, batchMs);
    return ssc;
  });
  logReceiverEvents(ssc, out);
  await runUntilStopFile(sc, ssc, control, out);
}
