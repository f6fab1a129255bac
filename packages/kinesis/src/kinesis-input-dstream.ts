import { SluiceError, StorageLevel, refuseUnknownOptions, type DStream, type SparkStorageLevel, type StreamingContext } from '@sluice/core';
import type { KinesisCredentials } from './kinesis-credentials.js';
import type { KinesisRecord } from './kinesis-record.js';
import { resolveInitialPosition, type KinesisInitialPosition, type ResolvedInitialPosition } from './initial-position.js';
import type { KinesisReaderConfig } from './kinesis-reader-config.js';
import { KinesisReceiver } from './kinesis-receiver.js';
import type { ReaderPlacement } from './shard-coordinator.js';

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

function bad(setting: string, value: unknown, fix: string): SluiceError {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return new SluiceError('SLUICE_BAD_ARGUMENT', `Kinesis: ${setting} ${shown} is not valid: ${fix}`);
}

/** The streams of one StreamingContext that read the same stream for the same application: they share its shards. */
const groups = new WeakMap<StreamingContext, Map<string, KinesisReceiver<unknown>[]>>();

// KinesisCredentials' keys, spelt out so the compiler says when the interface gains one.
const CREDENTIAL_KEYS: Record<keyof KinesisCredentials, true> = { accessKeyId: true, secretAccessKey: true, sessionToken: true };
const STS = "SparkAWSCredentials' stsCredentials, which Sluice refuses: give the workers a role through the SDK's default chain (kinesisCredentials(undefined))";
/** Spark's names (KinesisUtils' parameters, BasicCredentials' fields, STS's) a user may give as keys, and the key each is here. */
const SPARK_CREDENTIAL_NAMES: Readonly<Record<string, string>> = {
  awsAccessKeyId: 'accessKeyId',
  awsSecretKey: 'secretAccessKey',
  secretKey: 'secretAccessKey',
  roleArn: STS,
  sessionName: STS,
  externalId: STS,
};

/**
 * Builds a Kinesis input stream, as Spark's KinesisInputDStream.Builder. Required:
 * streamingContext, streamName, checkpointAppName; the rest have Spark's defaults
 * (endpoint https://kinesis.us-east-1.amazonaws.com, its region, LATEST, the batch
 * interval as checkpoint interval).
 */
export class KinesisInputDStreamBuilder {
  private ssc: StreamingContext | undefined;
  private stream: string | undefined;
  private endpoint = 'https://kinesis.us-east-1.amazonaws.com';
  private region: string | undefined;
  private initial: ResolvedInitialPosition = { kind: 'LATEST' };
  private appName: string | undefined;
  private intervalMs: number | undefined;
  private credentials: KinesisCredentials | undefined;
  private maxRecords = 10_000;
  private idleMs = 200;
  private shardSyncMs = 1000;
  private retryMs = 1000;
  private level: StorageLevel | SparkStorageLevel = StorageLevel.MEMORY_AND_DISK_2;
  private metricsNone = false;
  private dimensions: readonly string[] | undefined;

  streamingContext(ssc: StreamingContext): this {
    this.ssc = ssc;
    return this;
  }

  streamName(name: string): this {
    if (typeof name !== 'string' || !NAME.test(name)) throw bad('streamName', name, "give the stream's name: 1 to 128 letters, digits, '_', '.' or '-'");
    this.stream = name;
    return this;
  }

  endpointUrl(url: string): this {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw bad('endpointUrl', url, 'give a URL such as https://kinesis.eu-west-1.amazonaws.com or http://localhost:4567');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad('endpointUrl', url, 'the scheme must be http: or https:');
    this.endpoint = url;
    return this;
  }

  regionName(region: string): this {
    if (typeof region !== 'string' || !/^[a-z0-9-]+$/.test(region)) throw bad('regionName', region, 'give an AWS region such as us-east-1');
    this.region = region;
    return this;
  }

