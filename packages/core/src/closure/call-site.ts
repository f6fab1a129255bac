/**
 * Where the user called Sluice: the first stack frame outside @sluice/core's own sources.
 * In a driver program the stack is source-mapped (the job thread enables source maps),
 * so a frame of the job bundle names the user's own `.ts` file and line.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `userCallSite` returns when no frame of the stack is the user's (e.g. at batch time). */
export const UNKNOWN_CALL_SITE = '<unknown>';

const HERE = fileURLToPath(import.meta.url);
/** Compiled layout `<pkg>/dist/src/closure/call-site.js`: skip `<pkg>/dist/src/` and `<pkg>/src/` (source-mapped frames). */
const CORE_DIRS = /[\\/]dist[\\/]src[\\/]closure[\\/]call-site\.js$/.test(HERE)
  ? [fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(new URL('../../../src/', import.meta.url))]
  : [HERE];
// The `sluice` command's bundles (scripts/bundle-cli.mjs) give this module the URL of the file
// it was built from, while its frames name the bundle it runs in: every file beside that
// bundle (dist/ or dist/threads/, Sluice's own) is skipped too.
const RUNNING = frameLocation(new Error().stack?.split('\n')[1] ?? '');
if (RUNNING !== undefined) {
  const file = RUNNING.replace(/:\d+:\d+$/, '');
  if (file !== HERE) CORE_DIRS.push(path.dirname(file) + path.sep);
}

/**
 * Sluice's other packages (the connectors a job bundles, the driver and worker): a frame in one
 * is Sluice's, not the user's, as Spark's getCallSite and DStream.getCreationSite skip every
 * `org.apache.spark` class (its Kafka and Kinesis connectors' included), so an output made by
 * `saveToRedis(stream, ...)` is named by the user's line, not by the connector's `foreachRDD`.
 * Installed, `node_modules/@sluice/<name>/...`; in this repository, `packages/<name>/src/` and
 * `packages/<name>/dist/src/` beside core (not the private test helpers, `packages/test-*`).
 */
const INSTALLED_PACKAGE = String.raw`[\\/]node_modules[\\/]@sluice[\\/][^\\/]+[\\/]`;
const REPOSITORY_PACKAGE = /[\\/]dist[\\/]src[\\/]closure[\\/]call-site\.js$/.test(HERE)
  ? '^' + escapeRegExp(fileURLToPath(new URL('../../../../', import.meta.url))) + String.raw`(?!test-)[^\\/]+[\\/](?:dist[\\/])?src[\\/]`
  : undefined;
const SLUICE_PACKAGE_FRAME = new RegExp(REPOSITORY_PACKAGE === undefined ? INSTALLED_PACKAGE : `${INSTALLED_PACKAGE}|${REPOSITORY_PACKAGE}`);

function isSluiceFrame(at: string): boolean {
  return CORE_DIRS.some((dir) => at.startsWith(dir)) || SLUICE_PACKAGE_FRAME.test(at);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `file:line:column` of the first frame outside Sluice's packages, or UNKNOWN_CALL_SITE. */
export function userCallSite(): string {
  return firstUserFrame(stackNow().stack);
}

/**
 * `userCallSite()` as it is now, read later: the stack is taken at once and formatted (source
 * maps applied) and searched only when the function is first called, so taking it costs little
 * where it is seldom read (an RDD's creation site, read by its toString).
 */
export function laterUserCallSite(): () => string {
  const err = stackNow();
  let site: string | undefined;
  return () => (site ??= firstUserFrame(err.stack));
}

function stackNow(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  try {
    return new Error();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function firstUserFrame(stack: string | undefined): string {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const at = frameLocation(line);
    if (at !== undefined && !isSluiceFrame(at)) return at;
  }
  return UNKNOWN_CALL_SITE;
}

/**
 * The stack from the first frame outside @sluice/core on, one frame a line as V8 writes it
 * without its 'at ' (`main (/jobs/job.ts:12:5)`), at most `limit` frames: Spark's CallSite
 * longForm, where `userCallSite()` is the short form's place. UNKNOWN_CALL_SITE when no frame is
 * the user's.
 */
export function userCallStack(limit = 20): string {
  return laterUserCallStack(limit)();
}

/**
 * `userCallStack()` as it is now, read later: the stack is taken at once (V8 keeps its frames
 * unformatted), formatted and searched only when the function is first called, so an action
 * that succeeds pays for no formatting (its Driver stacktrace is read only when it fails).
 */
export function laterUserCallStack(limit = 20): () => string {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 64 + limit;
  let err: Error;
  try {
    err = new Error();
  } finally {
    Error.stackTraceLimit = saved;
  }
  let text: string | undefined;
  return () => (text ??= userFrames(err.stack, limit));
}

function userFrames(stack: string | undefined, limit: number): string {
  const lines = (stack ?? '').split('\n').slice(1);
  const first = lines.findIndex((line) => {
    const at = frameLocation(line);
    return at !== undefined && !isSluiceFrame(at);
  });
  if (first < 0) return UNKNOWN_CALL_SITE;
  return lines
    .slice(first, first + limit)
    .map((l) => l.trim().replace(/^at /, ''))
    .join('\n');
}

function frameLocation(line: string): string | undefined {
  const text = line.trim();
  if (!text.startsWith('at ')) return undefined;
  const open = text.indexOf(' (');
  const location = text.endsWith(')') && open >= 0 ? text.slice(open + 2, -1) : text.slice(3);
  const m = /^(.*):(\d+):(\d+)$/.exec(location);
  if (m === null || m[1]!.startsWith('node:') || m[1]!.includes('eval at ') || m[1] === '<anonymous>') return undefined;
  const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  return `${file}:${m[2]}:${m[3]}`;
}
