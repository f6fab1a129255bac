import { crc32c } from './crc32c.js';
import { WireReader, WireWriter } from './wire.js';

/**
 * Record batches, magic 2: the broker reads only a batch's header (offsets, producer id,
 * sequence, record count) and checks its CRC-32C, and stores the batch as its bytes with
 * the base offset rewritten, as a real broker does. Records inside (possibly compressed)
 * are the clients' business; `decodeRecords` here is for tests of uncompressed batches.
 *
 * Layout: baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
 * crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 * maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
 * recordCount int32 | records. The CRC covers attributes to the end.
 */
export interface BatchHeader {
  readonly baseOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
  readonly attributes: number;
}

export interface StoredBatch {
  readonly header: BatchHeader;
  /** The whole batch as sent, base offset not yet rewritten. */
  readonly bytes: Buffer;
}

const HEADER_SIZE = 61;
const CRC_START = 21;

export class CorruptBatchError extends Error {}

/** Splits a produce request's records into batches, checking each one's magic and CRC. */
export function splitBatches(records: Buffer): StoredBatch[] {
  const out: StoredBatch[] = [];
  let pos = 0;
  while (pos < records.length) {
    if (records.length - pos < HEADER_SIZE) throw new CorruptBatchError(`truncated record batch at byte ${pos}`);
    const batchLength = records.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (batchLength < HEADER_SIZE - 12 || end > records.length) throw new CorruptBatchError(`record batch length ${batchLength} at byte ${pos} overruns ${records.length}`);
    const bytes = records.subarray(pos, end);
    const magic = bytes.readInt8(16);
    if (magic !== 2) throw new CorruptBatchError(`record batch magic ${magic} (only 2 is supported)`);
    const crc = bytes.readUInt32BE(17);
    const actual = crc32c(bytes.subarray(CRC_START));
    if (crc !== actual) throw new CorruptBatchError(`record batch CRC ${crc} != computed ${actual}`);
    out.push({ header: readHeader(bytes), bytes });
    pos = end;
  }
  return out;
}

function readHeader(b: Buffer): BatchHeader {
  return {
    baseOffset: b.readBigInt64BE(0),
    attributes: b.readInt16BE(21),
    lastOffsetDelta: b.readInt32BE(23),
    maxTimestamp: b.readBigInt64BE(35),
    producerId: b.readBigInt64BE(43),
    producerEpoch: b.readInt16BE(51),
    baseSequence: b.readInt32BE(53),
    recordCount: b.readInt32BE(57),
  };
}

/** A copy of the batch with its base offset and leader epoch set (outside the CRC). */
export function withBaseOffset(bytes: Buffer, baseOffset: bigint, leaderEpoch: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeBigInt64BE(baseOffset, 0);
  copy.writeInt32BE(leaderEpoch, 12);
  return copy;
}

