/**
 * One Flume event as a Flume stream gives it, as Spark's SparkFlumeEvent: the event's
 * headers (Flume's `Map<CharSequence, CharSequence>`, as strings) and its body bytes.
 * Records travel between processes with the record codec, which keeps a Buffer a Buffer.
 */
export interface SparkFlumeEvent {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}
