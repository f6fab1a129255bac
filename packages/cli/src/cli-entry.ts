/**
 * What `sluice` runs first (bin/sluice.js, and each worker process of `sluice run`): the
 * command bundled into one file (dist/sluice.cjs, made by scripts/bundle-cli.mjs) when that
 * bundle is there and was made from the Sluice files present now, else the modules
 * (./main.js) as tsc built them. Either way the same code runs; the bundle starts a process
 * without resolving and reading some 400 modules, and its compiled code is kept in V8's
 * code cache (dist/sluice.cjs.cache), written when a first process exits.
 *
 * The bundle is stale when one of the Sluice files it was made from is missing or has
 * another size — and, in a checkout (a pnpm workspace around the cli package), another
 * modification time, or the workspace's dependencies were installed again. A stale bundle
 * is never run: rebuild it with scripts/bundle-cli.mjs (scripts/setup.sh does).
 *
 * For `sluice run` it first spawns the local cluster's worker processes (see
 * local-worker-process.ts), so they boot while this process loads the command.
 *
 * This file imports only Node's own modules, so it costs nothing before the choice.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { installBundleStackMapping } from './bundle-stack-traces.js';
import { CLI_CODE, type CliCode } from './cli-code.js';
import { prestartLocalWorkers } from './local-worker-process.js';

interface Manifest {
  readonly bundle: string;
  /** The thread bundles made with it: their directory (under dist) and files, with sizes. */
  readonly threads?: { readonly dir: string; readonly files: readonly { readonly path: string; readonly size: number }[] };
  readonly inputs: readonly { readonly pkg: string; readonly path: string; readonly size: number; readonly mtimeMs: number }[];
  readonly dependencies?: { readonly file: string; readonly mtimeMs: number };
}

const DIST = fileURLToPath(new URL('../', import.meta.url));
const CLI_DIR = path.resolve(DIST, '..');
const BUNDLE = path.join(DIST, 'sluice.cjs');
const MANIFEST = path.join(DIST, 'sluice-bundle.json');
/** The thread bundles made with it (scripts/bundle-cli.mjs), run by the driver's and the workers' threads when the bundle runs. */
const THREADS = path.join(DIST, 'threads');

/** Why the bundle cannot be used, or undefined when it can. */
function staleness(): string | undefined {
  if (process.env.SLUICE_NO_BUNDLE === '1') return 'SLUICE_NO_BUNDLE=1';
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;
  } catch {
    return `no bundle (${MANIFEST} is missing: run scripts/bundle-cli.mjs)`;
  }
  if (!manifest.threads) return 'the bundle has no thread bundles (made by an older scripts/bundle-cli.mjs: run it again)';
  for (const f of manifest.threads.files) {
    const file = path.join(THREADS, f.path);
    if (fs.statSync(file, { throwIfNoEntry: false })?.size !== f.size) return `${file} is missing or changed since the bundle was made`;
  }
  const repo = path.resolve(CLI_DIR, '..', '..');
  const checkout = fs.existsSync(path.join(repo, 'pnpm-workspace.yaml'));
  const require = createRequire(BUNDLE);
  const dirs = new Map<string, string>();
  const dirOf = (pkg: string): string => {
    let dir = dirs.get(pkg);
    if (dir === undefined) {
      dir = pkg === 'cli' ? CLI_DIR : path.resolve(path.dirname(require.resolve(`@sluice/${pkg}`)), '..', '..');
      dirs.set(pkg, dir);
    }
    return dir;
  };
  for (const input of manifest.inputs) {
    let file: string;
    try {
      file = path.join(dirOf(input.pkg), input.path);
    } catch {
      return `@sluice/${input.pkg} cannot be resolved`;
    }
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) return `${file} is gone`;
    if (st.size !== input.size || (checkout && st.mtimeMs !== input.mtimeMs)) return `${file} changed since the bundle was made`;
  }
  if (checkout && manifest.dependencies) {
    const st = fs.statSync(path.join(repo, manifest.dependencies.file), { throwIfNoEntry: false });
    if (st?.mtimeMs !== manifest.dependencies.mtimeMs) return 'the dependencies were installed again since the bundle was made';
  }
  return undefined;
}

/** Run the bundle as Node runs a CommonJS module, compiled with (and then into) V8's code cache. */
function runBundle(): void {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  const cacheFile = `${BUNDLE}.cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const codeCache = cachedData !== undefined && !script.cachedDataRejected;
  if (!codeCache) {
    // Written when the process exits, with everything it compiled by then, atomically (two
    // workers may exit together); a directory that cannot be written keeps no cache.
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    });
  }
  installBundleStackMapping(BUNDLE, `${BUNDLE}.map`, THREADS);
  const module = { exports: {} };
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  (globalThis as Record<symbol, CliCode>)[CLI_CODE] = { from: 'bundle', codeCache, threads: THREADS };
  wrapper(module.exports, createRequire(BUNDLE), module, BUNDLE, DIST);
}

// `sluice run`: its worker processes boot while this one loads the command's code.
prestartLocalWorkers(fileURLToPath(import.meta.url), process.argv.slice(2));

const reason = staleness();
if (reason === undefined) {
  runBundle();
} else {
  (globalThis as Record<symbol, CliCode>)[CLI_CODE] = { from: 'modules', reason };
  await import('./main.js');
}
