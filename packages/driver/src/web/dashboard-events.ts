import type http from 'node:http';
import type { Logger } from 'pino';
import type { DriverJob, JobStateName } from '../job/driver-job.js';
import type { DashboardChange } from '../status/dashboard-store.js';

/** Event streams the driver serves at once (beyond: 503, the browser retries). */
export const MAX_DASHBOARD_STREAMS = 200;
/** A client that falls this far behind reading its stream is cut off (it reconnects and gets the state afresh). */
export const MAX_UNREAD_BYTES = 8 * 1024 * 1024;
/** A comment line this often keeps proxies from closing an idle stream. */
export const PING_MS = 15_000;

/**
 * `/jobs/{id}/dashboard/events`: a job's dashboards as Server-Sent Events. Server-Sent
 * Events rather than a WebSocket: the updates go one way (driver to browser), they are plain
 * HTTP on the UI's own server (no upgrade, no new dependency, proxies pass them), and the
 * browser's EventSource reconnects by itself.
 *
 * Each stream first sends `snapshot` (every dashboard's current state, so a reloaded page
 * shows it at once), then `defined` and `batch` as they happen (a line chart's batch
 * carries only its new point), and `end` when the job ends, after which it closes.
 * Threading: driver main thread.
 */
export class DashboardEvents {
  private open = 0;

  constructor(private readonly log: Logger) {}

  get openStreams(): number {
    return this.open;
  }

  serve(job: DriverJob, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.open >= MAX_DASHBOARD_STREAMS) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end(`the driver serves ${MAX_DASHBOARD_STREAMS} dashboard event streams already; close some dashboard pages\n`);
      return;
    }
    this.open++;
    let closed = false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    // JSON has no raw line breaks, so each event's data is one `data:` line.
    const send = (event: string, data: unknown): void => {
      if (closed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (res.writableLength > MAX_UNREAD_BYTES) {
        this.log.warn({ jobId: job.id, unreadBytes: res.writableLength }, 'dashboard event stream cut off: its client does not read');
        res.destroy();
      }
    };
    const onChange = (c: DashboardChange): void => send(c.type, c);
    const onFinished = (state: JobStateName): void => {
      send('end', { state });
      close();
      res.end();
    };
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    ping.unref();
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.open--;
      clearInterval(ping);
      job.dashboards.off('change', onChange);
      job.off('finished', onFinished);
    };
    res.on('close', close);
    req.on('error', close);
    res.write('retry: 2000\n\n');
    send('snapshot', { state: job.state, dashboards: job.dashboards.views() });
    if (job.state !== 'running') return onFinished(job.state);
    job.dashboards.on('change', onChange);
    job.once('finished', onFinished);
  }
}
