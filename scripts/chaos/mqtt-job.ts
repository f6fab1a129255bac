// The job scripts/chaos-probe.mjs --mqtt submits (not a test fixture: the probe is a soak, run
// by hand). An MQTT stream (MQTTUtils.createStream, QoS 1, a persistent session under a fixed
// client id) with the write-ahead log on, recovered with StreamingContext.getOrCreate.
// args: [checkpointDir, outDir, controlDir, batchMs, brokerUrl, topic, clientId]
// Payloads are `k<j> <id>`. Every batch writes, keyed by its time and atomically (temp file +
// rename), out/input-<t>.json (its payloads, sorted) and out/state-<t>.json (updateStateByKey:
// how many payloads each key had so far), each write also appended to out/events.log with a
// hash of what it wrote. Receiver events are appended to out/receiver.log. Stops gracefully
// once control/stop exists.
import fs from 'node:fs';
import path from 'node:path';
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { MQTTUtils } from '@sluice/mqtt';

function writeJson(file: string, value: unknown): string {
  const text = JSON.stringify(value);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return `${text.length}:${h >>> 0}`;
}

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [ckpt, out, control, batchMsArg, url, topic, clientId] = args;
  const batchMs = Number(batchMsArg);
  fs.mkdirSync(out, { recursive: true });
  const output = (kind: string, time: number, value: unknown): void => {
    const hash = writeJson(path.join(out, `${kind}-${time}.json`), value);
    fs.appendFileSync(path.join(out, 'events.log'), JSON.stringify({ job: sc.jobId, kind, time, hash }) + '\n');
  };
  const ssc = await StreamingContext.getOrCreate(sc, ckpt, () => {
    const ssc = new StreamingContext(sc, batchMs, { blockInterval: 100, writeAheadLog: { rollingInterval: 1000 } });
    ssc.checkpoint(ckpt);
    const payloads = MQTTUtils.createStream(ssc, url, [topic], { qos: 1, clientId, reconnectPeriodMs: 300 });
    payloads.foreachRDD(async (rdd, time) => output('input', time, (await rdd.collect()).sort()));
    payloads
      .map((p) => [p.split(' ')[0], 1] as [string, number])
      .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length, { numPartitions: 2 })
      .checkpoint(4 * batchMs)
      .foreachRDD(async (rdd, time) => output('state', time, (await rdd.collect()).sort()));
    return ssc;
  });
  ssc.addStreamingListener({
    onReceiverStarted: (i) => fs.appendFileSync(path.join(out, 'receiver.log'), JSON.stringify({ event: 'started', at: Date.now(), ...i }) + '\n'),
    onReceiverError: (i) => fs.appendFileSync(path.join(out, 'receiver.log'), JSON.stringify({ event: 'error', at: Date.now(), ...i }) + '\n'),
    // A restart (the receiver's own, or its onStart failing) is Spark's onReceiverStopped, then onReceiverStarted.
    onReceiverStopped: (i) => fs.appendFileSync(path.join(out, 'receiver.log'), JSON.stringify({ event: 'stopped', at: Date.now(), ...i }) + '\n'),
  });
  ssc.start();
  const stopFile = path.join(control, 'stop');
  while (!fs.existsSync(stopFile)) {
    if (await ssc.awaitTerminationOrTimeout(25)) break;
  }
  await ssc.stop({ graceful: true });
  await ssc.awaitTermination();
  writeJson(path.join(out, `done-${sc.jobId}.json`), { stoppedAt: Date.now() });
}
