import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveJobPath } from '../job-working-directory.js';
import { SluiceError } from '../errors.js';

/** `scheme://rest`: the scheme of a URI-style location (lower case), or undefined for a plain path. */
export function locationScheme(location: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(location);
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * A checkpoint directory as the user gave it, normalized: a plain path is made absolute
 * (against the job's working directory: see resolveJobPath), `file://` becomes its absolute path, any
 * other `scheme://...` keeps its scheme (lower-cased) and loses trailing slashes.
 */
export function normalizeCheckpointLocation(dir: string, what: string): string {
  if (typeof dir !== 'string' || dir.trim() === '') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: expected a checkpoint directory (a path, file://..., or s3://bucket/prefix), got ${JSON.stringify(dir)}`);
  }
  const scheme = locationScheme(dir);
  if (scheme === undefined) return resolveJobPath(dir);
  if (scheme === 'file') {
    try {
      return path.resolve(fileURLToPath(dir));
    } catch (err) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${what}: '${dir}' is not a valid file:// URL (${(err as Error).message}); write file:///absolute/path or a plain path`, { cause: err });
    }
  }
  return `${scheme}://${dir.slice(scheme.length + 3).replace(/\/+$/, '')}`;
}

/** `location` with `parts` appended ('/'-joined for URI locations, path.join for paths). */
export function joinCheckpointLocation(location: string, ...parts: string[]): string {
  if (locationScheme(location) === undefined) return path.join(location, ...parts);
  return [location.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((p) => p !== '').join('/');
}

/** Throws unless `key` is a relative '/'-separated key without '.', '..' or empty segments. */
export function checkKey(key: string, location: string): void {
  const bad = key === '' || key.startsWith('/') || key.includes('\\') || key.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new SluiceError('SLUICE_INTERNAL', `checkpoint key ${JSON.stringify(key)} under '${location}' is not a relative '/'-separated key`);
}
