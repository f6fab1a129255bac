/**
 * One Kinesis record as a messageHandler sees it (Spark's KCL `Record`): the payload bytes,
 * the partition key, the sequence number, the arrival time and the shard it was read from,
 * as fields, and as the KCL Record's getters a Spark messageHandler calls
 * (`record.getData()`, `record.getPartitionKey()`, ...).
 */
export class KinesisRecord {
  constructor(
    readonly data: Buffer,
    readonly partitionKey: string,
    /** Kinesis' sequence number: a decimal string, increasing within a shard. */
    readonly sequenceNumber: string,
    readonly approximateArrivalTimestamp: Date | undefined,
    readonly shardId: string,
  ) {}

  /** The payload (the KCL's `ByteBuffer`; here the same bytes as `data`). */
  getData(): Buffer {
    return this.data;
  }

  getPartitionKey(): string {
    return this.partitionKey;
  }

  getSequenceNumber(): string {
    return this.sequenceNumber;
  }

  getApproximateArrivalTimestamp(): Date | undefined {
    return this.approximateArrivalTimestamp;
  }
}
