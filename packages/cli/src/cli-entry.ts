/**
 * What `sluice` runs first (bin/sluice.js, and each worker process of `sluice run`): the
 * command bundled into one file (dist/sluice.cjs, made by scripts/bundle-cli.mjs) when that
 * bundle is there and was made from the Sluice files present now, else the modules
 * (./main.js) as tsc built them. Either way the same code runs; the bundle starts a process
 * without resolving and reading some 400 modules, and its compiled code is kept in V8's
 * code cache, one file a command (dist/sluice.cjs.run.cache, .driver., .worker., .submit.;
 * dist/sluice.cjs.cache for the others), written when a first process of it exits.
 *
 * The bundle is stale when one of the Sluice files it was made from is missing or has
 * another size — and, in a checkout (a pnpm workspace around the cli package), another
 * modification time, or the workspace's dependencies were installed again. A stale bundle
 * is never run: rebuild it with scripts/bundle-cli.mjs (scripts/setup.sh does).
 *
 * For `sluice run` it first spawns the local cluster's worker processes (see
 * local-worker-process.ts), so they boot while this process checks the bundle and loads the
 * command. A worker it starts is told whether the bundle was found fresh (the manifest's path,
 * size and modification time at the check, as the first line of its standard input, or in
 * SLUICE_BUNDLE_CHECKED for one started later) and does not check the Sluice files again while
 * the manifest is that same file. Those workers start from this file's
 * CommonJS build, dist/sluice-entry.cjs (bundle-cli makes it with the bundle, from the same
 * source), when the bundle is used and that file is the one the manifest lists: Node then
 * starts them without its ES module loader (about 5% of a worker's CPU to registration).
 *
 * This file imports only Node's own modules (and heap-floor-option.js, first), so it costs
 * nothing before the choice.
 */
// First: the local workers' old-space floor stays their main thread's (see that file).
import './heap-floor-option.js';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { installBundleStackMapping } from './bundle-stack-traces.js';
import { CLI_CODE, type CliCode } from './cli-code.js';
import { parentBundleCheck, prestartLocalWorkers, setBundleChecked, tellPrestartedBundleCheck } from './local-worker-process.js';

interface Manifest {
  readonly bundle: string;
  /** The thread bundles made with it: their directory (under dist) and files, with sizes. */
  readonly threads?: { readonly dir: string; readonly files: readonly { readonly path: string; readonly size: number }[] };
  /** This file built as CommonJS (bundle-cli), which the local workers of `sluice run` start from: its path under dist and size. */
  readonly entry?: { readonly path: string; readonly size: number };
  readonly inputs: readonly { readonly pkg: string; readonly path: string; readonly size: number; readonly mtimeMs: number }[];
  readonly dependencies?: { readonly file: string; readonly mtimeMs: number };
  /** The bundle is ASCII only (scripts/bundle-cli.mjs makes it so): read as latin1, it is a one-byte string, half the memory of the two-byte one a single non-ASCII character makes. */
  readonly ascii?: boolean;
  /** The file holds the CommonJS wrapper around the code already (scripts/bundle-cli.mjs writes it): compiled as it is read, not joined to the wrapper here, a copy of the whole text less. */
  readonly wrapped?: boolean;
}

const DIST = fileURLToPath(new URL('../', import.meta.url));
const CLI_DIR = path.resolve(DIST, '..');
const BUNDLE = path.join(DIST, 'sluice.cjs');
const MANIFEST = path.join(DIST, 'sluice-bundle.json');
/** The thread bundles made with it (scripts/bundle-cli.mjs), run by the driver's and the workers' threads when the bundle runs. */
const THREADS = path.join(DIST, 'threads');

/** The manifest as a process that checked it saw it (its path, size and modification time), or undefined when there is none. */
function manifestStamp(): string | undefined {
  const st = fs.statSync(MANIFEST, { throwIfNoEntry: false });
  return st && `${MANIFEST}:${st.size}:${st.mtimeMs}`;
}

/** The manifest, with its stamp (read before it), or why there is no bundle to use. */
type ManifestRead = { readonly manifest: Manifest; readonly stamp: string | undefined } | { readonly reason: string };

/** The bundle's manifest as it is now (not yet checked against the Sluice files), or why there is none to use. */
function readManifest(): ManifestRead {
  if (process.env.SLUICE_NO_BUNDLE === '1') return { reason: 'SLUICE_NO_BUNDLE=1' };
  const stamp = manifestStamp();
  try {
    return { manifest: JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest, stamp };
  } catch {
    return { reason: `no bundle (${MANIFEST} is missing: run scripts/bundle-cli.mjs)` };
  }
}

