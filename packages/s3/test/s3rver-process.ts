// s3rver (a real S3 API server from npm) as a child process on loopback, its data in a
// temp directory; and an S3 client for it that tests use to look into the bucket.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const require = createRequire(import.meta.url);
// The SDK's notice that its 2027 releases need Node 22 (this process uses the SDK too).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const S3RVER_BIN = path.join(path.dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');

/** s3rver's one account. It checks the access key id; it does not verify SigV4 signatures. */
export const S3RVER_KEY_ID = 'S3RVER';
export const S3RVER_SECRET = 'S3RVER';

export interface S3rverProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  readonly dataDir: string;
  /** AWS_* variables that point a process at this server. */
  readonly env: NodeJS.ProcessEnv;
  readonly client: S3Client;
  /** Keys (with sizes) under `prefix` in `bucket`, read through the S3 API. */
  list(bucket: string, prefix: string): Promise<{ key: string; size: number }[]>;
  /** Kill it (by PID) and remove its data. */
  stop(): Promise<void>;
}

export async function startS3rver(buckets: readonly string[]): Promise<S3rverProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3rver-'));
  // s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
  const args = ['--openssl-legacy-provider', S3RVER_BIN, '-d', dataDir, '-a', '127.0.0.1', '-p', '0', '--silent', '--no-vhost-buckets'];
  for (const b of buckets) args.push('--configure-bucket', b);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start in 20 s: ${out}`)), 20_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /S3rver listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}) before listening: ${out}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_KEY_ID,
    AWS_SECRET_ACCESS_KEY: S3RVER_SECRET,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY_ID, secretAccessKey: S3RVER_SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    child,
    endpoint,
    dataDir,
    env,
    client,
    async list(bucket, prefix) {
      const out: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of res.Contents ?? []) out.push({ key: o.Key!, size: o.Size ?? 0 });
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
