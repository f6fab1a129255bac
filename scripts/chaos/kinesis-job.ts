// The job scripts/chaos-probe.mjs --kinesis submits (not a test fixture: the probe is a soak,
// run by hand). `readers` Kinesis streams (KinesisInputDStream, one checkpointAppName, so they
// share the shards) unioned, with the write-ahead log on, recovered with
// StreamingContext.getOrCreate.
// args: [checkpointDir, outDir, controlDir, batchMs, endpoint, streamName, appName, readers]
// Records are `k<j> <id>`. Every batch writes, keyed by its time and atomically (temp file +
// rename), out/input-<t>.json (its records, sorted) and out/state-<t>.json (updateStateByKey:
// how many records each key had so far), each write also appended to out/events.log with a
// hash of what it wrote. Receiver events are appended to out/receiver.log. Stops gracefully
// once control/stop exists.
import { StreamingContext, type DStream, type SluiceContext } from '@sluice/core';
import { batchOutput, logReceiverEvents, outputInputAndCounts, runUntilStopFile } from './job-output.js';
import { KinesisInputDStream } from '@sluice/kinesis';

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const [ckpt, out, control, batchMsArg, endpoint, stream, app, readers] = args;
  const batchMs = Number(batchMsArg);
  const output = batchOutput(sc, out);
  const ssc = await StreamingContext.getOrCreate(sc, ckpt, () => {
    const ssc = new StreamingContext(sc, batchMs, { blockInterval: 100, writeAheadLog: { rollingInterval: 1000 } });
    ssc.checkpoint(ckpt);
    const streams: DStream<string>[] = [];
    for (let i = 0; i < Number(readers); i++) {
      streams.push(
        KinesisInputDStream.builder()
          .streamingContext(ssc)
          .streamName(stream!)
          .endpointUrl(endpoint!)
          .regionName('us-east-1')
          .initialPosition('TRIM_HORIZON')
          .checkpointAppName(app!)
          .checkpointInterval(500)
          .kinesisCredentials({ accessKeyId: 'test-key', secretAccessKey: 'test-secret' })
          .retryWait(300)
          .shardSyncInterval(300)
          .buildWithMessageHandler((r) => r.data.toString('utf8')),
      );
    }
    const records = ssc.union(streams);
    outputInputAndCounts(records, output, batchMs);
    return ssc;
  });
  logReceiverEvents(ssc, out);
  await runUntilStopFile(sc, ssc, control, out);
}
