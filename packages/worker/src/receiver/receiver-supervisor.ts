import { encodeRecords, userErrorInfo, type Receiver, type ReceiverSupervisor } from '@sluice/core/internal';

export interface SupervisorSink {
  block(blockId: string, data: Uint8Array, count: number): void;
  error(message: string): void;
  started(): void;
  stopped(reason: string): void;
}

/**
 * Runs one receiver in a task thread, as Spark's ReceiverSupervisorImpl with its
 * BlockGenerator: records the receiver stores are buffered and cut into a block every
 * block interval; `restart` stops and starts the receiver again after a delay, reporting
 * why; `stop` flushes the last block and reports the stop.
 */
export class ReceiverSupervisorImpl implements ReceiverSupervisor {
  private buffer: unknown[] = [];
  private seq = 0;
  private stopped = false;
  private restarting = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly receiver: Receiver<unknown>,
    private readonly blockPrefix: string,
    private readonly blockIntervalMs: number,
    private readonly sink: SupervisorSink,
  ) {
    receiver.supervisor = this;
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), this.blockIntervalMs);
    this.startReceiver();
  }

  private startReceiver(): void {
    try {
      const r = this.receiver.onStart();
      if (r instanceof Promise) r.then(() => this.sink.started(), (err: unknown) => this.restart('onStart failed', err));
      else this.sink.started();
    } catch (err) {
      this.restart('onStart failed', err);
    }
  }

  store(records: unknown[]): void {
    if (this.stopped) return;
    for (const r of records) this.buffer.push(r);
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
    this.sink.block(`${this.blockPrefix}_${this.seq++}`, encodeRecords(records), records.length);
  }

  restart(reason: string, error?: unknown, delayMs = 2000): void {
    if (this.stopped || this.restarting) return;
    this.restarting = true;
    this.sink.error(error === undefined ? reason : `${reason}: ${userErrorInfo(error).message}`);
    this.callStop();
    setTimeout(() => {
      this.restarting = false;
      if (!this.stopped) this.startReceiver();
    }, delayMs).unref();
  }

  reportError(message: string, error?: unknown): void {
    this.sink.error(error === undefined ? message : `${message}: ${userErrorInfo(error).message}`);
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.callStop();
    this.flush();
    this.stopped = true;
    clearInterval(this.timer);
    this.sink.stopped(reason);
  }

  isStopped(): boolean {
    return this.stopped;
  }

  private callStop(): void {
    try {
      const r = this.receiver.onStop();
      if (r instanceof Promise) r.catch((err: unknown) => this.sink.error(`onStop failed: ${userErrorInfo(err).message}`));
    } catch (err) {
      this.sink.error(`onStop failed: ${userErrorInfo(err).message}`);
    }
  }
}
