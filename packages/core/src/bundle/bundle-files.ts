import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiskFullError, isDiskFull } from '../errors.js';

/** The directory of the @sluice/core package this process runs. */
const CORE_PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The code a kind of thread (a worker's task threads, a driver's driver-program threads)
 * starts from: by default the packages' modules as tsc built them; the `sluice` command,
 * when it runs its bundle, passes its thread bundles (scripts/bundle-cli.mjs), which load as
 * a few files instead of some 100 modules. A job bundle imported in such a thread must reach
 * the very @sluice/core the thread runs (one module instance: `instanceof`, module state), so
 * the two go together.
 */
export interface ThreadCode {
  /** The thread's entry module. */
  readonly entry: URL;
  /**
   * The @sluice/core package those threads run (a directory whose package.json exports `.`
   * and `./internal`): a job bundle's `node_modules/@sluice/core` links to it.
   */
  readonly coreDir: string;
}

/** Name of the function the CLI appends to every bundle: a direct eval in its module scope. */
export const BUNDLE_EVAL_EXPORT = '__sluice_eval';

/**
 * Write a job bundle (and its source map) under `root/<sha256>/` so it can be imported.
 * `root/node_modules/@sluice/core` links to `coreDir`, the core package the threads that
 * import it run (ThreadCode.coreDir; default this package): the bundle imports Sluice from
 * there, sharing one module instance with the thread, as spark-submit provides Spark to
 * the application. A root serves one process, whose threads all run one core. Returns the
 * bundle's path.
 */
export function materializeBundle(root: string, sha256: string, code: Uint8Array, sourceMap: string, coreDir: string = CORE_PACKAGE_DIR): string {
  const dir = path.join(root, sha256);
  const file = path.join(dir, 'bundle.mjs');
  const link = path.join(root, 'node_modules', '@sluice', 'core');
  linkCore(link, coreDir);
  if (fs.existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (sourceMap) fs.writeFileSync(file + '.map', sourceMap);
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  } catch (err) {
    // The write's error is the one to act on (a full disk's fix): a temporary file that cannot
    // be removed either (its directory removed or replaced under the process meanwhile) is left.
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // left behind
    }
    if (isDiskFull(err)) throw new DiskFullError({ path: dir, what: 'the job bundle', where: `process ${process.pid}, which runs the job's tasks`, fix: 'start the worker with --local-dir on a larger disk', cause: err });
    throw err;
  }
  return file;
}

/** Make `link` a symbolic link to `target`, replacing one to another directory. */
function linkCore(link: string, target: string): void {
  let now: string | undefined;
  try {
    now = fs.readlinkSync(link);
  } catch {
    now = undefined;
  }
  if (now === target) return;
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (now !== undefined) fs.rmSync(link, { force: true });
  try {
    fs.symlinkSync(target, link, 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** The function that evaluates source inside a loaded bundle's module scope. */
export function bundleEval(mod: Record<string, unknown>, bundlePath: string): (source: string) => unknown {
  const f = mod[BUNDLE_EVAL_EXPORT];
  if (typeof f !== 'function') throw new Error(`job bundle ${bundlePath} has no ${BUNDLE_EVAL_EXPORT} export: it was not built by the sluice CLI`);
  return f as (source: string) => unknown;
}
