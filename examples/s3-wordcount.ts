// The network word count with its counts saved to S3 (or an S3-compatible server) every
// 1-second batch: saveAsTextFiles writes s3://BUCKET/PREFIX-<batch time>/part-NNNNN (one
// `word<TAB>count` line each) and _SUCCESS, each batch committed whole.
//
// With s3rver on this host (`cd packages/s3 && NODE_OPTIONS=--openssl-legacy-provider npx s3rver -d /tmp/s3 --configure-bucket sluice`:
// the repository's s3rver is packages/s3's; from the root, npx would fetch another from npm;
// port 4568; without the legacy provider its listings past 1,000 keys fail with InternalError on Node 17+):
//   node packages/cli/bin/sluice.js run --workers 2 examples/s3-wordcount.ts
//       no line source given: starts a bundled line generator, stops after 10 seconds and
//       reads the saved counts back with sc.textFile
//   node packages/cli/bin/sluice.js submit --driver 127.0.0.1:7077 examples/s3-wordcount.ts http://s3:4568 sluice wordcount/counts lines 9999
//       counts the lines served at lines:9999 until `sluice stop JOB`
// Arguments: ENDPOINT (default http://127.0.0.1:4568; '' for AWS S3 itself) BUCKET (default
// sluice) PREFIX (default wordcount/counts) [HOST PORT of the line source]. Credentials and
// region come from the AWS_* variables of the submitting host's driver (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION); unset, s3rver's own key (S3RVER) is used.
import { configureS3 } from '@sluice/s3';
import { StreamingContext, type SluiceContext } from '@sluice/core';
import { startLineServer } from './lib/line-server.js';

export default async function s3WordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const [endpoint = 'http://127.0.0.1:4568', bucket = 'sluice', prefix = 'wordcount/counts', host, portArg] = args;
  // Set on the driver, these settings travel with the tasks that write the parts.
  const s3rverKey = process.env.AWS_ACCESS_KEY_ID === undefined ? { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {};
  configureS3({ ...(endpoint !== '' ? { endpoint } : {}), ...s3rverKey });
  const generator = host === undefined ? await startLineServer({ linesPerSecond: 2000 }) : undefined;

  const ssc = new StreamingContext(sc, '1s');
  const lines = ssc.socketTextStream(generator ? '127.0.0.1' : host!, generator ? generator.port : Number(portArg ?? 9999));
  const counts = lines
    .flatMap((line) => line.split(' '))
    .filter((word) => word !== '')
    .map((word) => [word, 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .map(([word, n]) => `${word}\t${n}`);
  counts.saveAsTextFiles(`s3://${bucket}/${prefix}`);
  counts.print(5);

  ssc.start();
  if (generator) {
    await ssc.awaitTerminationOrTimeout(10_000);
    await ssc.stop({ graceful: true });
    await generator.close();
    // Every batch's directory under the prefix's parent, read back as one RDD.
    const parent = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const saved = await sc.textFile(`s3://${bucket}/${parent}`).map((l) => Number(l.split('\t')[1])).reduce((a, b) => a + b);
    console.log(`${saved} words counted in s3://${bucket}/${prefix}-*`);
  } else {
    await ssc.awaitTermination();
  }
}
