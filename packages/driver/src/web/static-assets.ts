import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** packages/driver/web-assets (this file runs from dist/src/web). */
const OWN = fileURLToPath(new URL('../../../web-assets/', import.meta.url));

/**
 * core's compiled ui-formats.js (Spark's UIUtils formats; it imports nothing, so a browser loads
 * it as it is): next to core's entry, found as the driver finds core, so from the modules, the
 * bundled command (its modules' files stay where they are installed) and the Docker image alike.
 */
const coreUiFormats = (): string => path.join(path.dirname(require.resolve('@sluice/core')), 'streaming', 'ui-formats.js');

/**
 * What `/static/<name>` serves: uPlot from node_modules (no CDN), the pages' own scripts and
 * styles, and core's ui-formats.js, which the Streaming page's script (an ES module) imports.
 */
const ASSETS: Readonly<Record<string, { readonly path: () => string; readonly type: string }>> = {
  'uPlot.iife.min.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'streaming-page.js': { path: () => `${OWN}streaming-page.js`, type: 'text/javascript; charset=utf-8' },
  'ui-formats.js': { path: coreUiFormats, type: 'text/javascript; charset=utf-8' },
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
