import net from 'node:net';
import { Receiver, SluiceError } from '@sluice/core';
import { ProtocolCache } from './avro-responder.js';
import { FlumeConnection, type ConnectionHost } from './flume-connection.js';
import type { SparkFlumeEvent } from './flume-event.js';
import type { ResolvedFlumeOptions } from './flume-options.js';

/** At most this many error reports per REPORT_WINDOW_MS; the rest are counted and said with the next one. */
const REPORTS_PER_WINDOW = 20;
const REPORT_WINDOW_MS = 10_000;

/**
 * The receiver behind FlumeUtils.createStream, as Spark's FlumeReceiver: an Avro server
 * for Flume's AvroSourceProtocol listening on `hostname:port` on the worker that runs it,
 * so a Flume agent's `avro` sink can push to it. Each append/appendBatch is stored as it
 * arrives and answered `OK` only once `store` made its events durable; the sink takes
 * events out of its channel only on OK, and sends a batch again after FAILED, an error
 * or a timeout, so a killed worker loses nothing the sink saw acknowledged (at least
 * once: a batch stored but not yet answered when the worker died comes again).
 *
 * Placement: Sluice has no preferred location for receivers (Spark's FlumeReceiver asks
 * for the host `hostname` names); the ReceiverTracker places it on any worker and, when
 * that worker dies, on another, where it binds `hostname:port` again. Use an address
 * every worker host has (0.0.0.0), and point the sink at the workers (a failover sink
 * group over them when there are several hosts).
 *
 * Invariants: `connections` holds the open connections of the running server only;
 * onStop closes the server and every connection (their unanswered calls are re-sent by
 * the sink). Threading: the receiver's thread.
 */
export class FlumeReceiver extends Receiver<SparkFlumeEvent> {
  private server: net.Server | undefined;
  private connections: Set<FlumeConnection> | undefined;
  private reports = 0;
  private suppressed = 0;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly hostname: string,
    readonly port: number,
    readonly options: ResolvedFlumeOptions,
  ) {
    super();
  }

  /** `flume receiver on HOST:PORT`. */
  get where(): string {
    return `flume receiver on ${this.hostname.includes(':') ? `[${this.hostname}]` : this.hostname}:${this.port}`;
  }

  onStart(): Promise<void> {
    const connections = new Set<FlumeConnection>();
    this.connections = connections;
    this.reports = 0;
    this.suppressed = 0;
    this.reportTimer = setInterval(() => this.newReportWindow(), REPORT_WINDOW_MS);
    this.reportTimer.unref();
    const protocols = new ProtocolCache();
    const host: ConnectionHost = {
      where: this.where,
      options: this.options,
      protocols,
      store: (events) => this.store(events),
      bufferFull: () => this.bufferFull(),
      untilAccepting: () => this.untilAccepting(),
      report: (m) => this.report(m),
      closed: (c) => connections.delete(c),
    };
    const server = net.createServer((socket) => {
      if (this.server !== server) {
        socket.destroy();
        return;
      }
      connections.add(new FlumeConnection(socket, host));
    });
    this.server = server;
    return new Promise<void>((resolve, reject) => {
      const onListenError = (err: NodeJS.ErrnoException): void => {
        this.server = undefined;
        reject(new SluiceError('SLUICE_IO', `${this.where}: cannot listen (${describeListenError(err, this.hostname, this.port)})`, { cause: err }));
      };
      server.once('error', onListenError);
      server.listen({ host: this.hostname, port: this.port, backlog: 1024 }, () => {
        server.off('error', onListenError);
        server.on('error', (err) => this.report(`${this.where}: server error: ${err.message}`));
        resolve();
      });
    });
  }

  onStop(): void {
    const server = this.server;
    this.server = undefined;
    server?.close();
    for (const c of this.connections ?? []) c.close();
    this.connections = undefined;
    clearInterval(this.reportTimer);
    this.reportTimer = undefined;
  }

  private report(message: string): void {
    if (this.isStopped()) return;
    if (this.reports >= REPORTS_PER_WINDOW) {
      this.suppressed++;
      return;
    }
    this.reports++;
    const more = this.suppressed > 0 ? ` (${this.suppressed} more errors before this one were not reported)` : '';
    this.suppressed = 0;
    this.reportError(message + more);
  }

  private newReportWindow(): void {
    this.reports = 0;
    if (this.suppressed > 0 && !this.isStopped()) {
      this.reportError(`${this.where}: ${this.suppressed} more errors in the last ${REPORT_WINDOW_MS / 1000} s were not reported one by one`);
      this.suppressed = 0;
    }
  }
}

function describeListenError(err: NodeJS.ErrnoException, hostname: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${port} is in use on this worker's host: another process or another Flume stream listens there, or this stream's receiver on a worker of this host declared lost that still runs (frozen, or cut off from the driver: it lets go of the port once it is woken and told to stop, and this receiver is placed again until it listens); if the port stays in use, give the stream another port`;
    case 'EADDRNOTAVAIL':
      return `hostname ${JSON.stringify(hostname)} is not an address of this worker's host: Sluice may place the receiver on any worker, so use 0.0.0.0 (every interface) or an address all worker hosts have`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `hostname ${JSON.stringify(hostname)} does not resolve on this worker: ${err.message}`;
    case 'EACCES':
      return `port ${port} needs privileges on this worker: use a port above 1023`;
    default:
      return err.message;
  }
}
