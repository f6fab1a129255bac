/**
 * @sluice/s3 — checkpoints and text files in S3-compatible object storage.
 *
 * @example
 *   // job.ts — a driver restarted on any host resumes from the bucket
 *   import '@sluice/s3';
 *   import { StreamingContext, type SluiceContext } from '@sluice/core';
 *
 *   export default async function (sc: SluiceContext) {
 *     const ssc = new StreamingContext(sc, '1s');
 *     ssc.checkpoint('s3://my-bucket/jobs/wordcount');
 *     // ... updateStateByKey, windows with an inverse, ...
 *   }
 *
 * @example
 *   // Text files: each batch a directory s3://my-bucket/out/words-<time>/part-NNNNN,
 *   // committed whole (see S3FileSystem); read back with sc.textFile.
 *   counts.saveAsTextFiles('s3://my-bucket/out/words');
 *   const lines = await sc.textFile('s3://my-bucket/out').collect();
 *
 * Importing the package registers the `s3://` (and `s3a://`) scheme with @sluice/core in
 * every thread that loads the job: the driver program and the workers' task threads.
 * The client takes its endpoint, region and credentials from the AWS SDK's environment
 * variables on each host (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...), or from
 * `configureS3(...)` called at the top level of the job file (module scope runs wherever
 * the job is loaded; a call inside the job's function runs on the driver only).
 */
import { registerCheckpointStore, registerFileSystem } from '@sluice/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { makeS3Client, S3CheckpointStore } from './s3-checkpoint-store.js';
import { S3FileSystem } from './s3-file-system.js';
import { resolveS3Options, type ResolvedS3Options, type S3Options } from './s3-options.js';

export { S3CheckpointStore, makeS3Client } from './s3-checkpoint-store.js';
export { resolveS3Options, DEFAULT_MULTIPART_PART_SIZE, type S3Options, type ResolvedS3Options } from './s3-options.js';
export { S3FileSystem, type S3PartCommit } from './s3-file-system.js';

const PACKAGE_NAME = '@sluice/s3';
let configured: S3Options = {};
/** One client per resolved configuration in this thread, shared by its stores. */
let clients = new Map<string, S3Client>();

/** The client of `given` options (the driver's, in a task) or of this thread's configuration, over this host's environment, and its options. */
function currentClient(given?: S3Options): { client: S3Client; options: ResolvedS3Options } {
  const options = resolveS3Options(given ?? configured);
  const key = JSON.stringify(options);
  let client = clients.get(key);
  if (!client) clients.set(key, (client = makeS3Client(options)));
  return { client, options };
}

function register(): void {
  const factory = (location: string): S3CheckpointStore => {
    const { client, options } = currentClient();
    return new S3CheckpointStore(location, options, client);
  };
  registerCheckpointStore('s3', factory, PACKAGE_NAME);
  registerCheckpointStore('s3a', factory, PACKAGE_NAME);
  const files = new S3FileSystem(currentClient, () => configured);
  registerFileSystem('s3', files, PACKAGE_NAME);
  registerFileSystem('s3a', files, PACKAGE_NAME);
}

/**
 * Set how `s3://` checkpoint locations and text files connect (over the environment's AWS_* variables).
 * Call it at the top level of the job file so every thread that loads the job sees it;
 * stores opened before are opened again with the new options.
 */
export function configureS3(options: S3Options): void {
  resolveS3Options(options); // a bad option is refused here, at the call, not at the first s3:// use
  configured = { ...options };
  clients = new Map(); // stores opened before keep theirs
  register();
}

register();
