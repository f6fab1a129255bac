import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SluiceError, type FileStatus, type FileSystem, type RangeReader, type SaveOptions } from '@sluice/core';
import { s3Failure } from './s3-failure.js';
import { retryPassing } from './s3-retry.js';
import { parseS3Location, type S3Location } from './s3-location.js';
import type { ResolvedS3Options, S3Options } from './s3-options.js';

/** What a task returns for its part: where its attempt put it, for the driver's commit. */
export interface S3PartCommit {
  /** `part-00000`. */
  readonly name: string;
  /** The attempt's temporary object, `<dir>/_temporary/<attempt>/<name>`. */
  readonly tempKey: string;
  readonly size: number;
  /** Pieces of its multipart upload; 0 for a single PUT. */
  readonly pieces: number;
}

/**
 * The S3 client (and the options it was made from) for `options` (configureS3's, as the
 * driver had them), or for this thread's configuration when undefined.
 */
export type S3ClientSource = (options?: S3Options) => { readonly client: S3Client; readonly options: ResolvedS3Options };

/** Where this thread's configureS3 options come from. */
export type S3OptionsSource = () => S3Options;

/** Where a save's task attempts write, under its directory; hidden from readers ('_'). */
export const TEMPORARY = '_temporary';
export const SUCCESS = '_SUCCESS';
/** CopyObject copies at most 5 GiB. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
const DELETE_BATCH = 1000;
const COPY_CONCURRENCY = 8;

/**
 * Text files in S3 (`s3://bucket/path`): sc.textFile, rdd.saveAsTextFile and
 * dstream.saveAsTextFiles through @sluice/core's FileSystem hook.
 *
 * Saving a directory D (a batch of saveAsTextFiles, or one saveAsTextFile), as Hadoop's
 * FileOutputCommitter with S3's primitives:
 * 1. setupSave (driver): list D/ — a missing bucket, refused credentials or an
 *    unreachable endpoint fail here, before any task; without `replace`, any object under
 *    D/ outside D/_temporary/ means D exists: an error, as in Spark.
 * 2. writePart (each task attempt): its part goes to D/_temporary/<attempt>/part-NNNNN,
 *    an attempt-specific key — one PUT, or, past `multipartPartSize`, a multipart upload
 *    whose pieces are sent while the task still computes. A failed attempt deletes its
 *    object (aborts its upload); an attempt killed outright leaves its object for commit.
 * 3. commitSave (driver, once every task succeeded): with `replace`, D/_SUCCESS is deleted
 *    first; each successful attempt's object is copied (server side) to D/part-NNNNN;
 *    objects of D outside _temporary/ that this output does not have are deleted; D/_SUCCESS
 *    is written; last, everything under D/_temporary/ (every attempt's, killed ones too) is
 *    deleted. abortSave (the job failed) deletes D/_temporary/.
 *
 * What a reader sees: sc.textFile skips names starting with '_' or '.', and skips a
 * directory that has objects under _temporary/ but no _SUCCESS (a save is committing it,
 * or was killed while it did): so a batch's parts are read all or not at all. Before
 * commit nothing of a new D is visible; a replaced D keeps its old whole contents until
 * its commit starts.
 *
 * Threading: any thread that loaded the job; all state is in S3.
 */
export class S3FileSystem implements FileSystem {
  private readonly source: S3ClientSource;
  private readonly configured: S3OptionsSource;

  constructor(source: S3ClientSource, configured: S3OptionsSource) {
    this.source = source;
    this.configured = configured;
  }

  /** configureS3's options on the driver, for the tasks (credentials given there included). */
  settings(): S3Options {
    return this.configured();
  }

  check(location: string, operation: string): void {
    parseS3Location(location, operation, operation !== 'sc.textFile' && operation !== 'textFile');
  }

