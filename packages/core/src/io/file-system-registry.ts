import { locationScheme } from '../checkpoint/checkpoint-location.js';
import { SluiceError } from '../errors.js';
import type { FileSystem } from './file-system.js';

interface Registry {
  readonly schemes: Map<string, { readonly fs: FileSystem; readonly packageName: string }>;
}

/**
 * The registry lives on globalThis under a registered Symbol, one per thread, as the
 * checkpoint-store registry: a connector imported by the job file registers its scheme in
 * every thread that loads the job bundle (the driver program's, each task thread).
 */
const REGISTRY_KEY = Symbol.for('sluice.fileSystemRegistry');

/** Schemes that a Sluice package provides, for the error that says what to install. */
const KNOWN_PACKAGES: Readonly<Record<string, string>> = { s3: '@sluice/s3', s3a: '@sluice/s3' };

function registry(): Registry {
  const g = globalThis as { [REGISTRY_KEY]?: Registry };
  return (g[REGISTRY_KEY] ??= { schemes: new Map() });
}

/**
 * Make `scheme://...` locations of sc.textFile, rdd.saveAsTextFile and
 * dstream.saveAsTextFiles go through `fs` in this thread. Registering a scheme again
 * replaces it.
 */
export function registerFileSystem(scheme: string, fs: FileSystem, packageName: string): void {
  const s = scheme.toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(s) || s === 'file') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `registerFileSystem: '${scheme}' cannot be registered (a URI scheme other than 'file', such as 's3')`);
  }
  registry().schemes.set(s, { fs, packageName });
}

/**
 * The file system of `location` (`scheme://...`), its location checked by it; undefined
 * for a plain path or `file://` (core's own). An unregistered scheme is a SLUICE_BAD_ARGUMENT
 * naming the package (and import) that provides it.
 */
export function fileSystemFor(location: string, operation: string): FileSystem | undefined {
  const scheme = locationScheme(location);
  if (scheme === undefined || scheme === 'file') return undefined;
  const entry = registry().schemes.get(scheme);
  if (!entry) {
    const pkg = KNOWN_PACKAGES[scheme];
    const known = ['a plain path', ...[...registry().schemes.keys()].sort().map((s) => `${s}://`)].join(', ');
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      pkg
        ? `${operation}('${location}'): the '${scheme}://' scheme is provided by ${pkg}, which this job has not loaded: install it next to the job (npm install ${pkg}) and add \`import '${pkg}';\` at the top of the job file (this process knows ${known})`
        : `${operation}('${location}'): no file system handles the '${scheme}://' scheme; use ${known}, or import the package that registers '${scheme}'`,
    );
  }
  entry.fs.check(location, operation);
  return entry.fs;
}