/** The manifest read when the bundle can be used, else why not. */
function checkBundle(read: ManifestRead, checkedByParent: string | undefined): ManifestRead {
  if (!('manifest' in read)) return read;
  // A worker of `sluice run` whose parent checked this very manifest a moment ago.
  if (checkedByParent !== undefined && checkedByParent === read.stamp) return read;
  const reason = staleness(read.manifest);
  return reason === undefined ? read : { reason };
}

/** Why the bundle of `manifest` cannot be used, or undefined when it can. */
function staleness(manifest: Manifest): string | undefined {
  if (!manifest.threads) return 'the bundle has no thread bundles (made by an older scripts/bundle-cli.mjs: run it again)';
  // Each file's path is its directory and its relative path (bundle-cli records normalized,
  // '/'-separated ones) joined as strings: path.join, which normalizes each of the ~250 paths
  // again, cost a process ~10 ms of CPU here, running cold.
  for (const f of manifest.threads.files) {
    const file = `${THREADS}/${f.path}`;
    if (fs.statSync(file, { throwIfNoEntry: false })?.size !== f.size) return `${file} is missing or changed since the bundle was made`;
  }
  const repo = path.resolve(CLI_DIR, '..', '..');
  const checkout = fs.existsSync(path.join(repo, 'pnpm-workspace.yaml'));
  const dirs = new Map<string, string>();
  const dirOf = (pkg: string): string => {
    let dir = dirs.get(pkg);
    if (dir === undefined) {
      dir = pkg === 'cli' ? CLI_DIR : packageDir(pkg);
      dirs.set(pkg, dir);
    }
    return dir;
  };
  for (const input of manifest.inputs) {
    let file: string;
    try {
      file = `${dirOf(input.pkg)}/${input.path}`;
    } catch {
      return `@sluice/${input.pkg} cannot be resolved`;
    }
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) return `${file} is gone`;
    if (st.size !== input.size || (checkout && !sameTime(st.mtimeMs, input.mtimeMs))) return `${file} changed since the bundle was made`;
  }
  if (checkout && manifest.dependencies) {
    const st = fs.statSync(path.join(repo, manifest.dependencies.file), { throwIfNoEntry: false });
    if (st === undefined || !sameTime(st.mtimeMs, manifest.dependencies.mtimeMs)) return 'the dependencies were installed again since the bundle was made';
  }
  return undefined;
}

/**
 * The directory of the Sluice package `pkg` (core, driver, worker) as the bundle will find it
 * (scripts/bundle-cli.mjs's banner): node_modules/@sluice/<pkg> in the bundle's directory or
 * above, as Node looks for it, by its real path (pnpm links it), and through require.resolve only
 * where none is there (NODE_PATH, global folders). require.resolve reads the package's
 * package.json and its exports map: 8 ms of CPU a process for the three, the lookup under 1.
 */
function packageDir(pkg: string): string {
  for (let d = DIST; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', '@sluice', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(d) === d) break;
  }
  return path.resolve(path.dirname(createRequire(BUNDLE).resolve(`@sluice/${pkg}`)), '..', '..');
}

/**
 * A file's modification time now is the one the manifest recorded: equal, or that time cut to
 * its whole second, as a Docker image layer (a tar archive) keeps it; the Dockerfile's build
 * stage makes the bundle and its image stores every file so.
 */
function sameTime(nowMs: number, recordedMs: number): boolean {
  return nowMs === recordedMs || (nowMs % 1000 === 0 && nowMs === Math.floor(recordedMs / 1000) * 1000);
}

/**
 * The file the local worker processes of `sluice run` start from: the CommonJS build of this
 * file when the bundle is used and that build is the one made with it, else this file.
 */
function localWorkerEntry(manifest: Manifest | undefined): string {
  const entry = manifest?.entry && path.join(DIST, manifest.entry.path);
  if (entry && fs.statSync(entry, { throwIfNoEntry: false })?.size === manifest!.entry!.size) return entry;
  return fileURLToPath(import.meta.url);
}

/**
 * The code cache file a process of this command reads and writes. Each role compiles other
 * parts of the bundle (a worker never runs the driver's scheduler, `sluice --help` neither),
 * and V8's cache holds only what the process that wrote it had compiled: one file for all
 * would hold the functions of whichever process exited first (in `sluice run`, a worker), and
 * every other role would compile its own again on every start. `sluice.cjs.cache` is the one
 * of the other commands (`--help`, `--version`: the Docker image's build leaves it), which a
 * role without a cache of its own starts from.
 */
