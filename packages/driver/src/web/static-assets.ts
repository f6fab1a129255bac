import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** packages/driver/web-assets (this file runs from dist/src/web). */
const OWN = fileURLToPath(new URL('../../../web-assets/', import.meta.url));

/** What `/static/<name>` serves: uPlot from node_modules (no CDN) and the pages' own script and styles. */
const ASSETS: Readonly<Record<string, { readonly path: () => string; readonly type: string }>> = {
  'uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'streaming-page.js': { path: () => `${OWN}streaming-page.js`, type: 'text/javascript; charset=utf-8' },
  'dashboard-page.js': { path: () => `${OWN}dashboard-page.js`, type: 'text/javascript; charset=utf-8' },
  'sluice.css': { path: () => `${OWN}sluice.css`, type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** The asset named `name` (read once), or undefined for a name not served. */
export function staticAsset(name: string): { readonly body: Buffer; readonly type: string } | undefined {
  const a = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!a) return undefined;
  let body = cache.get(name);
  if (!body) cache.set(name, (body = fs.readFileSync(a.path())));
  return { body, type: a.type };
}
