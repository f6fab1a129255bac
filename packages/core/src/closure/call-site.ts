/**
 * Where the user called Sluice: the first stack frame outside @sluice/core's own sources.
 * In a driver program the stack is source-mapped (the job thread enables source maps),
 * so a frame of the job bundle names the user's own `.ts` file and line.
 */
import { findSourceMap, type SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `userCallSite` returns when no frame of the stack is the user's (e.g. at batch time). */
export const UNKNOWN_CALL_SITE = '<unknown>';

/** fileURLToPath, remembered (urlPath): a stack names the same few files again and again. */
const URL_PATHS = new Map<string, string>();
const HERE = fileURLToPath(import.meta.url);
/** Compiled layout `<pkg>/dist/src/closure/call-site.js`: skip `<pkg>/dist/src/` and `<pkg>/src/` (source-mapped frames). */
const CORE_DIRS = /[\\/]dist[\\/]src[\\/]closure[\\/]call-site\.js$/.test(HERE)
  ? [fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(new URL('../../../src/', import.meta.url))]
  : [HERE];
// The `sluice` command's bundles (scripts/bundle-cli.mjs) give this module the URL of the file
// it was built from, while its frames name the bundle it runs in: every file beside that
// bundle (dist/ or dist/threads/, Sluice's own) is skipped too.
const RUNNING = runningFile();
if (RUNNING !== undefined && RUNNING !== HERE) CORE_DIRS.push(path.dirname(RUNNING) + path.sep);

/**
 * The file this module runs in, as its first stack frame names it. Taken from V8's CallSite, not
 * from a formatted stack where Node's formatter is installed and source maps are off (every
 * process's start): formatting a frame's line and column makes V8 index the line ends of the
 * whole script, ~4.5 ms of CPU for the CLI bundle (3.5 MiB), in every process and at its start.
 */
function runningFile(): string | undefined {
  const prepare = Error.prepareStackTrace;
  if (typeof prepare === 'function' && prepare.name === 'ErrorPrepareStackTrace' && process.sourceMapsEnabled !== true) {
    const limit = Error.stackTraceLimit;
    const holder: { stack?: unknown } = {};
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, trace) => trace;
    try {
      Error.captureStackTrace(holder, runningFile);
      const site = Array.isArray(holder.stack) ? (holder.stack[0] as NodeJS.CallSite | undefined) : undefined;
      const file = site === undefined || site.isEval() ? undefined : site.getFileName();
      if (file === undefined || file === null || file === '' || file.startsWith('node:')) return undefined;
      return file.startsWith('file://') ? urlPath(file) : file;
    } finally {
      Error.prepareStackTrace = prepare;
      Error.stackTraceLimit = limit;
    }
  }
  return frameLocation(new Error().stack?.split('\n')[1] ?? '')?.replace(/:\d+:\d+$/, '');
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
  const trace = callSitesNow();
  return trace === undefined ? firstUserFrame(stackNow().stack) : firstUserFrameOf(trace);
}

/**
 * Node's own `Error.prepareStackTrace` (Node 20 installs one that formats with or without source
 * maps), or undefined when something else had replaced it before this module loaded, or on
 * another Node than 20, whose formatter firstUserFrameOf does not follow.
 */
const NODE_PREPARE_STACK_TRACE =
  process.versions.node.startsWith('20.') && typeof Error.prepareStackTrace === 'function' && Error.prepareStackTrace.name === 'ErrorPrepareStackTrace' ? Error.prepareStackTrace : undefined;
const TAKE_TRACE = (_error: Error, trace: NodeJS.CallSite[]): NodeJS.CallSite[] => trace;

/**
 * The frames `stackNow()` would hold under userCallSite (62 of them: stackNow's 64 less its own
 * frame and userCallSite's), unformatted: V8's CallSites, taken through a prepareStackTrace of
 * our own while Node's is the one installed. undefined when another formatter is installed (the
 * program's, or a library's such as source-map-support): then the stack is formatted by it, as
 * before, since that is the text a call site has always come from.
 */
