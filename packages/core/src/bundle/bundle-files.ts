import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of the @sluice/core package this process runs. */
const CORE_PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** Name of the function the CLI appends to every bundle: a direct eval in its module scope. */
export const BUNDLE_EVAL_EXPORT = '__sluice_eval';

/**
 * Write a job bundle (and its source map) under `root/<sha256>/` so it can be imported.
 * `root/node_modules/@sluice/core` links to this process's core package: the bundle
 * imports Sluice from there, sharing one module instance with the process, as
 * spark-submit provides Spark to the application. Returns the bundle's path.
 */
export function materializeBundle(root: string, sha256: string, code: Uint8Array, sourceMap: string): string {
  const dir = path.join(root, sha256);
  const file = path.join(dir, 'bundle.mjs');
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const link = path.join(root, 'node_modules', '@sluice', 'core');
  if (!fs.existsSync(link)) {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    try {
      fs.symlinkSync(CORE_PACKAGE_DIR, link, 'dir');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (sourceMap) fs.writeFileSync(file + '.map', sourceMap);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
  return file;
}

/** The function that evaluates source inside a loaded bundle's module scope. */
export function bundleEval(mod: Record<string, unknown>, bundlePath: string): (source: string) => unknown {
  const f = mod[BUNDLE_EVAL_EXPORT];
  if (typeof f !== 'function') throw new Error(`job bundle ${bundlePath} has no ${BUNDLE_EVAL_EXPORT} export: it was not built by the sluice CLI`);
  return f as (source: string) => unknown;
}