  async listTextFiles(location: string): Promise<readonly FileStatus[]> {
    const loc = parseS3Location(location, 'sc.textFile', false);
    const objects = await this.list(loc, loc.key, 'sc.textFile');
    const exact = objects.find((o) => o.key === loc.key);
    if (exact && loc.key !== '') return [{ file: this.url(loc, exact.key), size: exact.size }];
    const dirPrefix = loc.key === '' ? '' : `${loc.key}/`;
    const under = objects.filter((o) => o.key.startsWith(dirPrefix));
    if (under.length === 0) {
      throw new SluiceError(
        'SLUICE_IO',
        `@sluice/s3 sc.textFile('${location}'): there is no object s3://${loc.bucket}/${loc.key} and none under s3://${loc.bucket}/${dirPrefix} at endpoint ${this.endpoint()}; check the path`,
      );
    }
    // Directories (relative to the location) a save is writing or was killed in, and those committed.
    const writing = new Set<string>();
    const committed = new Set<string>();
    const visible: { key: string; size: number; dir: string }[] = [];
    for (const o of under) {
      const segments = o.key.slice(dirPrefix.length).split('/');
      const temp = segments.indexOf(TEMPORARY);
      if (temp >= 0) writing.add(segments.slice(0, temp).join('/'));
      if (segments[segments.length - 1] === SUCCESS) committed.add(segments.slice(0, -1).join('/'));
      if (segments.some((s) => s.startsWith('_') || s.startsWith('.') || s === '')) continue;
      visible.push({ ...o, dir: segments.slice(0, -1).join('/') });
    }
    const incomplete = (dir: string): boolean => writing.has(dir) && !committed.has(dir);
    const files = visible.filter((o) => !incomplete(o.dir));
    if (files.length === 0 && visible.length > 0) {
      const dirs = [...new Set(visible.map((o) => o.dir))].map((d) => `s3://${loc.bucket}/${dirPrefix}${d}`.replace(/\/$/, ''));
      throw new SluiceError(
        'SLUICE_IO',
        `@sluice/s3 sc.textFile('${location}'): ${dirs.join(', ')} ${dirs.length === 1 ? 'is' : 'are'} being written or ${dirs.length === 1 ? 'its' : 'their'} save failed (${TEMPORARY}/ and no ${SUCCESS}); read it once ${SUCCESS} is there`,
      );
    }
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return files.map((o) => ({ file: this.url(loc, o.key), size: o.size }));
  }

