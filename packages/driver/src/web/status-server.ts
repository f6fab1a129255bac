import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { SluiceError } from '@sluice/core/internal';
import type { DriverNode } from '../driver-node.js';
import { DashboardEvents } from './dashboard-events.js';
import { restApi } from './rest-api.js';
import { staticAsset } from './static-assets.js';
import { uiPage } from './ui-pages.js';

/** POST: release a worker gracefully (DriverNode.decommission), as `sluice workers decommission`. */
const DECOMMISSION = /^\/api\/v1\/workers\/([^/]+)\/decommission$/;

/**
 * Spark's REST submission server's paths (the standalone master's spark.master.rest, port
 * 6066: create, kill, status). Sluice has none; a Spark user's curl is told what does it.
 */
const SPARK_REST_SUBMISSIONS = /^\/v1\/submissions(?:\/|$)/;

const NO_REST_SUBMISSION =
  "Sluice has no REST submission server (Spark's spark.master.rest.enabled, port 6066): submit a job with 'sluice submit --driver HOST:PORT job.ts' (the driver's gRPC port), kill one with 'sluice stop ID --driver HOST:PORT', and see its state with 'sluice jobs --driver HOST:PORT' or GET /api/v1/applications/ID on this port";

/** A job's dashboards as Server-Sent Events (dashboard-events). */
const DASHBOARD_EVENTS = /^\/jobs\/([^/]+)\/dashboard\/events$/;

/**
 * The driver's web UI: its pages (ui-pages), the REST API under `/api/v1` (rest-api), the
 * dashboards' event streams (dashboard-events), `/metrics` for Prometheus and `/health`.
 */
/** The pages and REST resources that show RDDs' call sites (a stage's rddInfos, its DAG; an action's DAG): group 1 the job's id. */
const CALL_SITE_PAGES = /^(?:\/api\/v1\/applications|\/jobs)\/([^/]+)\/(?:stages(?:\/|$)|job\/)/;

export class StatusServer {
  private server: http.Server | https.Server | undefined;
  private readonly dashboardEvents: DashboardEvents;

  constructor(
    private readonly driver: DriverNode,
    private readonly log: Logger,
  ) {
    this.dashboardEvents = new DashboardEvents(log);
  }

  /**
   * Listen on host:port. With `tls` (the driver's --tls-cert and --tls-key) the UI, the REST
   * API and /metrics are served over HTTPS with that certificate, as Spark's spark.ssl.ui
   * serves its UI, so the cluster secret a POST carries never crosses the network in clear.
   */
  async start(host: string, port: number, tls?: { readonly cert: string; readonly key: string }): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      try {
        this.route(req, res);
      } catch (err) {
        this.failed(req, res, err);
      }
    };
    const server = tls ? https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, handler) : http.createServer(handler);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new SluiceError('SLUICE_IO', `driver web UI cannot listen on ${host}:${port}: ${err.message}; use --web-port to pick another (0 turns it off)`, { cause: err })));
      server.listen(port, host, () => {
        const p = (server.address() as { port: number }).port;
        this.log.info({ url: `${tls ? 'https' : 'http'}://${host}:${p}/` }, 'web UI listening');
        resolve(p);
      });
    });
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const [url = '/', search = ''] = (req.url ?? '/').split('?');
    if (req.method === 'POST' && DECOMMISSION.test(url)) {
      this.decommission(req, res, decodeURIComponent(DECOMMISSION.exec(url)![1]), new URLSearchParams(search).get('wait') === 'true');
    } else if (SPARK_REST_SUBMISSIONS.test(url)) {
      // As Spark's RestSubmissionClient reads an answer: an ErrorResponse, success false.
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ action: 'ErrorResponse', message: NO_REST_SUBMISSION, success: false }));
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('only GET and HEAD\n');
    } else if (url.startsWith('/api/v1/')) {
      this.afterCallSites(req, res, url, () => {
        const r = restApi(this.driver, url, new URLSearchParams(search));
        res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(r.body));
      });
    } else if (url.startsWith('/static/')) {
      const a = staticAsset(url.slice('/static/'.length));
      if (a) res.writeHead(200, { 'content-type': a.type, 'cache-control': 'max-age=3600' }).end(a.body);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (DASHBOARD_EVENTS.test(url)) {
      const id = decodeURIComponent(DASHBOARD_EVENTS.exec(url)![1]);
      const j = this.driver.jobs.get(id);
      if (!j) res.writeHead(404, { 'content-type': 'text/plain' }).end(`no job '${id}' on this driver\n`);
      else if (req.method === 'HEAD') res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' }).end();
      else this.dashboardEvents.serve(j, req, res);
    } else if (url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (url === '/favicon.ico') {
      // Browsers ask for it on every page: no icon, and no 404 in the page's console each time.
      res.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
    } else if (url === '/metrics') {
      const metrics = this.driver.metrics;
      // (Made by the driver's start() whenever it serves a web port: this is for the types.)
      if (metrics === undefined) res.writeHead(503, { 'content-type': 'text/plain' }).end('the metrics are not started\n');
      else metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: Error) => {
          this.log.error({ err }, 'cannot collect metrics');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${err.message}\n`);
        },
      );
    } else {
      this.afterCallSites(req, res, url, () => {
        const p = uiPage(this.driver, url, new URLSearchParams(search));
        if (p) res.writeHead(p.status, { 'content-type': 'text/html; charset=utf-8' }).end(p.html);
        else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      });
    }
  }

  /**
   * Before a stage's REST answer or page (or an action's page) of a job: its RDDs' creation
   * sites, which its program's thread formats only when asked (DriverJob.callSitesAsked).
   */
  private afterCallSites(req: http.IncomingMessage, res: http.ServerResponse, url: string, answer: () => void): void {
    this.callSitesAsked(url)
      .then(answer)
      .catch((err: unknown) => this.failed(req, res, err));
  }

  /** A malformed path (a bad %-escape) or a bug in a page: answer, never crash the driver. */
  private failed(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
    this.log.warn({ err, url: req.url }, 'web UI request failed');
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad request: ${(err as Error).message}\n`);
  }

  private callSitesAsked(url: string): Promise<void> {
    const m = CALL_SITE_PAGES.exec(url);
    const j = m ? this.driver.jobs.get(decodeURIComponent(m[1])) : undefined;
    return j ? j.callSitesAsked() : Promise.resolve();
  }

  /**
   * `POST /api/v1/workers/{id}/decommission[?wait=true]`, with the cluster secret in the
   * `x-sluice-secret` header (the UI's GETs need none; this changes the cluster): 202 with
   * the phase once it began, or with `wait=true` 200 with the outcome; 404 for an unknown
   * worker; 401 without the right secret.
   */
  private decommission(req: http.IncomingMessage, res: http.ServerResponse, workerId: string, wait: boolean): void {
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    const given = req.headers['x-sluice-secret'];
    if (typeof given !== 'string' || !this.driver.isClusterSecret(given)) {
      return json(401, { error: 'POST /api/v1/workers/{id}/decommission needs the cluster secret in the x-sluice-secret header' });
    }
    const outcome = this.driver.decommission(workerId);
    if (!outcome) return json(404, { error: `no worker '${workerId}' on this driver; GET /api/v1/applications/{id}/executors lists them` });
    if (!wait) return json(202, { workerId, state: this.driver.decommissioner.phase(workerId) ?? 'disabled' });
    void outcome.then((o) => json(200, { workerId, ...o }));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
