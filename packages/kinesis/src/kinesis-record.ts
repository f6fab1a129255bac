/**
 * One Kinesis record as a messageHandler sees it (Spark's KCL `Record`): the payload bytes,
 * the partition key, the sequence number, the arrival time and the shard it was read from.
 */
export interface KinesisRecord {
  readonly data: Buffer;
  readonly partitionKey: string;
  /** Kinesis' sequence number: a decimal string, increasing within a shard. */
  readonly sequenceNumber: string;
  readonly approximateArrivalTimestamp: Date | undefined;
  readonly shardId: string;
}
