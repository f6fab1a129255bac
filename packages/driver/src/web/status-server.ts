import http from 'node:http';
import type { Logger } from 'pino';
import { SluiceError } from '@sluice/core/internal';
import type { DriverNode } from '../driver-node.js';
import { describeRunningTask } from '../scheduler/task-set-manager.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function statusPage(d: DriverNode): string {
  const rows = (cells: string[][]): string => cells.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  const workers = d.registry.all().map((w) => [w.id, w.address, String(w.cores), String(w.cores - w.freeSlots), String(w.tasksCompleted)]);
  const jobs = [...d.jobs.values()].map((j) => {
    const tasks = d.dag.runningTasks(j.runId);
    const t = tasks[0];
    return [
      j.id,
      j.name,
      j.state,
      j.streaming ? String(j.batchesCompleted) : '-',
      j.lastBatch ? `${j.lastBatch.numRecords}` : '-',
      j.lastBatch ? `${j.lastBatch.schedulingDelay} ms` : '-',
      j.lastBatch ? `${j.lastBatch.processingDelay} ms` : '-',
      j.lastBatch ? `${j.lastBatch.totalDelay} ms` : '-',
      String(tasks.length),
      t ? `${(t.runningMs / 1000).toFixed(1)} s: ${describeRunningTask(t)}` : '-',
      j.error?.message ?? '',
    ];
  });
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Sluice driver</title>
<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
<h1>Sluice driver ${escapeHtml(d.address)}</h1>
<h2>Workers</h2><table><tr><th>Worker</th><th>Address</th><th>Cores</th><th>Running</th><th>Completed</th></tr>${rows(workers)}</table>
<h2>Jobs</h2><table><tr><th>Job</th><th>Name</th><th>State</th><th>Batches</th><th>Input records</th><th>Scheduling delay</th><th>Processing time</th><th>Total delay</th><th>Running tasks</th><th>Longest task</th><th>Error</th></tr>${rows(jobs)}</table>
<p><a href="/metrics">Prometheus metrics</a></p>`;
}

/** The driver's web UI: a status page, `/metrics` for Prometheus and `/health`. */
export class StatusServer {
  private server: http.Server | undefined;

  constructor(
    private readonly driver: DriverNode,
    private readonly log: Logger,
  ) {}

  async start(host: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => {
      const url = req.url?.split('?')[0] ?? '/';
      if (url === '/health') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (url === '/metrics') {
        const metrics = this.driver.metrics;
        metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
          (err: Error) => {
            this.log.error({ err }, 'cannot collect metrics');
            res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${err.message}\n`);
          },
        );
      } else if (url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(statusPage(this.driver));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
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

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
