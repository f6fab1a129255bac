import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { SluiceError, type CheckpointObject, type CheckpointStore } from '@sluice/core';
import { s3Failure } from './s3-failure.js';
import { retryPassing } from './s3-retry.js';
import type { ResolvedS3Options } from './s3-options.js';

/** DeleteObjects takes at most this many keys a call. */
const DELETE_BATCH = 1000;

/**
 * A checkpoint store in an S3 bucket: `s3://bucket/prefix`, each key an object
 * `prefix/key`. A PUT is atomic (readers see the old object or the whole new one), so a
 * write needs no temporary name; list and delete page through ListObjectsV2 and
 * DeleteObjects. S3 is strongly consistent for reads after writes and for listings
 * (since December 2020), which recovery relies on; an S3-compatible server must be too.
 *
 * Threading: stores are per thread; the stores of one configuration in a thread share one
 * client (a stream opens a store per state checkpoint, one every checkpoint interval).
 */
export class S3CheckpointStore implements CheckpointStore {
  readonly location: string;
  readonly bucket: string;
  /** Key prefix of the root, without a trailing '/' ('' for the bucket's root). */
  readonly prefix: string;
  /** The endpoint as messages name it. */
  readonly endpoint: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  /** How long a call failing for a reason that passes is tried again (S3Options.retryTimeoutMs). */
  private readonly retryTimeoutMs: number;
  /** S3Options.socketTimeoutMs, for messages. */
  private readonly socketTimeoutMs: number;

  /** `client`: one made from `options` (shared by the stores of one configuration), else a new one. */
  constructor(location: string, options: ResolvedS3Options, client?: S3Client) {
    const m = /^s3a?:\/\/([^/]*)(?:\/(.*))?$/.exec(location);
    const bucket = m?.[1] ?? '';
    if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new SluiceError(
        'SLUICE_BAD_ARGUMENT',
        `checkpoint directory '${location}': '${bucket}' is not an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-'); write s3://bucket/prefix`,
      );
    }
    this.bucket = bucket;
    this.prefix = (m[2] ?? '').replace(/\/+$/, '');
    this.location = `${location.slice(0, location.indexOf('://'))}://${bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.endpoint = options.endpoint ?? `AWS S3${options.region ? ` (${options.region})` : ''}`;
    this.client = client ?? makeS3Client(options);
    this.ownsClient = client === undefined;
    this.retryTimeoutMs = options.retryTimeoutMs;
    this.socketTimeoutMs = options.socketTimeoutMs;
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async ensure(): Promise<void> {
    // A one-key listing rather than HeadBucket: its error responses carry the reason
    // (NoSuchBucket, InvalidAccessKeyId, ...), and listing is what recovery needs.
    try {
      await this.send(() => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix ? `${this.prefix}/` : undefined, MaxKeys: 1 })));
    } catch (err) {
      throw this.failure('check', this.location, err);
    }
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      // A PUT of a whole object is idempotent: sent again, the object is the same.
      await this.send(() => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: typeof data === 'string' ? Buffer.from(data) : data })));
    } catch (err) {
      throw this.failure('write', `s3://${this.bucket}/${objectKey}`, err);
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    const objectKey = this.objectKey(key);
    try {
      return await this.send(async () => {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
        if (!res.Body) return Buffer.alloc(0);
        return Buffer.from(await res.Body.transformToByteArray());
      });
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw this.failure('read', `s3://${this.bucket}/${objectKey}`, err);
    }
  }

  async list(prefix: string): Promise<CheckpointObject[]> {
    const full = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const cut = this.prefix ? this.prefix.length + 1 : 0;
    const out: CheckpointObject[] = [];
    let token: string | undefined;
    try {
      do {
        const res = await this.send(() => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token })));
        for (const o of res.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key.slice(cut), size: o.Size ?? 0 });
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.failure('list', `s3://${this.bucket}/${full}`, err);
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async delete(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((k) => this.objectKey(k));
    for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
      const batch = objectKeys.slice(i, i + DELETE_BATCH);
      const target = `s3://${this.bucket}/${batch[0]}${batch.length > 1 ? ` (and ${batch.length - 1} more)` : ''}`;
      let errors: { Key?: string; Code?: string; Message?: string }[] | undefined;
      try {
        const res = await this.send(() => this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })));
        errors = res.Errors;
      } catch (err) {
        throw this.failure('delete', target, err);
      }
      if (errors && errors.length > 0) {
        const first = errors[0];
        throw this.failure('delete', `s3://${this.bucket}/${first.Key ?? batch[0]}`, Object.assign(new Error(first.Message ?? 'delete refused'), { name: first.Code ?? 'Error' }));
      }
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    await this.delete(objects.map((o) => o.key));
    return objects.length;
  }

  /** A PUT leaves nothing behind when its writer dies. */
  async removeTemporary(): Promise<void> {}

  /** Stop the client's connections if this store made it (the store cannot be used after). */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  /** `call`, tried again while it fails for a reason that passes, within retryTimeoutMs (retryPassing). */
  private send<T>(call: () => Promise<T>): Promise<T> {
    return retryPassing(this.retryTimeoutMs, call);
  }

  private objectKey(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new SluiceError('SLUICE_INTERNAL', `checkpoint key ${JSON.stringify(key)} under '${this.location}' is not a relative '/'-separated key`);
    }
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private failure(op: string, target: string, err: unknown): SluiceError {
    return s3Failure({ op, bucket: this.bucket, endpoint: this.endpoint, target, socketTimeoutMs: this.socketTimeoutMs }, err);
  }
}

/** An S3 client for `options`; S3-compatible servers get the checksums they understand. */
export function makeS3Client(options: ResolvedS3Options): S3Client {
  const custom = options.endpoint !== undefined;
  const config: S3ClientConfig = {
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    maxAttempts: options.maxAttempts,
    // socketTimeout: an attempt idle that long (an endpoint that accepted and never answers)
    // fails as a TimeoutError; without it the SDK waits for ever.
    requestHandler: { connectionTimeout: options.connectionTimeoutMs, socketTimeout: options.socketTimeoutMs },
    // S3-compatible servers often predate the SDK's default CRC checksums.
    ...(custom ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return new S3Client(config);
}
