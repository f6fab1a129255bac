import type { KinesisCredentials } from './kinesis-credentials.js';
import type { ResolvedInitialPosition } from './initial-position.js';

/** What a KinesisReceiver needs on its worker (plain data, checked by the builder). */
export interface KinesisReaderConfig {
  readonly streamName: string;
  readonly endpointUrl: string;
  readonly regionName: string;
  readonly initialPosition: ResolvedInitialPosition;
  readonly checkpointAppName: string;
  /** How often each shard's last safe sequence number is written (ms). */
  readonly checkpointIntervalMs: number;
  readonly credentials: KinesisCredentials | undefined;
  /** Records asked for by one GetRecords (at most 10,000). */
  readonly maxRecordsPerRead: number;
  /** Wait between two GetRecords of a shard (ms). */
  readonly idleTimeBetweenReadsMs: number;
  /** How often the shard list is read again for splits and merges (ms). */
  readonly shardSyncIntervalMs: number;
  /** Wait before a failed call is tried again (ms). */
  readonly retryWaitMs: number;
}
