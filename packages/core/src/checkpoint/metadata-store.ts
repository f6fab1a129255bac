import crypto from 'node:crypto';
import { DiskFullError, isDiskFull, isNotWritable, SluiceError } from '../errors.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { StreamingMetadata } from './streaming-metadata.js';
import { toTimeRuns } from './time-runs.js';
import { sparkWords } from '../util/spark-words.js';

/** Subdirectory of the checkpoint directory holding metadata checkpoints. */
export const METADATA_DIR = 'metadata';
/** Subdirectory of the checkpoint directory holding stateful streams' RDD checkpoints. */
export const STATE_DIR = 'state';

const MAGIC = 'SLUICE-METADATA';
const KEY = /^metadata\/checkpoint-(\d{12})$/;

/** Why one metadata file could not be used. */
export interface UnreadableMetadata {
  /** Its full address (a path, or s3://...). */
  readonly file: string;
  readonly reason: string;
}

/**
 * No metadata checkpoint in the directory is usable: every one is damaged (or refers to
 * damaged state). What StreamingContext.getOrCreate's createOnError starts afresh on; a
 * store that cannot be read now (listing or reading failed) is another error, never this.
 */
export class NoUsableCheckpointError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_CHECKPOINT', message);
    this.name = 'NoUsableCheckpointError';
  }
}

export interface ReadMetadata {
  /** The full address of the file read. */
  readonly file: string;
  readonly metadata: StreamingMetadata;
  /** Newer files that were corrupt or truncated, skipped. */
  readonly skipped: readonly UnreadableMetadata[];
}

/**
 * The metadata checkpoints of one checkpoint directory: `metadata/checkpoint-<seq>`, one
 * object per write, numbered in the order written, in the directory's CheckpointStore
 * (a local or shared file system, or object storage such as S3). Each is a header line
 * (`SLUICE-METADATA 1 <sha256> <bytes>`) and the metadata as JSON, written atomically by
 * the store (temp + fsync + rename on a file system; one PUT on S3), so a crash leaves
 * either the whole object or none, and one damaged later fails its checksum.
 *
 * Invariants: the last `keep` objects are kept (the newest and its fallbacks); older ones
 * are deleted after each write. Reading takes the newest object that is whole, skipping
 * (and reporting) damaged ones.
 * Threading: the driver program's thread; one write at a time (the MetadataCheckpointer
 * chains them).
 */
export class MetadataStore {
  private nextSeq = 1;
  /** Keys written or listed, newest first, once listed: writes then need no listing (a LIST per write costs on S3). */
  private known: string[] | undefined;

  constructor(
    readonly store: CheckpointStore,
    private readonly keep = 3,
  ) {}

  /** Where the metadata objects are, for messages. */
  get dir(): string {
    return this.store.describe(METADATA_DIR);
  }

  /** Metadata keys, newest first. */
  async keys(): Promise<string[]> {
    const keys = (await this.store.list(`${METADATA_DIR}/`)).map((o) => o.key).filter((k) => KEY.test(k));
    keys.sort().reverse();
    if (keys.length > 0) this.nextSeq = Math.max(this.nextSeq, seqOf(keys[0]) + 1);
    this.known = [...keys];
    return keys;
  }

