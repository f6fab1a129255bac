// Word count over an Amazon Kinesis stream, as Spark's KinesisWordCountASL: lines read by one
// reader per shard (the readers spread over the workers, each shard's last safe sequence
// number checkpointed under the checkpoint directory), words counted per 2-second batch.
//
// Against a local kinesalite (`npx kinesalite --port 4567`, then create a stream `words`):
//   node packages/cli/bin/sluice.js run --workers 2 examples/kinesis-wordcount.ts words
// Against AWS (credentials from the workers' AWS environment):
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/kinesis-wordcount.ts \
//     words https://kinesis.eu-west-1.amazonaws.com 4 /checkpoints/kinesis-wordcount
// Arguments: STREAM [ENDPOINT, default http://127.0.0.1:4567] [READERS, default 2: use the
// shard count] [CHECKPOINT_DIR, default /tmp/sluice-kinesis-wordcount: a directory the driver
// and every worker reach]. Runs until stopped (`sluice stop JOB`, or Ctrl-C for `run`).
import { SluiceError, StreamingContext, type SluiceContext } from '@sluice/core';
import { KinesisInputDStream } from '@sluice/kinesis';

export default async function kinesisWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const [streamName, endpoint = 'http://127.0.0.1:4567', readers = '2', checkpointDir = '/tmp/sluice-kinesis-wordcount'] = args;
  if (!streamName) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'kinesis-wordcount: give STREAM, e.g. `-- words` (and ENDPOINT, READERS, CHECKPOINT_DIR)');
  const n = Number(readers);
  if (!Number.isSafeInteger(n) || n < 1) throw new SluiceError('SLUICE_BAD_ARGUMENT', `kinesis-wordcount: READERS must be a whole number >= 1 (the shard count), got '${readers}'`);
  const local = /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint);

  const ssc = new StreamingContext(sc, '2s');
  ssc.checkpoint(checkpointDir);
  const reader = () => {
    const b = KinesisInputDStream.builder()
      .streamingContext(ssc)
      .streamName(streamName)
      .endpointUrl(endpoint)
      .initialPosition('TRIM_HORIZON')
      .checkpointAppName('sluice-kinesis-wordcount')
      .checkpointInterval(2000);
    // kinesalite takes any credentials; against AWS the workers' environment gives them.
    if (local && !process.env.AWS_ACCESS_KEY_ID) b.kinesisCredentials({ accessKeyId: 'local', secretAccessKey: 'local' });
    return b.buildWithMessageHandler((record) => record.data.toString('utf8'));
  };
  // Streams of the same stream and checkpointAppName share its shards: one a shard.
  const lines = ssc.union(Array.from({ length: n }, reader));
  lines
    .flatMap((line) => line.split(/\s+/).filter((w) => w !== ''))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .print();

  ssc.start();
  await ssc.awaitTermination();
}
