import { Receiver } from '@sluice/core';
import { AvroRequestor } from './avro-requestor.js';
import type { SparkFlumeEvent } from './flume-event.js';
import { EVENT_BATCH, INT, SPARK_FLUME_PROTOCOL_MD5, SPARK_FLUME_PROTOCOL_TEXT, STRING, type EventBatch } from './spark-sink-protocol.js';

/** What the polling receiver is given (plain data, shipped to its worker). */
export interface ResolvedPollingOptions {
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  readonly maxBatchSize: number;
  readonly parallelism: number;
  /** How long a call or a connection attempt may take before the connection is dropped. */
  readonly timeoutMs: number;
  /** Wait after a failed connection or call, and after an answer with no events. */
  readonly retryWaitMs: number;
}

/**
 * The receiver behind FlumeUtils.createPollingStream, as Spark's FlumePollingReceiver: it
 * pulls from SparkSinks running in Flume agents. One connection per sink address; up to
 * `parallelism` fetches at a time, each taking the next free connection in turn (Spark's
 * connection queue): getEventBatch(maxBatchSize), then `store` of the events and, once
 * they are durable, `ack` of the batch's sequence number (the sink commits its channel
 * transaction); if they cannot be stored, or the receiver is stopping, `nack` (the sink
 * rolls back, and the events are pulled again). An answer with an error message (no events
 * in the channel, a sink shutting down) is waited out and asked again. A failed connection
 * is reported, dropped and made again after `retryWaitMs`; a batch whose ack was lost is
 * rolled back by the sink's transaction timeout and pulled again (at least once).
 *
 * Threading: the receiver's thread.
 */
export class FlumePollingReceiver extends Receiver<SparkFlumeEvent> {
  private connections: AvroRequestor[] = [];
  private free: AvroRequestor[] = [];
  private waiters: ((c: AvroRequestor) => void)[] = [];
  private running = false;
  private lastReport = '';

  constructor(readonly options: ResolvedPollingOptions) {
    super();
  }

  get where(): string {
    return `flume polling receiver of ${this.options.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}`;
  }

  onStart(): void {
    this.running = true;
    const o = this.options;
    this.connections = o.addresses.map((a) => new AvroRequestor(a.host, a.port, SPARK_FLUME_PROTOCOL_TEXT, SPARK_FLUME_PROTOCOL_MD5, o.timeoutMs));
    this.free = [...this.connections];
    this.waiters = [];
    for (let i = 0; i < o.parallelism; i++) void this.fetchLoop();
  }

  onStop(): void {
    this.running = false;
    for (const c of this.connections) c.close();
    this.connections = [];
    this.free = [];
  }

  private take(): Promise<AvroRequestor> {
    const c = this.free.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private give(c: AvroRequestor): void {
    if (!this.running) return;
    const w = this.waiters.shift();
    if (w) w(c);
    else this.free.push(c);
  }

  private async fetchLoop(): Promise<void> {
    while (this.running && !this.isStopped()) {
      const c = await this.take();
      if (!this.running) return;
      let wait = 0;
      try {
        wait = await this.fetchOnce(c);
      } catch (err) {
        c.close();
        this.report(`${this.where}: SparkSink at ${c.where}: ${(err as Error).message}; retrying every ${this.options.retryWaitMs} ms`);
        wait = this.options.retryWaitMs;
      }
      // The connection goes back at once; this fetcher waits before asking for one again.
      this.give(c);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** One getEventBatch and its ack or nack; resolves with how long to wait before the next. */
  private async fetchOnce(c: AvroRequestor): Promise<number> {
    if (!c.connected) await c.connect();
    const batch = AvroRequestor.read<EventBatch>(EVENT_BATCH, await c.call('getEventBatch', INT.toBuffer(this.options.maxBatchSize)), 'EventBatch');
    if (batch.errorMsg !== '') {
      // SparkSink answers so when its channel had no events (Spark logs it and asks again).
      return this.options.retryWaitMs;
    }
    this.lastReport = '';
    const seq = STRING.toBuffer(batch.sequenceNumber);
    if (batch.events.length === 0) {
      await c.call('ack', seq);
      return this.options.retryWaitMs;
    }
    if (!this.running || this.isStopped()) {
      await c.call('nack', seq);
      return 0;
    }
    const events: SparkFlumeEvent[] = batch.events.map((e) => ({ headers: { ...e.headers }, body: e.body }));
    try {
      await this.store(events);
    } catch (err) {
      await c.call('nack', seq);
      this.report(`${this.where}: could not store ${events.length} events of SparkSink ${c.where} (batch ${batch.sequenceNumber}, sent back with nack): ${(err as Error).message}`);
      return this.options.retryWaitMs;
    }
    await c.call('ack', seq);
    return 0;
  }

  private report(message: string): void {
    if (this.isStopped() || message === this.lastReport) return;
    this.lastReport = message;
    this.reportError(message);
  }
}
