/**
 * The job bundles `sluice run` and `sluice submit` made before, kept by the content of what
 * they were made from, so running an unchanged job again neither loads esbuild nor starts
 * its service. A cached bundle is used only when every file esbuild read for it (the job
 * file, the files it imports, their npm dependencies) still has the content it had, and
 * every package.json, tsconfig.json and jsconfig.json from the job's directory up to the
 * root is as it was (present with the same content, or still absent): they steer how
 * esbuild resolves and compiles. Any change, or a damaged entry, means a new bundle.
 *
 * Not seen: a file that did not exist when the bundle was made and would now be resolved
 * instead of one that is unchanged (a new `node_modules` nearer the job shadowing an
 * installed package, `util.ts` added beside an imported `util.js`). Remove the cache
 * directory (or set SLUICE_JOB_CACHE=0) after such a change.
 *
 * Where: $SLUICE_CACHE_DIR, else $XDG_CACHE_HOME/sluice, else ~/.cache/sluice, in
 * `job-bundles/`, private to the user (0700). A directory that cannot be written keeps
 * nothing; the job is bundled as without a cache. Entries are written whole (a temporary
 * file renamed), the description last, so two runs at once never read half an entry; a
 * bundle whose sha256 is not the one described is not used. The cache keeps the
 * JOB_BUNDLE_CACHE_ENTRIES entries used last (a hit touches its entry); storing a new one
 * removes the rest, so a machine that runs many different job paths (tests' temporary
 * directories) does not fill its disk.
 *
 * Threading: one call at a time per process (the CLI's main thread).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { JobBundle } from './bundle-job.js';

/** Changes when what is stored changes shape. */
const FORMAT = 1;
/** How many entries the cache keeps: those used last. */
export const JOB_BUNDLE_CACHE_ENTRIES = 64;
/** Files beside the job (and above it) that change how esbuild resolves and compiles it. */
const CONFIG_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];

interface Entry {
  readonly format: number;
  readonly name: string;
  readonly sha256: string;
  /** [absolute path, sha256 of its content or null when it must not exist]. */
  readonly inputs: readonly (readonly [string, string | null])[];
}

/** The directory of the cache, or undefined when SLUICE_JOB_CACHE=0. */
export function jobBundleCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SLUICE_JOB_CACHE === '0') return undefined;
  const base = env.SLUICE_CACHE_DIR || (env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'sluice') : path.join(os.homedir(), '.cache', 'sluice'));
  return path.join(base, 'job-bundles');
}

const sha256 = (data: Uint8Array | string): string => crypto.createHash('sha256').update(data).digest('hex');