function codeCacheFile(bundle: string, args: readonly string[], v8Options: string): string {
  const command = args[0];
  const role = command === 'run' || command === 'driver' || command === 'worker' || command === 'submit' ? `.${command}` : '';
  // V8 rejects a cache made under other options (a local cluster's workers run with
  // --initial-old-space-size, a standalone `sluice worker` without): one file each, or every
  // start of the one throws away, and writes over, the other's cache.
  let hash = 0x811c9dc5; // FNV-1a of the options (no crypto module loaded for it before the bundle)
  for (let i = 0; i < v8Options.length; i++) hash = Math.imul(hash ^ v8Options.charCodeAt(i), 0x01000193) >>> 0;
  const options = v8Options === '' ? '' : `.${hash.toString(16).padStart(8, '0')}`;
  return `${bundle}${role}${options}.cache`;
}

/** The cached data in `file`, or undefined when there is none. */
function readCache(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Run the bundle as Node runs a CommonJS module, compiled with (and then into) V8's code cache. */
function runBundle(manifest: Manifest): void {
  const source = fs.readFileSync(BUNDLE, manifest.ascii === true ? 'latin1' : 'utf8');
  const cacheFile = codeCacheFile(BUNDLE, process.argv.slice(2), [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim());
  const own = readCache(cacheFile);
  const generic = `${BUNDLE}.cache`;
  const wrapped = manifest.wrapped === true ? source : `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const compile = (cachedData: Buffer | undefined): vm.Script =>
    new vm.Script(wrapped, { filename: BUNDLE, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  let script = compile(own ?? (cacheFile === generic ? undefined : readCache(generic)));
  const ownUsed = own !== undefined && !script.cachedDataRejected;
  if (own !== undefined && script.cachedDataRejected && cacheFile !== generic) {
    // Its own cache does not fit (another V8): the common one may.
    const common = readCache(generic);
    if (common !== undefined) script = compile(common);
  }
  const codeCache = script.cachedDataRejected === false;
  if (!ownUsed) {
    // Written when the process exits, with everything it compiled by then, atomically (two
    // workers may exit together); a directory that cannot be written keeps no cache. Not by a
    // process that failed: it stopped early (a job file not found, a cluster that did not
    // start), and its cache, holding little, would be kept until the next build.
    process.once('exit', (code) => {
      if (code !== 0) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A cache not written costs the next start its compile, nothing else: a clean-up that
        // fails too must not turn a command that succeeded into a failed exit.
        try {
          fs.rmSync(tmp, { force: true });
        } catch {
          // left for the next build's cache directory
        }
      }
    });
  }
  installBundleStackMapping(BUNDLE, `${BUNDLE}.map`, THREADS);
  const module = { exports: {} };
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  (globalThis as Record<symbol, CliCode>)[CLI_CODE] = { from: 'bundle', codeCache, threads: THREADS, entry: ENTRY_KIND };
  wrapper(module.exports, createRequire(BUNDLE), module, BUNDLE, DIST);
}

/** Which build of this file runs: the CommonJS one has __filename (see localWorkerEntry). */
const ENTRY_KIND = typeof __filename === 'string' ? 'cjs' : 'esm';

// Read once and taken out of the environment: this process's threads and the jobs they run
// never see it. A worker `sluice run` prestarted before it checked the bundle waits here for
// the check's result, the first line of its standard input (none: its parent ended it).
const checkedByParent = parentBundleCheck();
if (checkedByParent === null) process.exit(0);
const read = readManifest();
// `sluice run`: its worker processes are spawned first, so they boot while this one checks
// the bundle and loads the command's code; they are told the check's result when it is done.
// (Started from the CommonJS entry the manifest lists: a stale bundle's may be older code,
// so those are ended then, and the cluster starts its own from this file.)
const prestartEntry = localWorkerEntry('manifest' in read ? read.manifest : undefined);
prestartLocalWorkers(prestartEntry, process.argv.slice(2));
const checked = checkBundle(read, checkedByParent);
// The local workers this process starts skip the check when the manifest is still the one checked here.
if ('manifest' in checked) setBundleChecked(checked.stamp, localWorkerEntry(checked.manifest));
tellPrestartedBundleCheck('manifest' in checked ? checked.stamp : undefined, 'manifest' in checked || prestartEntry === fileURLToPath(import.meta.url));

if ('manifest' in checked) {
  runBundle(checked.manifest);
} else {
  (globalThis as Record<symbol, CliCode>)[CLI_CODE] = { from: 'modules', reason: checked.reason, entry: ENTRY_KIND };
  // (Resolved from this file's URL: the CommonJS build sits elsewhere, and has the URL this file has.)
  await import(new URL('./main.js', import.meta.url).href);
}