export interface PlainRecord {
  readonly offset: bigint;
  /** As Kafka defines it: the record's create time, or the batch's max timestamp in a LogAppendTime batch. */
  readonly timestamp: bigint;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

/** Records of an uncompressed batch (tests use it to look inside the log). */
export function decodeRecords(batch: Buffer): PlainRecord[] {
  const h = readHeader(batch);
  if ((h.attributes & 0x7) !== 0) throw new Error('decodeRecords: compressed batch');
  const baseTimestamp = batch.readBigInt64BE(27);
  const logAppend = (h.attributes & LOG_APPEND_TIME) !== 0;
  const r = new WireReader(batch.subarray(HEADER_SIZE));
  const out: PlainRecord[] = [];
  for (let i = 0; i < h.recordCount; i++) {
    r.varint();
    r.int8();
    const tsDelta = r.varlong();
    const offDelta = r.varint();
    const kl = r.varint();
    const key = kl < 0 ? null : Buffer.from(r.bytes(kl));
    const vl = r.varint();
    const value = vl < 0 ? null : Buffer.from(r.bytes(vl));
    const headers: [string, Buffer | null][] = [];
    const hc = r.varint();
    for (let j = 0; j < hc; j++) {
      const hk = r.bytes(r.varint()).toString('utf8');
      const hl = r.varint();
      headers.push([hk, hl < 0 ? null : Buffer.from(r.bytes(hl))]);
    }
    out.push({ offset: h.baseOffset + BigInt(offDelta), timestamp: logAppend ? h.maxTimestamp : baseTimestamp + tsDelta, timestampType: logAppend ? 'LogAppendTime' : 'CreateTime', key, value, headers });
  }
  return out;
}

/** An uncompressed batch of `records` (no producer id), as a client without idempotence sends. */
export function encodeBatch(records: readonly { key: Buffer | null; value: Buffer | null; timestamp: bigint }[]): Buffer {
  const body = new WireWriter();
  const base = records[0]?.timestamp ?? 0n;
  let max = base;
  records.forEach((rec, i) => {
    if (rec.timestamp > max) max = rec.timestamp;
    const w = new WireWriter();
    w.int8(0).varlong(rec.timestamp - base).varint(i);
    if (rec.key === null) w.varint(-1);
    else w.varint(rec.key.length).raw(rec.key);
    if (rec.value === null) w.varint(-1);
    else w.varint(rec.value.length).raw(rec.value);
    w.varint(0);
    const r = w.toBuffer();
    body.varint(r.length).raw(r);
  });
  const tail = new WireWriter()
    .int16(0)
    .int32(records.length - 1)
    .int64(base)
    .int64(max)
    .int64(-1n)
    .int16(-1)
    .int32(-1)
    .int32(records.length)
    .raw(body.toBuffer())
    .toBuffer();
  return new WireWriter()
    .int64(0n)
    .int32(tail.length + 9)
    .int32(-1)
    .int8(2)
    .uint32(crc32c(tail))
    .raw(tail)
    .toBuffer();
}

/** Batch attribute bits (Kafka's RecordBatch): timestamp type LogAppendTime, transactional, control. */
export const LOG_APPEND_TIME = 0x08;
export const TRANSACTIONAL = 0x10;
export const CONTROL = 0x20;

function withCrc(bytes: Buffer): Buffer {
  bytes.writeUInt32BE(crc32c(bytes.subarray(CRC_START)), 17);
  return bytes;
}

/** The batch as a LogAppendTime topic's broker stores it: timestamp type bit set, max timestamp = the broker's clock. */
export function withLogAppendTime(batch: StoredBatch, now: bigint): StoredBatch {
  const bytes = Buffer.from(batch.bytes);
  bytes.writeInt16BE(batch.header.attributes | LOG_APPEND_TIME, 21);
  bytes.writeBigInt64BE(now, 35);
  withCrc(bytes);
  return { header: readHeader(bytes), bytes };
}

/**
 * An uncompressed batch with only the records `keep` accepts, each at its own offset (the
 * header, last offset delta included, unchanged: the log cleaner's output); null when no
 * record is left. Compressed and control batches are kept whole.
 */
export function rewriteBatch(batch: Buffer, keep: (r: PlainRecord) => boolean): Buffer | null {
  const h = readHeader(batch);
  if ((h.attributes & 0x7) !== 0 || (h.attributes & CONTROL) !== 0) return batch;
  const records = decodeRecords(batch);
  const r = new WireReader(batch.subarray(HEADER_SIZE));
  const kept: Buffer[] = [];
  for (const rec of records) {
    const start = r.offset;
    const len = r.varint();
    const whole = batch.subarray(HEADER_SIZE + start, HEADER_SIZE + r.offset + len);
    r.bytes(len);
    if (keep(rec)) kept.push(whole);
  }
  if (kept.length === 0) return null;
  const out = Buffer.concat([batch.subarray(0, HEADER_SIZE), ...kept]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(kept.length, 57);
  return withCrc(out);
}

/**
 * A transaction marker as the coordinator writes it to every partition of a transaction
 * that ends: a control batch of one record whose key is (version 0, type 0 abort / 1
 * commit) and whose value is (version 0, coordinator epoch).
 */
export function encodeControlBatch(producerId: bigint, producerEpoch: number, commit: boolean, timestamp: bigint): Buffer {
  const key = new WireWriter().int16(0).int16(commit ? 1 : 0).toBuffer();
  const value = new WireWriter().int16(0).int32(0).toBuffer();
  const rec = new WireWriter().int8(0).varlong(0n).varint(0).varint(key.length).raw(key).varint(value.length).raw(value).varint(0).toBuffer();
  const tail = new WireWriter()
    .int16(TRANSACTIONAL | CONTROL)
    .int32(0)
    .int64(timestamp)
    .int64(timestamp)
    .int64(producerId)
    .int16(producerEpoch)
    .int32(-1)
    .int32(1)
    .varint(rec.length)
    .raw(rec)
    .toBuffer();
  return new WireWriter().int64(0n).int32(tail.length + 9).int32(-1).int8(2).uint32(crc32c(tail)).raw(tail).toBuffer();
}
