import { Receiver, type SparkStorageLevel, type StorageLevel } from '@sluice/core';
import { createKinesisClient } from './kinesis-client.js';
import type { KinesisReaderConfig } from './kinesis-reader-config.js';
import type { KinesisRecord } from './kinesis-record.js';
import { ShardCoordinator, type ReaderPlacement } from './shard-coordinator.js';

/**
 * The receiver behind KinesisInputDStream: on its worker it reads the shards it owns (see
 * ShardCoordinator), stores each GetRecords response with the stream position of its first
 * record, and checkpoints each shard's last safe sequence number in the job's checkpoint
 * directory. `messageHandler` maps each record (the payload Buffer when absent).
 *
 * `placement` is set by the builder: on the driver an accessor read when the receiver is
 * shipped at ssc.start() (by then every stream of the group is built and the checkpoint
 * directory set), on the worker the plain data it gave.
 */
export class KinesisReceiver<T> extends Receiver<T> {
  declare readonly placement: ReaderPlacement;
  private coordinator: ShardCoordinator<T> | undefined;

  constructor(
    readonly config: KinesisReaderConfig,
    readonly messageHandler: ((record: KinesisRecord) => T) | undefined,
    storageLevel: StorageLevel | SparkStorageLevel = 'MEMORY_AND_DISK_2',
  ) {
    super(storageLevel);
  }

  onStart(): void {
    const handler = this.messageHandler;
    const c = new ShardCoordinator<T>(createKinesisClient(this.config), this.config, this.placement, {
      store: (records, position) => this.store(records, { position }),
      map: handler ? (r) => handler(r) : (r) => r.data as T,
      reportError: (message, err) => this.reportError(message, err),
      restart: (message, err) => this.restart(message, err),
    });
    this.coordinator = c;
    c.start();
  }

  onStop(): Promise<void> {
    const c = this.coordinator;
    this.coordinator = undefined;
    return c ? c.stop() : Promise.resolve();
  }
}