  /** 'LATEST' (default), 'TRIM_HORIZON', or { atTimestamp: Date }: where a shard the application never read starts. */
  initialPosition(position: KinesisInitialPosition): this {
    this.initial = resolveInitialPosition(position);
    return this;
  }

  /**
   * Spark's deprecated initialPositionInStream(InitialPositionInStream.LATEST | TRIM_HORIZON):
   * the same as initialPosition; anything else is refused, as Spark's throws on AT_TIMESTAMP
   * (give initialPosition(new KinesisInitialPositions.AtTimestamp(date)) for a timestamp).
   */
  initialPositionInStream(position: 'LATEST' | 'TRIM_HORIZON'): this {
    if (position !== 'LATEST' && position !== 'TRIM_HORIZON') {
      throw bad('initialPositionInStream', position, 'give InitialPositionInStream.LATEST or InitialPositionInStream.TRIM_HORIZON; for a timestamp use .initialPosition(new KinesisInitialPositions.AtTimestamp(date))');
    }
    this.initial = { kind: position };
    return this;
  }

  /** Names this application's checkpoints (Spark: the KCL's DynamoDB table); streams with the same name share the shards. */
  checkpointAppName(name: string): this {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,255}$/.test(name) || name === '.' || name === '..') {
      throw bad('checkpointAppName', name, "give a name of letters, digits, '_', '.' or '-' (it names a directory under the checkpoint directory)");
    }
    this.appName = name;
    return this;
  }

  /** How often each shard's last safe sequence number is written (ms; default: the batch interval). */
  checkpointInterval(ms: number): this {
    if (!Number.isFinite(ms) || ms < 1) throw bad('checkpointInterval', ms, 'give milliseconds >= 1, for example 10000');
    this.intervalMs = ms;
    return this;
  }

  /**
   * Credentials for Kinesis (Spark's kinesisCredentials); default: the AWS SDK's default chain on
   * each worker, which `undefined` (what `SparkAWSCredentials.builder().build()` gives) also asks for.
   */
  kinesisCredentials(credentials: KinesisCredentials | undefined): this {
    if (credentials === undefined) {
      this.credentials = undefined;
      return this;
    }
    const c = credentials as Partial<KinesisCredentials> | null;
    // A key Sluice does not know would be taken and ignored (Spark's awsSecretKey for secretAccessKey, an STS setting).
    if (typeof c === 'object' && c !== null) refuseUnknownOptions(c, CREDENTIAL_KEYS, 'KinesisInputDStream.builder().kinesisCredentials(credentials)', SPARK_CREDENTIAL_NAMES);
    if (!c || typeof c.accessKeyId !== 'string' || c.accessKeyId === '' || typeof c.secretAccessKey !== 'string' || c.secretAccessKey === '') {
      throw bad('kinesisCredentials', c && { ...c, secretAccessKey: c.secretAccessKey ? '***' : c.secretAccessKey }, 'give { accessKeyId, secretAccessKey } (and sessionToken for temporary credentials)');
    }
    this.credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
    return this;
  }

  /**
   * Spark's storageLevel (default StorageLevel.MEMORY_AND_DISK_2, Spark's): taken as a receiver's
   * is, any StorageLevel.* of @sluice/core; the blocks are stored as Sluice always stores them
   * (serialized, replicated to a second worker or written ahead with writeAheadLog).
   */
  storageLevel(level: StorageLevel | SparkStorageLevel): this {
    if (!(level instanceof StorageLevel) && !(typeof level === 'string' && (StorageLevel as unknown as Record<string, unknown>)[level] instanceof StorageLevel)) throw bad('storageLevel', level, 'give StorageLevel.MEMORY_AND_DISK_2 (or another StorageLevel.* from @sluice/core)');
    this.level = level;
    return this;
  }

  /**
   * Spark's CloudWatch metrics level. Sluice sends nothing to CloudWatch, so only
   * MetricsLevel.NONE is honoured; SUMMARY and DETAILED are refused (the stream's rates are in
   * the streaming UI and on /metrics).
   */
  metricsLevel(level: KinesisMetricsLevel): this {
    if (level !== 'NONE') {
      throw bad(
        'metricsLevel',
        level,
        "Sluice sends no CloudWatch metrics, so only MetricsLevel.NONE can be honoured: remove .metricsLevel(...) (or give MetricsLevel.NONE); the stream's record rates are in the streaming UI and on the driver's /metrics",
      );
    }
    this.metricsNone = true;
    return this;
  }

  /** Spark's metricsEnabledDimensions: taken only with metricsLevel(MetricsLevel.NONE) (nothing is sent; see metricsLevel). */
  metricsEnabledDimensions(dimensions: Iterable<string>): this {
    this.dimensions = [...dimensions];
    return this;
  }

  /** Spark's dynamoDBCredentials: refused, Sluice uses no DynamoDB (the shard checkpoints live in the checkpoint directory). */
  dynamoDBCredentials(credentials: KinesisCredentials | undefined): never {
    void credentials;
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      "Kinesis: dynamoDBCredentials cannot be honoured: Sluice uses no DynamoDB table, each shard's checkpoint is a file in the job's checkpoint directory (ssc.checkpoint(dir)); remove .dynamoDBCredentials(...)",
    );
  }

  /** Spark's cloudWatchCredentials: refused, Sluice sends nothing to CloudWatch. */
  cloudWatchCredentials(credentials: KinesisCredentials | undefined): never {
    void credentials;
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      "Kinesis: cloudWatchCredentials cannot be honoured: Sluice sends no CloudWatch metrics; remove .cloudWatchCredentials(...) (the stream's rates are in the streaming UI and on the driver's /metrics)",
    );
  }

  /** Records asked for by one GetRecords (1 to 10,000; default 10,000), as Spark's KinesisReadConfigs. */
  maxRecordsPerRead(n: number): this {
    if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) throw bad('maxRecordsPerRead', n, 'give a whole number from 1 to 10000');
    this.maxRecords = n;
    return this;
  }

  /** Wait between two GetRecords of a shard (ms; default 200: Kinesis allows 5 reads a second per shard), as the KCL's idleTimeBetweenReadsInMillis. */
  idleTimeBetweenReads(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw bad('idleTimeBetweenReads', ms, 'give milliseconds >= 0');
    this.idleMs = ms;
    return this;
  }

  /** How often the shard list is read for splits and merges (ms; default 1000). */
  shardSyncInterval(ms: number): this {
    if (!Number.isFinite(ms) || ms < 10) throw bad('shardSyncInterval', ms, 'give milliseconds >= 10');
    this.shardSyncMs = ms;
    return this;
  }

  /** Wait before a failed Kinesis call is tried again (ms; default 1000). */
  retryWait(ms: number): this {
    if (!Number.isFinite(ms) || ms < 1) throw bad('retryWait', ms, 'give milliseconds >= 1');
    this.retryMs = ms;
    return this;
  }

  /** The payloads, as Buffers (Spark's build(): Array[Byte]). */
  build(): DStream<Buffer> {
    return this.make<Buffer>(undefined);
  }

  /** Each record mapped by `handler` on the worker that reads it (Spark's buildWithMessageHandler). */
  buildWithMessageHandler<T>(handler: (record: KinesisRecord) => T): DStream<T> {
    if (typeof handler !== 'function') throw bad('messageHandler', handler, 'give a function (record) => value');
    return this.make<T>(handler);
  }

  private make<T>(handler: ((record: KinesisRecord) => T) | undefined): DStream<T> {
    const ssc = this.ssc;
    if (!ssc) throw new SluiceError('SLUICE_BAD_ARGUMENT', 'Kinesis: streamingContext is not set: call .streamingContext(ssc) on the builder');
    if (!this.stream) throw new SluiceError('SLUICE_BAD_ARGUMENT', "Kinesis: streamName is not set: call .streamName('my-stream') on the builder");
    if (!this.appName) throw new SluiceError('SLUICE_BAD_ARGUMENT', `Kinesis stream '${this.stream}': checkpointAppName is not set: call .checkpointAppName('my-app') (it names where the shards' checkpoints are kept)`);
    if (this.dimensions !== undefined && !this.metricsNone) {
      throw bad(
        'metricsEnabledDimensions',
        this.dimensions,
        "Sluice sends no CloudWatch metrics (Spark's default metricsLevel, DETAILED, would send them with these dimensions): remove .metricsEnabledDimensions(...), or also call .metricsLevel(MetricsLevel.NONE)",
      );
    }
    const region = this.region ?? regionOf(this.endpoint);
    const config: KinesisReaderConfig = {
      streamName: this.stream,
      endpointUrl: this.endpoint,
      regionName: region,
      initialPosition: this.initial,
      checkpointAppName: this.appName,
      checkpointIntervalMs: this.intervalMs ?? ssc.batchIntervalMs,
      credentials: this.credentials,
      maxRecordsPerRead: this.maxRecords,
      idleTimeBetweenReadsMs: this.idleMs,
      shardSyncIntervalMs: this.shardSyncMs,
      retryWaitMs: this.retryMs,
    };
    const receiver = new KinesisReceiver<T>(config, handler, this.level);
    let byKey = groups.get(ssc);
    if (!byKey) groups.set(ssc, (byKey = new Map()));
    const key = `${config.endpointUrl} ${config.regionName} ${config.streamName} ${config.checkpointAppName}`;
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = []));
    const index = group.length;
    group.push(receiver as KinesisReceiver<unknown>);
    const members = group;
    const stream = config.streamName;
    const app = config.checkpointAppName;
    Object.defineProperty(receiver, 'placement', {
      enumerable: true,
      configurable: true,
      get(): ReaderPlacement {
        const dir = ssc.sc.checkpointDirectory;
        if (dir === undefined) {
          throw new SluiceError(
            'SLUICE_BAD_ARGUMENT',
            `Kinesis stream '${stream}' (checkpointAppName '${app}') needs a checkpoint directory: Sluice keeps each shard's last safe sequence number there (where Spark's KCL uses a DynamoDB table); call ssc.checkpoint(dir) before ssc.start()`,
          );
        }
        return { readerIndex: index, readers: members.length, checkpointDir: dir };
      },
    });
    // Spark's KinesisUtils/builder: ssc.withNamedScope("kinesis stream"), `kinesis stream [n]`.
    return ssc.withNamedScope('kinesis stream', () => ssc.receiverStream<T>(receiver, `KinesisInputDStream(${stream}, ${app}, reader ${index})`));
  }
}

/** Spark's (the KCL's) MetricsLevel names; Sluice honours NONE only (see metricsLevel). */
export const MetricsLevel = { NONE: 'NONE', SUMMARY: 'SUMMARY', DETAILED: 'DETAILED' } as const;
export type KinesisMetricsLevel = (typeof MetricsLevel)[keyof typeof MetricsLevel];

/** The region in a Kinesis endpoint (kinesis.eu-west-1.amazonaws.com), else us-east-1 as Spark's default. */
function regionOf(endpoint: string): string {
  const m = /kinesis(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(endpoint).hostname);
  return m ? m[1]! : 'us-east-1';
}

/**
 * Kinesis input, as Spark's KinesisInputDStream: a receiver that reads the stream's
 * shards with GetRecords and stores each response with the positions of its records.
 *
 * As in Spark, one built stream is one receiver; several built with the same stream and
 * checkpointAppName in one StreamingContext (union them) share the shards — shard number
 * k is read by the (k mod n)-th — so n streams spread the shards over the workers.
 */
export const KinesisInputDStream = {
  builder(): KinesisInputDStreamBuilder {
    return new KinesisInputDStreamBuilder();
  },
};