  async open(file: string, settings: unknown): Promise<RangeReader> {
    const loc = parseS3Location(file, 'textFile', true);
    const { client, options } = this.source(taskOptions(settings));
    const endpoint = describeEndpoint(options);
    return {
      read: async (buffer, offset, length, position) => {
        if (length <= 0) return { bytesRead: 0 };
        let bytes: Uint8Array;
        try {
          bytes = await retryPassing(options.retryTimeoutMs, async () => {
            const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: `bytes=${position}-${position + length - 1}` }));
            return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
          });
        } catch (err) {
          // Past the end: no bytes (as a file read at EOF).
          if ((err as { name?: string }).name === 'InvalidRange' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return { bytesRead: 0 };
          throw this.failure('textFile', 'read', loc, `s3://${loc.bucket}/${loc.key}`, err, endpoint);
        }
        const n = Math.min(bytes.length, length);
        buffer.set(bytes.subarray(0, n), offset);
        return { bytesRead: n };
      },
      close: async () => {},
    };
  }

  async setupSave(dir: string, options: SaveOptions): Promise<void> {
    const loc = parseS3Location(dir, options.operation, true);
    const existing = await this.list(loc, `${loc.key}/`, options.operation);
    const outside = existing.filter((o) => !o.key.startsWith(`${loc.key}/${TEMPORARY}/`));
    if (!options.replace && outside.length > 0) {
      throw new SluiceError(
        'SLUICE_IO',
        `@sluice/s3 ${options.operation}: output directory s3://${loc.bucket}/${loc.key} already exists (${outside.length} object${outside.length === 1 ? '' : 's'}, such as ${outside[0].key}); remove it or choose another path`,
      );
    }
  }

  async writePart(dir: string, name: string, chunks: AsyncIterable<Uint8Array>, attempt: string, settings: unknown): Promise<S3PartCommit> {
    const loc = parseS3Location(dir, 'saveAsTextFile', true);
    const { client, options } = this.source(taskOptions(settings));
    const pieceSize = options.multipartPartSize;
    const tempKey = `${loc.key}/${TEMPORARY}/${attempt}/${name}`;
    const target = `s3://${loc.bucket}/${tempKey}`;
    let buffered: Uint8Array[] = [];
    let bufferedBytes = 0;
    let size = 0;
    let uploadId: string | undefined;
    const etags: { PartNumber: number; ETag: string }[] = [];
    const take = (n: number): Buffer => {
      const all = Buffer.concat(buffered, bufferedBytes);
      const piece = all.subarray(0, n);
      const rest = all.subarray(n);
      buffered = rest.length > 0 ? [rest] : [];
      bufferedBytes = rest.length;
      return piece;
    };
    const uploadPiece = async (body: Buffer): Promise<void> => {
      uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket: loc.bucket, Key: tempKey, ContentType: 'text/plain; charset=utf-8' }))).UploadId;
      const PartNumber = etags.length + 1;
      const id = uploadId;
      // A piece sent again under its number replaces itself.
      const res = await retryPassing(options.retryTimeoutMs, () => client.send(new UploadPartCommand({ Bucket: loc.bucket, Key: tempKey, UploadId: id, PartNumber, Body: body })));
      etags.push({ PartNumber, ETag: res.ETag ?? '' });
    };
    let s3Call = false;
    try {
      for await (const chunk of chunks) {
        buffered.push(chunk);
        bufferedBytes += chunk.length;
        size += chunk.length;
        // Past the threshold: send full pieces while the task keeps computing.
        while (bufferedBytes > pieceSize) {
          s3Call = true;
          await uploadPiece(take(pieceSize));
          s3Call = false;
        }
      }
      s3Call = true;
      if (uploadId === undefined) {
        const body = take(bufferedBytes);
        await retryPassing(options.retryTimeoutMs, () => client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: tempKey, Body: body, ContentType: 'text/plain; charset=utf-8' })));
      } else {
        if (bufferedBytes > 0) await uploadPiece(take(bufferedBytes));
        await client.send(new CompleteMultipartUploadCommand({ Bucket: loc.bucket, Key: tempKey, UploadId: uploadId, MultipartUpload: { Parts: etags } }));
      }
    } catch (err) {
      // This attempt's pieces and object are not the output: remove them (best effort;
      // commit deletes _temporary/ whatever is left).
      if (uploadId !== undefined) await client.send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: tempKey, UploadId: uploadId })).catch(() => undefined);
      await client.send(new DeleteObjectsCommand({ Bucket: loc.bucket, Delete: { Objects: [{ Key: tempKey }], Quiet: true } })).catch(() => undefined);
      throw s3Call ? this.failure('saveAsTextFile', 'write', loc, target, err, describeEndpoint(options)) : err;
    }
    return { name, tempKey, size, pieces: etags.length };
  }

  async commitSave(dir: string, parts: readonly unknown[], options: SaveOptions): Promise<Record<string, unknown>> {
    const loc = parseS3Location(dir, options.operation, true);
    const commits = parts.map((p) => checkCommit(p, loc, dir));
    const { client, options: s3 } = this.source();
    const temporary = `${loc.key}/${TEMPORARY}/`;
    const before = await this.list(loc, `${loc.key}/`, options.operation);
    if (options.replace && before.some((o) => o.key === `${loc.key}/${SUCCESS}`)) await this.deleteKeys(loc, [`${loc.key}/${SUCCESS}`], options.operation);
    const tooLarge = commits.find((c) => c.size > MAX_COPY_BYTES);
    if (tooLarge) {
      throw new SluiceError('SLUICE_IO', `@sluice/s3 ${options.operation}: part ${tooLarge.name} of s3://${loc.bucket}/${loc.key} has ${tooLarge.size} bytes, more than S3 copies in one request (5 GiB); save with more partitions (rdd.repartition(n))`);
    }
    const finalKeys = new Set(commits.map((c) => `${loc.key}/${c.name}`));
    let next = 0;
    const copyNext = async (): Promise<void> => {
      while (next < commits.length) {
        const c = commits[next++];
        const key = `${loc.key}/${c.name}`;
        try {
          await retryPassing(s3.retryTimeoutMs, () => client.send(new CopyObjectCommand({ Bucket: loc.bucket, Key: key, CopySource: `${loc.bucket}/${c.tempKey.split('/').map(encodeURIComponent).join('/')}`, ContentType: 'text/plain; charset=utf-8', MetadataDirective: 'REPLACE' })));
        } catch (err) {
          throw this.failure(options.operation, 'commit', loc, `s3://${loc.bucket}/${key}`, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(COPY_CONCURRENCY, commits.length) }, copyNext));
    // What an earlier attempt of this output left that this one does not have (more parts, say).
    const stale = before.filter((o) => !o.key.startsWith(temporary) && o.key !== `${loc.key}/${SUCCESS}` && !finalKeys.has(o.key)).map((o) => o.key);
    await this.deleteKeys(loc, stale, options.operation);
    try {
      await retryPassing(s3.retryTimeoutMs, () => client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: `${loc.key}/${SUCCESS}`, Body: Buffer.alloc(0) })));
    } catch (err) {
      throw this.failure(options.operation, 'commit', loc, `s3://${loc.bucket}/${loc.key}/${SUCCESS}`, err);
    }
    const leftovers = await this.list(loc, temporary, options.operation);
    await this.deleteKeys(loc, leftovers.map((o) => o.key), options.operation);
    return {
      parts: commits.length,
      bytes: commits.reduce((a, c) => a + c.size, 0),
      multipartParts: commits.filter((c) => c.pieces > 0).map((c) => `${c.name}:${c.pieces}`).join(' '),
      staleDeleted: stale.length,
      temporaryDeleted: leftovers.length,
    };
  }

  async abortSave(dir: string, options: SaveOptions): Promise<void> {
    const loc = parseS3Location(dir, options.operation, true);
    const leftovers = await this.list(loc, `${loc.key}/${TEMPORARY}/`, options.operation);
    await this.deleteKeys(loc, leftovers.map((o) => o.key), options.operation);
  }

  /** Every object whose key starts with `prefix`. */
  private async list(loc: S3Location, prefix: string, operation: string): Promise<{ key: string; size: number }[]> {
    const { client, options } = this.source();
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    try {
      do {
        const page = token;
        const res = await retryPassing(options.retryTimeoutMs, () => client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix === '' ? undefined : prefix, ContinuationToken: page })));
        for (const o of res.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.failure(operation, 'list', loc, `s3://${loc.bucket}/${prefix}`, err);
    }
    return out;
  }

  private async deleteKeys(loc: S3Location, keys: readonly string[], operation: string): Promise<void> {
    const { client, options } = this.source();
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let errors: { Key?: string; Code?: string; Message?: string }[] | undefined;
      try {
        errors = (await retryPassing(options.retryTimeoutMs, () => client.send(new DeleteObjectsCommand({ Bucket: loc.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })))).Errors;
      } catch (err) {
        throw this.failure(operation, 'delete', loc, `s3://${loc.bucket}/${batch[0]}`, err);
      }
      if (errors && errors.length > 0) {
        const first = errors[0];
        throw this.failure(operation, 'delete', loc, `s3://${loc.bucket}/${first.Key ?? batch[0]}`, Object.assign(new Error(first.Message ?? 'delete refused'), { name: first.Code ?? 'Error' }));
      }
    }
  }

  private url(loc: S3Location, key: string): string {
    return `${loc.scheme}://${loc.bucket}/${key}`;
  }

  private endpoint(): string {
    return describeEndpoint(this.source().options);
  }

  private failure(operation: string, op: string, loc: S3Location, target: string, err: unknown, endpoint = this.endpoint()): SluiceError {
    return s3Failure({ op, bucket: loc.bucket, endpoint, target, subject: `@sluice/s3 ${operation} (${op})`, location: 'the s3:// path', code: 'SLUICE_IO' }, err);
  }
}

function describeEndpoint(options: ResolvedS3Options): string {
  return options.endpoint ?? `AWS S3${options.region ? ` (${options.region})` : ''}`;
}

/** The driver's settings as a task received them (undefined: none came, use this thread's). */
function taskOptions(settings: unknown): S3Options | undefined {
  if (settings === undefined || settings === null) return undefined;
  if (typeof settings !== 'object') throw new SluiceError('SLUICE_INTERNAL', `@sluice/s3: a task received settings that are not configureS3 options: ${JSON.stringify(settings)?.slice(0, 200)}`);
  return settings as S3Options;
}

function checkCommit(p: unknown, loc: S3Location, dir: string): S3PartCommit {
  const c = p as Partial<S3PartCommit> | null;
  if (!c || typeof c.name !== 'string' || typeof c.tempKey !== 'string' || !c.tempKey.startsWith(`${loc.key}/${TEMPORARY}/`) || typeof c.size !== 'number') {
    throw new SluiceError('SLUICE_INTERNAL', `@sluice/s3: a task's result for ${dir} is not a part written by @sluice/s3: ${JSON.stringify(p)?.slice(0, 200)}`);
  }
  return c as S3PartCommit;
}