/** sha256 of a file's content, or null when there is no such file. */
function fileHash(file: string): string | null {
  try {
    return sha256(fs.readFileSync(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

function configFiles(jobFile: string): string[] {
  const out: string[] = [];
  for (let dir = path.dirname(jobFile); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_FILES) out.push(path.join(dir, name));
    if (path.dirname(dir) === dir) return out;
  }
}

/**
 * The entry's name: the job file, the working directory (esbuild names inputs relative to
 * it in the bundle's comments), the code that bundles (this package's bundle-job module)
 * and esbuild's version.
 */
function entryKey(jobFile: string): string {
  const bundler = fs.readFileSync(fileURLToPath(new URL('./bundle-job.js', import.meta.url)));
  const esbuildVersion = (createRequire(import.meta.url)('esbuild/package.json') as { version: string }).version;
  return sha256(JSON.stringify([FORMAT, jobFile, process.cwd(), sha256(bundler), esbuildVersion]));
}

function writeWhole(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (err) {
    // The write's error is the one logged ('job bundle not cached'): a temporary file that
    // cannot be removed either is left for pruneJobBundleCache (an hour old).
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // left behind
    }
    throw err;
  }
}

/** The cached bundle of `jobFile` (absolute) when it is still what esbuild would make, else undefined. */
function lookup(dir: string, key: string): JobBundle | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (entry.format !== FORMAT) return undefined;
  for (const [file, hash] of entry.inputs) if (fileHash(file) !== hash) return undefined;
  let code: Buffer;
  let sourceMap: string;
  try {
    code = fs.readFileSync(path.join(dir, `${key}.mjs`));
    sourceMap = fs.readFileSync(path.join(dir, `${key}.mjs.map`), 'utf8');
  } catch {
    return undefined;
  }
  if (sha256(code) !== entry.sha256) return undefined;
  const now = new Date();
  try {
    fs.utimesSync(path.join(dir, `${key}.json`), now, now); // used last: kept longest
  } catch {
    // a cache that cannot be written still serves what it has
  }
  return { name: entry.name, code, sourceMap, sha256: entry.sha256, inputs: entry.inputs.filter(([, h]) => h !== null).map(([f]) => f) };
}

function store(dir: string, key: string, jobFile: string, bundle: JobBundle): void {
  const inputs: [string, string | null][] = [];
  for (const f of bundle.inputs) {
    const h = fileHash(f);
    if (h === null) return; // not a file (a plugin's virtual module): not cacheable
    inputs.push([f, h]);
  }
  for (const f of configFiles(jobFile)) if (!bundle.inputs.includes(f)) inputs.push([f, fileHash(f)]);
  // A file edited while esbuild ran (a window of some 100 ms) is recorded with its new
  // content beside a bundle of its old one: the next run would not see that edit.
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeWhole(path.join(dir, `${key}.mjs`), bundle.code);
  writeWhole(path.join(dir, `${key}.mjs.map`), bundle.sourceMap);
  writeWhole(path.join(dir, `${key}.json`), JSON.stringify({ format: FORMAT, name: bundle.name, sha256: bundle.sha256, inputs } satisfies Entry));
}

/**
 * Removes all but the `keep` entries of the cache directory used last (by the time of their
 * description file, which a hit touches): each entry's bundle, map and description; and
 * what a run killed while it wrote left over an hour ago (temporary files, a bundle without
 * its description). `justStored` (a key) is kept whatever its time. Returns the keys removed.
 */
export function pruneJobBundleCache(dir: string, keep: number = JOB_BUNDLE_CACHE_ENTRIES, justStored?: string): string[] {
  const entries: { key: string; mtimeMs: number }[] = [];
  const hourAgo = Date.now() - 3_600_000;
  const names = new Set(fs.readdirSync(dir));
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith('.json')) {
      try {
        entries.push({ key: name.slice(0, -'.json'.length), mtimeMs: fs.statSync(file).mtimeMs });
      } catch {
        // removed by another run meanwhile
      }
    } else if (name.endsWith('.tmp') || ((name.endsWith('.mjs') || name.endsWith('.mjs.map')) && !names.has(`${name.slice(0, name.indexOf('.'))}.json`))) {
      // left by a run killed while it wrote: its description was never written
      try {
        if (fs.statSync(file).mtimeMs < hourAgo) fs.rmSync(file, { force: true });
      } catch {
        // removed by another run meanwhile
      }
    }
  }
  if (entries.length <= keep) return [];
  // Newest first; the entry just stored before all (entries written within one clock tick tie).
  entries.sort((a, b) => Number(b.key === justStored) - Number(a.key === justStored) || b.mtimeMs - a.mtimeMs || (a.key < b.key ? -1 : 1));
  const removed = entries.slice(keep).map((e) => e.key);
  for (const key of removed) {
    // The description first: a run reading at the same time then finds no entry, never half of one.
    for (const suffix of ['.json', '.mjs', '.mjs.map']) fs.rmSync(path.join(dir, `${key}${suffix}`), { force: true });
  }
  return removed;
}

/**
 * The job's bundle: the cached one when nothing it was made from changed, else a new one
 * from esbuild (bundle-job.ts, loaded only then), stored for the next run.
 */
export async function cachedBundleJob(file: string, log?: Logger, env: NodeJS.ProcessEnv = process.env): Promise<JobBundle & { readonly cached: boolean }> {
  const dir = jobBundleCacheDir(env);
  const abs = path.resolve(file);
  let key: string | undefined;
  if (dir !== undefined) {
    try {
      key = entryKey(abs);
      const hit = lookup(dir, key);
      if (hit) {
        log?.debug({ job: abs, sha256: hit.sha256, cache: dir }, 'job bundle from the cache');
        return { ...hit, cached: true };
      }
    } catch (err) {
      log?.debug({ err, cache: dir }, 'job bundle cache not read');
    }
  }
  const bundle = await (await import('./bundle-job.js')).bundleJob(file);
  if (dir !== undefined && key !== undefined) {
    try {
      store(dir, key, abs, bundle);
      const removed = pruneJobBundleCache(dir, JOB_BUNDLE_CACHE_ENTRIES, key);
      if (removed.length > 0) log?.debug({ cache: dir, removed: removed.length }, 'job bundle cache pruned');
    } catch (err) {
      log?.debug({ err, cache: dir }, 'job bundle not cached');
    }
  }
  log?.debug({ job: abs, sha256: bundle.sha256, inputs: bundle.inputs.length }, 'job bundled');
  return { ...bundle, cached: false };
}
