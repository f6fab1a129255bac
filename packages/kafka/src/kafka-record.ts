import { SluiceError, type Accumulator, type DStream, type RDD } from '@sluice/core';

/** One record of a direct Kafka stream. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /**
   * Milliseconds since the epoch: the producer's create time, or in a topic with
   * message.timestamp.type=LogAppendTime the time the broker appended the record's batch.
   */
  readonly timestamp: number;
  /** Which of the two `timestamp` is (Kafka's TimestampType). */
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  /** In the order the producer wrote them (a key may repeat). */
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function where(r: KafkaRecord): string {
  return `record ${r.topic}/${r.partition}@${r.offset}`;
}

/** The value as UTF-8 text (null stays null); invalid UTF-8 is an error naming the record. */
export function valueString(r: KafkaRecord): string | null {
  if (r.value === null) return null;
  try {
    return decoder.decode(r.value);
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_RECORD', `${where(r)}: the value is not valid UTF-8 (${r.value.length} bytes); read it as bytes (record.value), or filter with isValidUtf8 first`, { cause: err });
  }
}

/** The key as UTF-8 text (null stays null). */
export function keyString(r: KafkaRecord): string | null {
  if (r.key === null) return null;
  try {
    return decoder.decode(r.key);
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_RECORD', `${where(r)}: the key is not valid UTF-8 (${r.key.length} bytes); read it as bytes (record.key)`, { cause: err });
  }
}

/** The value parsed as JSON; a value that is not JSON is an error naming the record. */
export function valueJson<T = unknown>(r: KafkaRecord): T {
  const text = valueString(r);
  if (text === null) throw new SluiceError('SLUICE_BAD_RECORD', `${where(r)}: the value is null, not JSON`);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new SluiceError('SLUICE_BAD_RECORD', `${where(r)}: the value is not JSON (${(err as Error).message}): ${JSON.stringify(text.slice(0, 80))}`, { cause: err });
  }
}

export function isValidUtf8(b: Buffer | null): boolean {
  if (b === null) return true;
  try {
    decoder.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** What `valueStrings` does with a value that is not valid UTF-8. */
export interface ValueStringsOptions {
  /** 'fail' (default): the batch fails naming the record; 'skip': the record is left out and counted. */
  readonly invalidUtf8?: 'fail' | 'skip' | undefined;
  /** With 'skip', gets 1 added per skipped record (an accumulator from sc.longAccumulator()). */
  readonly skipped?: Accumulator<number> | undefined;
}

/**
 * The values of a stream of records as UTF-8 strings (null values left out). A value that
 * is not valid UTF-8 fails its batch with an error naming topic/partition@offset, or with
 * `invalidUtf8: 'skip'` is left out and counted in `skipped`.
 */
export function valueStrings(stream: DStream<KafkaRecord>, options: ValueStringsOptions = {}): DStream<string> {
  const mode = options.invalidUtf8 ?? 'fail';
  if (mode !== 'fail' && mode !== 'skip') throw new SluiceError('SLUICE_BAD_ARGUMENT', `valueStrings: invalidUtf8: got ${JSON.stringify(mode)}; use 'fail' or 'skip'`);
  const skipped = options.skipped;
  if (mode === 'fail') return stream.flatMap((r) => (r.value === null ? [] : [valueString(r)!]));
  return stream.flatMap((r) => {
    if (r.value === null) return [];
    if (isValidUtf8(r.value)) return [decoder.decode(r.value)];
    skipped?.add(1);
    return [];
  });
}

/** What `decodeRecords` does with a record its decoder throws on. */
export interface DecodeRecordsOptions {
  /** 'fail' (default): the batch fails naming the record; 'skip': the record is left out and counted. */
  readonly onError?: 'fail' | 'skip' | undefined;
  /** With 'skip', gets 1 added per skipped record (an accumulator from sc.longAccumulator()). */
  readonly skipped?: Accumulator<number> | undefined;
}

/**
 * Each record decoded by `decode` (the place of Spark's key and value deserializers), on an
 * RDD of records (e.g. in `foreachRDD`, before `commitAsync`) or a stream. A record `decode`
 * throws on fails the task with SLUICE_BAD_RECORD naming topic/partition@offset and the
 * decoder's message (Kafka's "Error deserializing key/value for partition ... at offset
 * ..."): the batch fails before its commit, so the record is read again, not lost. With
 * `onError: 'skip'` such records are left out and counted in `skipped`.
 */
export function decodeRecords<T>(target: RDD<KafkaRecord>, decode: (r: KafkaRecord) => T, options?: DecodeRecordsOptions): RDD<T>;
export function decodeRecords<T>(target: DStream<KafkaRecord>, decode: (r: KafkaRecord) => T, options?: DecodeRecordsOptions): DStream<T>;
export function decodeRecords<T>(target: RDD<KafkaRecord> | DStream<KafkaRecord>, decode: (r: KafkaRecord) => T, options: DecodeRecordsOptions = {}): RDD<T> | DStream<T> {
  if (typeof decode !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `decodeRecords: decode: got ${typeof decode}; give a function from a KafkaRecord to its decoded value`);
  const mode = options.onError ?? 'fail';
  if (mode !== 'fail' && mode !== 'skip') throw new SluiceError('SLUICE_BAD_ARGUMENT', `decodeRecords: onError: got ${JSON.stringify(mode)}; use 'fail' or 'skip'`);
  const skipped = options.skipped;
  const decodeOne = (r: KafkaRecord): T[] => {
    try {
      return [decode(r)];
    } catch (err) {
      if (mode === 'skip') {
        skipped?.add(1);
        return [];
      }
      // The helpers above already name the record.
      if (err instanceof SluiceError && err.code === 'SLUICE_BAD_RECORD') throw err;
      throw new SluiceError('SLUICE_BAD_RECORD', `${where(r)}: the decoder failed: ${(err as Error)?.message ?? String(err)}; fix what wrote the record, or decode with { onError: 'skip' } to leave such records out and count them`, { cause: err });
    }
  };
  return (target as DStream<KafkaRecord>).flatMap(decodeOne);
}