function callSitesNow(): NodeJS.CallSite[] | undefined {
  const prepare = Error.prepareStackTrace;
  if (prepare === undefined || prepare !== NODE_PREPARE_STACK_TRACE) return undefined;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  Error.stackTraceLimit = 62;
  Error.prepareStackTrace = TAKE_TRACE;
  try {
    Error.captureStackTrace(holder, userCallSite);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * firstUserFrame of the stack Node would have formatted from `trace`, formatting only the frames
 * up to the user's: each frame's text is the one Node 20's formatter gives it (V8's own text, or
 * with source maps on and a map for its file, the mapped place: prepareStackTraceWithSourceMaps and
 * serializeJSStackFrame in Node's lib/internal/source_map/prepare_stack_trace.js, followed line by
 * line), and each is searched as firstUserFrame searches the formatted stack's lines. A frame
 * whose text holds a line break (a function named so) would split into lines there: the whole
 * stack is then formatted and searched as it was.
 */
function firstUserFrameOf(trace: readonly NodeJS.CallSite[]): string {
  const mapped = process.sourceMapsEnabled;
  let lastFile: string | null | undefined;
  let lastMap: SourceMap | undefined;
  const text = (i: number): string => {
    const callSite = trace[i]!;
    if (mapped) {
      try {
        let fileName: string | null | undefined = callSite.getFileName();
        if (fileName === undefined) fileName = callSite.getEvalOrigin();
        const map = fileName === lastFile ? lastMap : findSourceMap(fileName!);
        if (map) {
          lastMap = map;
          lastFile = fileName;
          return mappedFrameText(map, callSite, trace[i + 1]);
        }
      } catch {
        // Node's formatter falls back to V8's text of the frame.
      }
    }
    return `${callSite}`;
  };
  for (let i = 0; i < trace.length; i++) {
    const frame = text(i);
    if (frame.includes('\n')) {
      const all = trace.map((_c, k) => `\n    at ${text(k)}`).join('');
      return firstUserFrame(`Error${all}`);
    }
    const at = frameLocation(`    at ${frame}`);
    if (at !== undefined && !isSluiceFrame(at)) return at;
  }
  return UNKNOWN_CALL_SITE;
}

/** Node 20's serializeJSStackFrame: a frame's text with its place (and name) from the source map. */
function mappedFrameText(map: SourceMap, callSite: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string {
  const entry = map.findEntry(callSite.getLineNumber()! - 1, callSite.getColumnNumber()! - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  const { originalSource, originalLine, originalColumn } = entry;
  if (originalSource === undefined || originalLine === undefined || originalColumn === undefined) return `${callSite}`;
  const name = originalSymbolName(map, callSite, caller);
  const source = originalSource.startsWith('file://') ? fileURLToPath(originalSource) : originalSource;
  const fnName = callSite.getFunctionName() ?? callSite.getMethodName();
  const prefix = callSite.isAsync() ? 'async ' : callSite.isConstructor() ? 'new ' : '';
  const typeName = callSite.getTypeName();
  const namePrefix = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const originalName = `${namePrefix}${fnName || '<anonymous>'}`;
  const mappedName = name && name !== originalName ? `${name}` : `${originalName}`;
  const hasName = !!(name || originalName);
  return `${prefix}${mappedName}${hasName ? ' (' : ''}${source}:${originalLine + 1}:${originalColumn + 1}${hasName ? ')' : ''}`;
}

/** Node 20's getOriginalSymbolName: the enclosing function's name in the map, else the caller's place's. */
function originalSymbolName(map: SourceMap, callSite: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string | undefined {
  const enclosing = map.findEntry(callSite.getEnclosingLineNumber()! - 1, callSite.getEnclosingColumnNumber()! - 1) as { name?: string };
  if (enclosing.name) return enclosing.name;
  const file = callSite.getFileName();
  if (caller && file === caller.getFileName()) {
    return (map.findEntry(caller.getLineNumber()! - 1, caller.getColumnNumber()! - 1) as { name?: string }).name;
  }
  return undefined;
}

/**
 * `userCallSite()` as it is now, read later: the stack is taken at once (V8 keeps its frames
 * unformatted) and searched only when the function is first called, so taking it costs little
 * where it is seldom read (an RDD's creation site, read by its toString). Read, only the frames
 * up to the program's are formatted, as userCallSite formats them (firstUserFrameOfError): an
 * action's own call site is read by every action (its lineage names it), a streaming batch's
 * `count` in foreachRDD once a batch, where Node's formatter mapped all 64 frames.
 */
export function laterUserCallSite(): () => string {
  let err: Error | undefined = stackNow();
  let site: string | undefined;
  return () => {
    if (site === undefined) {
      site = firstUserFrameOfError(err!);
      err = undefined;
    }
    return site;
  };
}

/**
 * firstUserFrame of `err`'s stack, which V8 formats when it is first read, with the formatter
 * installed then: while that is Node's, the frames are read unformatted (TAKE_TRACE installed
 * around the read, put back at once) and only those up to the program's formatted
 * (firstUserFrameOf: the text Node's formatter gives each); otherwise the stack as that
 * formatter writes it, searched whole, as before.
 */
function firstUserFrameOfError(err: Error): string {
  const prepare = Error.prepareStackTrace;
  if (prepare === undefined || prepare !== NODE_PREPARE_STACK_TRACE) return firstUserFrame(err.stack);
  let trace: unknown;
  Error.prepareStackTrace = TAKE_TRACE;
  try {
    trace = err.stack;
  } finally {
    Error.prepareStackTrace = prepare;
  }
  return Array.isArray(trace) ? firstUserFrameOf(trace as NodeJS.CallSite[]) : firstUserFrame(typeof trace === 'string' ? trace : undefined);
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
  const file = m[1]!.startsWith('file://') ? urlPath(m[1]!) : m[1]!;
  return `${file}:${m[2]}:${m[3]}`;
}

function urlPath(url: string): string {
  let file = URL_PATHS.get(url);
  if (file === undefined) {
    file = fileURLToPath(url);
    if (URL_PATHS.size >= 1024) URL_PATHS.clear();
    URL_PATHS.set(url, file);
  }
  return file;
}