  /**
   * Write `metadata` as the newest checkpoint (atomically, durably), then delete objects past the
   * last `keep`. Returns its address, and, when the older ones could not be deleted (the directory
   * made read-only just after the write, an object store's policy without delete rights or its
   * outage), why: the checkpoint is written all the same, and a later write deletes them.
   */
  async write(metadata: StreamingMetadata): Promise<{ readonly address: string; readonly notDeleted?: Error }> {
    if (this.known === undefined) await this.keys(); // continue the numbering of an existing directory
    const body = Buffer.from(JSON.stringify(metadata));
    const sum = crypto.createHash('sha256').update(body).digest('hex');
    const data = Buffer.concat([Buffer.from(`${MAGIC} 1 ${sum} ${body.length}\n`), body]);
    const key = `${METADATA_DIR}/checkpoint-${String(this.nextSeq++).padStart(12, '0')}`;
    try {
      await this.store.write(key, data);
    } catch (err) {
      if (isDiskFull(err)) {
        throw new DiskFullError({ path: this.store.describe(key), what: `the metadata checkpoint of batch ${metadata.batchTime} (${metadata.reason})`, where: `the driver, process ${process.pid}`, fix: 'point the checkpoint directory (ssc.checkpoint(dir), or sluice --state-dir) at a larger disk', cause: err });
      }
      // A store's own refusal for want of permission says what to do already (local-checkpoint-store.ts).
      const fix = isNotWritable(err) ? '' : '; check that the checkpoint directory is writable and has space';
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot write metadata checkpoint '${this.store.describe(key)}': ${(err as Error).message}${fix}`, { cause: err });
    }
    const known = [key, ...(this.known ?? [])];
    try {
      await this.store.delete(known.slice(this.keep));
    } catch (err) {
      this.known = known;
      return { address: this.store.describe(key), notDeleted: err as Error };
    }
    this.known = known.slice(0, this.keep);
    return { address: this.store.describe(key) };
  }

  /**
   * The newest whole metadata checkpoint, or undefined when there is none. Damaged objects
   * (checksum or length wrong, not JSON, gone since the listing), and whole ones that
   * `damage` finds unusable (what they refer to is damaged: it returns why), are skipped and
   * reported in `skipped`; when every one is skipped, a NoUsableCheckpointError names them
   * and how to start afresh. A read that fails (the store unreachable, a timeout, a 5xx past
   * the store's own retries) is not damage: it throws, and so may `damage`, rather than fall
   * back to an older checkpoint, whose older state and input positions would be replayed.
   */
  async readLatest(damage?: (md: StreamingMetadata) => Promise<string | undefined>): Promise<ReadMetadata | undefined> {
    const skipped: UnreadableMetadata[] = [];
    for (const key of await this.keys()) {
      const r = await this.readKey(key);
      const reason = 'metadata' in r ? await damage?.(r.metadata) : r.reason;
      if ('metadata' in r && reason === undefined) return { file: this.store.describe(key), metadata: r.metadata, skipped };
      skipped.push({ file: this.store.describe(key), reason: reason ?? 'unusable' });
    }
    if (skipped.length === 0) return undefined;
    throw new NoUsableCheckpointError(
      `no usable metadata checkpoint in '${this.dir}': ${skipped.map((s) => `${s.file.slice(s.file.lastIndexOf('/') + 1)} (${s.reason})`).join('; ')}. ` +
        `To start afresh (the stream's state and input positions are then lost), move or delete the checkpoint directory '${this.store.location}' or give getOrCreate another one` +
        // Spark's CheckpointReader.read when no checkpoint file could be read (getOrCreate without createOnError).
        sparkWords(true, `Failed to read checkpoint from directory ${this.store.location}`),
    );
  }

  /** Every whole metadata checkpoint kept (what the newest and its fallbacks refer to must stay); throws when one cannot be read. */
  async readAll(): Promise<StreamingMetadata[]> {
    const out: StreamingMetadata[] = [];
    for (const key of await this.keys()) {
      const r = await this.readKey(key);
      if ('metadata' in r) out.push(r.metadata);
    }
    return out;
  }

  private async readKey(key: string): Promise<{ metadata: StreamingMetadata } | { reason: string }> {
    let data: Buffer | undefined;
    try {
      data = await this.store.read(key);
    } catch (err) {
      // Not damage: the object may be whole and the newest. Falling back would recover older
      // state and input positions (batches replayed, or lost without a write-ahead log).
      throw new SluiceError(
        'SLUICE_CHECKPOINT',
        `cannot read metadata checkpoint '${this.store.describe(key)}' (${(err as Error).message}); recovery does not fall back to an older checkpoint for a read that failed, only for a damaged or missing one: ` +
          `submit the job again once the checkpoint store answers (on S3, configureS3({ retryTimeoutMs }) makes a read try again for longer)`,
        { cause: err },
      );
    }
    if (data === undefined) return { reason: 'missing: deleted since it was listed' };
    return parseMetadata(data);
  }
}

function seqOf(key: string): number {
  return Number(KEY.exec(key)![1]);
}

/** Parse one metadata object, checking its header, length and checksum. */
export function parseMetadata(data: Buffer): { metadata: StreamingMetadata } | { reason: string } {
  const nl = data.indexOf(0x0a);
  const header = (nl < 0 ? data : data.subarray(0, nl)).toString('latin1').split(' ');
  if (nl < 0 || header.length !== 4 || header[0] !== MAGIC || header[1] !== '1') return { reason: 'no metadata header (truncated or not a Sluice checkpoint)' };
  const body = data.subarray(nl + 1);
  if (body.length !== Number(header[3])) return { reason: `truncated: ${body.length} of ${header[3]} bytes` };
  if (crypto.createHash('sha256').update(body).digest('hex') !== header[2]) return { reason: 'checksum mismatch (corrupt)' };
  try {
    const metadata = JSON.parse(body.toString('utf8')) as StreamingMetadata | (Omit<StreamingMetadata, 'version' | 'pendingRuns'> & { version: 1; pendingTimes: number[] });
    if (metadata.version === 2) return { metadata };
    if (metadata.version !== 1) return { reason: `unknown version ${String((metadata as { version: unknown }).version)}` };
    // Version 1 listed the pending batches one by one.
    const { pendingTimes, ...rest } = metadata;
    return { metadata: { ...rest, version: 2, pendingRuns: toTimeRuns(pendingTimes, metadata.batchIntervalMs) } };
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
}
