// The job scripts/chaos-probe.mjs --flume submits (not a test fixture: the probe is a soak, run
// by hand). Flume's push-based stream (FlumeUtils.createStream: the receiver serves Flume's
// Avro source protocol on host:port of the worker it runs on) with the write-ahead log on,
// recovered with StreamingContext.getOrCreate; the probe's avro sinks push to it. With host
// 'polling' (--flume --polling), the pull-based stream instead (FlumeUtils.createPollingStream
// over the SparkSinks at the comma-separated host:port addresses in `port`).
// args: [checkpointDir, outDir, controlDir, batchMs, host, port]
// Each event's body is a payload `k<j> <id>`; the outputs are mqtt-job.ts's (job-output.ts's
// outputInputAndCounts), receiver events in out/receiver.log. Stops gracefully once control/stop exists.
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { FlumeUtils } from '@sluice/flume';
import { batchOutput, logReceiverEvents, outputInputAndCounts, runUntilStopFile } from './job-output.js';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [ckpt, out, control, batchMsArg, host, port] = args;
  const batchMs = Number(batchMsArg);
  const output = batchOutput(sc, out);
  const ssc = await StreamingContext.getOrCreate(sc, ckpt, () => {
    const ssc = new StreamingContext(sc, batchMs, { blockInterval: 100, writeAheadLog: { rollingInterval: 1000 } });
    ssc.checkpoint(ckpt);
    const events = host === 'polling' ? FlumeUtils.createPollingStream(ssc, port!.split(',')) : FlumeUtils.createStream(ssc, host, Number(port));
    outputInputAndCounts(events.map((e) => Buffer.from(e.body).toString('utf8')), output, batchMs);
    return ssc;
  });
  logReceiverEvents(ssc, out);
  await runUntilStopFile(sc, ssc, control, out);
}
