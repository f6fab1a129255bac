import http from 'node:http';
import type { Logger } from 'pino';
import { SluiceError } from '@sluice/core/internal';
import type { DriverNode } from '../driver-node.js';
import { restApi } from './rest-api.js';
import { staticAsset } from './static-assets.js';
import { uiPage } from './ui-pages.js';

function label(v: string): string {
  return v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Prometheus text exposition of the driver's workers, jobs and last batches. */
export function prometheusMetrics(d: DriverNode): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, rows: [Record<string, string>, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${label(x)}"`);
      out.push(`${name}${l.length ? `{${l.join(',')}}` : ''} ${v}`);
    }
  };
  const workers = d.registry.all();
  gauge('sluice_workers', 'Registered workers.', [[{}, workers.length]]);
  gauge('sluice_worker_cores', 'Task slots per worker.', workers.map((w) => [{ worker: w.id }, w.cores]));
  gauge('sluice_worker_running_tasks', 'Tasks running per worker.', workers.map((w) => [{ worker: w.id }, w.cores - w.freeSlots]));
  gauge('sluice_worker_tasks_completed', 'Tasks completed per worker.', workers.map((w) => [{ worker: w.id }, w.tasksCompleted]));
  const jobs = [...d.jobs.values()];
  gauge('sluice_job_running', 'Whether a job is running.', jobs.map((j) => [{ job: j.id, name: j.name }, j.state === 'running' ? 1 : 0]));
  const streaming = jobs.filter((j) => j.streaming);
  gauge('sluice_batches_completed', 'Batches completed per streaming job.', streaming.map((j) => [{ job: j.id }, j.batchesCompleted]));
  gauge('sluice_last_batch_input_records', 'Input records of the last completed batch.', streaming.map((j) => [{ job: j.id }, j.lastBatch?.numRecords ?? 0]));
  gauge('sluice_last_batch_scheduling_delay_ms', 'Scheduling delay of the last completed batch.', streaming.map((j) => [{ job: j.id }, j.lastBatch?.schedulingDelay ?? 0]));
  gauge('sluice_last_batch_processing_time_ms', 'Processing time of the last completed batch.', streaming.map((j) => [{ job: j.id }, j.lastBatch?.processingDelay ?? 0]));
  gauge('sluice_last_batch_total_delay_ms', 'Total delay of the last completed batch.', streaming.map((j) => [{ job: j.id }, j.lastBatch?.totalDelay ?? 0]));
  return out.join('\n') + '\n';
}

/** The driver's web UI: its pages (ui-pages), the REST API under `/api/v1` (rest-api), `/metrics` for Prometheus and `/health`. */
export class StatusServer {
  private server: http.Server | undefined;

  constructor(
    private readonly driver: DriverNode,
    private readonly log: Logger,
  ) {}

  async start(host: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => {
      try {
        this.route(req, res);
      } catch (err) {
        // A malformed path (a bad %-escape) or a bug in a page: answer, never crash the driver.
        this.log.warn({ err, url: req.url }, 'web UI request failed');
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad request: ${(err as Error).message}\n`);
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new SluiceError('SLUICE_IO', `driver web UI cannot listen on ${host}:${port}: ${err.message}; use --web-port to pick another (0 turns it off)`, { cause: err })));
      server.listen(port, host, () => {
        const p = (server.address() as { port: number }).port;
        this.log.info({ url: `http://${host}:${p}/` }, 'web UI listening');
        resolve(p);
      });
    });
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const [url = '/', search = ''] = (req.url ?? '/').split('?');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('only GET and HEAD\n');
    } else if (url.startsWith('/api/v1/')) {
      const r = restApi(this.driver, url, new URLSearchParams(search));
      res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(r.body, null, 2));
    } else if (url.startsWith('/static/')) {
      const a = staticAsset(url.slice('/static/'.length));
      if (a) res.writeHead(200, { 'content-type': a.type, 'cache-control': 'max-age=3600' }).end(a.body);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prometheusMetrics(this.driver));
    } else {
      const p = uiPage(this.driver, url);
      if (p) res.writeHead(p.status, { 'content-type': 'text/html; charset=utf-8' }).end(p.html);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
