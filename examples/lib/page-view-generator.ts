// Spark's clickstream PageViewGenerator, ported: a TCP server writing simulated page views
// to every client, one a line, `url\tstatus\tzipCode\tuserID` (PageView.toString's format),
// `viewsPerSecond` of them each second. Each field is picked from Spark's distributions as
// its pickFromDistribution does: a uniform draw in [0, 1), then the first entry whose
// cumulative probability passes it, in the order listed below (user, page, status, zip code).
// Where Spark draws from an unseeded java.util.Random, the draws here come from a seeded
// 32-bit LCG (seed 11, x -> x * 1103515245 + 12345 mod 2^32, a draw x / 2^32), so every run
// serves the same views in the same order and a test can recompute them.
import { startLineServer, type LineServer } from './line-server.js';

/** Spark's PageViewGenerator.pages, httpStatus, userZipCode and userID maps, in their order. */
export const PAGES: readonly (readonly [string, number])[] = [['http://foo.com/', 0.7], ['http://foo.com/news', 0.2], ['http://foo.com/contact', 0.1]];
export const HTTP_STATUS: readonly (readonly [number, number])[] = [[200, 0.95], [404, 0.05]];
export const USER_ZIP_CODE: readonly (readonly [number, number])[] = [[94709, 0.5], [94117, 0.5]];
export const USER_ID: readonly (readonly [number, number])[] = Array.from({ length: 100 }, (_, i) => [i + 1, 0.01] as const);

/** The generated view lines one by one (without their `\n`), from the first: the same sequence on every run. */
export function pageViewLines(seed = 11): () => string {
  let x = seed >>> 0;
  const draw = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const pick = <T>(dist: readonly (readonly [T, number])[]): T => {
    const r = draw();
    let total = 0;
    for (const [item, p] of dist) {
      total += p;
      if (total > r) return item;
    }
    return dist[0]![0]; // as Spark's: only if the probabilities fall short of 1
  };
  return () => {
    const id = pick(USER_ID);
    const page = pick(PAGES);
    const status = pick(HTTP_STATUS);
    const zipCode = pick(USER_ZIP_CODE);
    return `${page}\t${status}\t${zipCode}\t${id}`;
  };
}

/** Serve `viewsPerSecond` generated views a second on host:port (port 0: any free port) to every connected client, each view to all of them. */
export function startPageViewServer(opts: { host?: string; port?: number; viewsPerSecond?: number } = {}): Promise<LineServer> {
  return startLineServer({ host: opts.host, port: opts.port, linesPerSecond: opts.viewsPerSecond ?? 100, next: pageViewLines() });
}
