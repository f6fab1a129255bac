import { SluiceError } from '../errors.js';
import { locationScheme, normalizeCheckpointLocation } from './checkpoint-location.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { LocalCheckpointStore } from './local-checkpoint-store.js';

/** Opens a store rooted at a normalized `scheme://...` location. */
export type CheckpointStoreFactory = (location: string) => CheckpointStore;

interface SchemeEntry {
  readonly factory: CheckpointStoreFactory;
  readonly packageName: string;
}

interface Registry {
  readonly schemes: Map<string, SchemeEntry>;
  readonly open: Map<string, CheckpointStore>;
}

/**
 * The registry of checkpoint-store schemes lives on globalThis under a registered
 * Symbol, one per thread: a connector imported by the job file (`import '@sluice/s3'`)
 * registers its scheme in every thread that loads the job bundle — the driver program's
 * thread and each task thread on the workers — whatever copy of core it was linked
 * against. Plain paths and `file://` need no registration.
 */
const REGISTRY_KEY = Symbol.for('sluice.checkpointStoreRegistry');

/**
 * Stores kept open per thread, most recently used last: a stream checkpoints to a new
 * location (`state/stream-<id>-<time>`) every interval, so the cache is bounded.
 */
const MAX_OPEN = 64;

/** Schemes that a Sluice package provides, for the error that says what to install. */
const KNOWN_PACKAGES: Readonly<Record<string, string>> = { s3: '@sluice/s3', s3a: '@sluice/s3' };

function registry(): Registry {
  const g = globalThis as { [REGISTRY_KEY]?: Registry };
  return (g[REGISTRY_KEY] ??= { schemes: new Map(), open: new Map() });
}

/**
 * Make `scheme://...` checkpoint directories open with `factory` in this thread. A
 * connector package calls this when it is imported; registering a scheme again replaces
 * its factory (and forgets the stores opened with the old one).
 */
export function registerCheckpointStore(scheme: string, factory: CheckpointStoreFactory, packageName: string): void {
  const s = scheme.toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(s) || s === 'file') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `registerCheckpointStore: '${scheme}' cannot be registered (a URI scheme other than 'file', such as 's3')`);
  }
  const r = registry();
  r.schemes.set(s, { factory, packageName });
  for (const loc of [...r.open.keys()]) if (locationScheme(loc) === s) r.open.delete(loc);
}

/** Schemes registered in this thread, besides plain paths and file://. */
export function registeredCheckpointSchemes(): string[] {
  return [...registry().schemes.keys()].sort();
}

/**
 * The store for a checkpoint directory (a path, `file://...`, or a registered
 * `scheme://...`): the same store object for the same location within a thread while it
 * is among the last 64 opened (a store holds no resources of its own: a connector shares
 * its clients between its stores). An
 * unregistered scheme is a SLUICE_CHECKPOINT error naming the scheme and the package
 * (and import) that provides it.
 */
export function openCheckpointStore(dir: string): CheckpointStore {
  const location = normalizeCheckpointLocation(dir, 'checkpoint directory');
  const r = registry();
  let store = r.open.get(location);
  if (store) {
    r.open.delete(location);
    r.open.set(location, store);
    return store;
  }
  const scheme = locationScheme(location);
  if (scheme === undefined) store = new LocalCheckpointStore(location);
  else {
    const entry = r.schemes.get(scheme);
    if (!entry) throw unknownScheme(dir, scheme);
    store = entry.factory(location);
  }
  r.open.set(location, store);
  if (r.open.size > MAX_OPEN) r.open.delete(r.open.keys().next().value!);
  return store;
}

function unknownScheme(dir: string, scheme: string): SluiceError {
  const pkg = KNOWN_PACKAGES[scheme];
  const known = ['a plain path', 'file://', ...registeredCheckpointSchemes().map((s) => `${s}://`)].join(', ');
  if (pkg) {
    return new SluiceError(
      'SLUICE_CHECKPOINT',
      `checkpoint directory '${dir}': the '${scheme}://' scheme is provided by ${pkg}, which this job has not loaded: install it next to the job (npm install ${pkg}) and add \`import '${pkg}';\` at the top of the job file (this process knows ${known})`,
    );
  }
  return new SluiceError('SLUICE_CHECKPOINT', `checkpoint directory '${dir}': no checkpoint store handles the '${scheme}://' scheme; use ${known}, or import the package that registers '${scheme}'`);
}
