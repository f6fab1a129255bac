import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where cli-entry leaves the mapper when the bundle runs (mapBundleStack reads it). */
const MAPPER = Symbol.for('sluice.bundleStackMapper');

/**
 * Stack traces through the bundle (dist/sluice.cjs) name the .ts files it was made from:
 * the bundle runs as a vm.Script (for V8's code cache), whose source map Node 20 does not
 * load even with --enable-source-maps, so each stack is mapped through dist/sluice.cjs.map
 * (made by scripts/bundle-cli.mjs, through tsc's maps) when it is printed: by the CLI's
 * error line (SLUICE_STACK_TRACES=1), in a logged error (the root logger's err serializer),
 * or as an uncaught exception ends the process. Not in Error.prepareStackTrace: grpc-js
 * reads the stack of every call that fails, as calls do when a peer stops, and the map
 * (about 1 MiB) would then be read by every process at every stop. Nothing is read before
 * a stack is printed; then only where each generated line starts (one pass), and a lookup
 * decodes its one line.
 *
 * Frames of the thread bundles in `threadsDir` (dist/threads: a stack a driver-program or
 * task thread sent, e.g. in a job's failure) are mapped the same way, each file through its
 * own map beside it; the threads load them before they turn source maps on (the job's own
 * bundle is mapped by Node there).
 */
export function installBundleStackMapping(bundle: string, mapFile: string, threadsDir?: string): void {
  const maps = new Map<string, LineIndexedMap | null>();
  const dirs = [bundle, ...(threadsDir === undefined ? [] : [threadsDir, pathToFileURL(threadsDir).href])];
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const threads = threadsDir === undefined ? [] : [`(?:${escape(pathToFileURL(threadsDir).href)}|${escape(threadsDir)})/[\\w-]+\\.mjs`];
  const frame = new RegExp(`(${[escape(bundle), ...threads].join('|')}):(\\d+):(\\d+)`, 'g');
  const mapper = (stack: string): string => {
    if (!dirs.some((d) => stack.includes(d))) return stack;
    return stack.replace(frame, (at, generated: string, l: string, c: string) => {
      const file = generated.startsWith('file:') ? fileURLToPath(generated) : generated;
      const ownMap = file === bundle ? mapFile : `${file}.map`;
      let map = maps.get(ownMap);
      if (map === undefined) {
        map = LineIndexedMap.read(ownMap);
        maps.set(ownMap, map);
      }
      const e = map?.find(Number(l) - 1, Number(c) - 1);
      if (!e) return at;
      const source = e.source.startsWith('file:') ? fileURLToPath(e.source) : path.resolve(path.dirname(ownMap), e.source);
      return `${source}:${e.line + 1}:${e.column + 1}`;
    });
  };
  (globalThis as Record<symbol, unknown>)[MAPPER] = mapper;
  // Node prints an uncaught exception's `stack` after the monitors ran.
  process.on('uncaughtExceptionMonitor', (err) => {
    if (err instanceof Error && typeof err.stack === 'string') err.stack = mapper(err.stack);
  });
}

/** `stack` with the bundle's positions mapped to the .ts files when the bundle runs; as it is otherwise. */
export function mapBundleStack(stack: string): string {
  const mapper = (globalThis as Record<symbol, ((s: string) => string) | undefined>)[MAPPER];
  return mapper ? mapper(stack) : stack;
}

const BASE64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/** A source map (version 3) looked up one generated line at a time (0-based lines and columns). */
export class LineIndexedMap {
  /**
   * For generated line g: where its segments start in `mappings`; the running source, line
   * and column before it; and whether the last segment before it maps to a source (1) or not
   * (0: none yet, or a 1-field segment, generated code with no original).
   */
  private readonly starts: Int32Array;
  private readonly state: Int32Array;

  private constructor(
    private readonly mappings: string,
    private readonly sources: readonly string[],
  ) {
    let lines = 1;
    for (let i = 0; i < mappings.length; i++) if (mappings.charCodeAt(i) === 59 /* ; */) lines++;
    this.starts = new Int32Array(lines + 1);
    this.state = new Int32Array(lines * 4);
    const v = [0, 0, 0, 0, 0];
    let mapped = false; // the last segment before this point has a source
    let g = 0;
    let field = 0;
    let value = 0;
    let shift = 0;
    for (let i = 0; i <= mappings.length; i++) {
      const c = i < mappings.length ? mappings.charCodeAt(i) : 59;
      if (c === 59 || c === 44 /* , */) {
        if (field === 1) mapped = false;
        else if (field >= 4) mapped = true;
        field = 0;
        if (c === 59) {
          g++;
          this.starts[g] = i + 1;
          if (g < lines) {
            this.state[g * 4] = v[1];
            this.state[g * 4 + 1] = v[2];
            this.state[g * 4 + 2] = v[3];
            this.state[g * 4 + 3] = mapped ? 1 : 0;
          }
        }
        continue;
      }
      const d = BASE64[c];
      value += (d & 31) << shift;
      if (d & 32) {
        shift += 5;
        continue;
      }
      // Fields 1-3 (source, original line, original column) run on across lines; field 0 (generated column) restarts per line.
      const delta = value & 1 ? -(value >>> 1) : value >>> 1;
      if (field >= 1 && field <= 3) v[field] += delta;
      field++;
      value = 0;
      shift = 0;
    }
  }

  /** The map at `file`, or null when it cannot be read (the bundle's own positions are printed then). */
  static read(file: string): LineIndexedMap | null {
    try {
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { mappings: string; sources: string[]; sourceRoot?: string };
      return new LineIndexedMap(m.mappings, m.sources.map((s) => (m.sourceRoot ? `${m.sourceRoot.replace(/\/?$/, '/')}${s}` : s)));
    } catch {
      return null;
    }
  }

  /**
   * The original position of generated (line, column): the last segment at or before the
   * column (searching back over earlier lines), as Node's SourceMap.findEntry; undefined when
   * that segment has no source (1 field: code the bundler generated).
   */
  find(line: number, column: number): { source: string; line: number; column: number } | undefined {
    if (line < 0 || line >= this.starts.length - 1) return undefined;
    const end = this.starts[line + 1] - 1;
    let [source, oLine, oColumn] = [this.state[line * 4], this.state[line * 4 + 1], this.state[line * 4 + 2]];
    let gColumn = 0;
    // Before the line's first segment: the last one of the lines before (as Node's SourceMap.findEntry).
    let best: { source: number; line: number; column: number } | undefined = this.state[line * 4 + 3] === 1 ? { source, line: oLine, column: oColumn } : undefined;
    const v = [0, 0, 0, 0];
    let field = 0;
    let value = 0;
    let shift = 0;
    for (let i = this.starts[line]; i <= end; i++) {
      const c = i < end ? this.mappings.charCodeAt(i) : 44;
      if (c === 44) {
        if (field >= 4) {
          gColumn += v[0];
          source += v[1];
          oLine += v[2];
          oColumn += v[3];
          if (gColumn > column) break;
          best = { source, line: oLine, column: oColumn };
        } else if (field >= 1) {
          gColumn += v[0];
          if (gColumn > column) break;
          best = undefined;
        }
        v.fill(0);
        field = 0;
        continue;
      }
      const d = BASE64[c];
      value += (d & 31) << shift;
      if (d & 32) {
        shift += 5;
        continue;
      }
      if (field < 4) v[field] = value & 1 ? -(value >>> 1) : value >>> 1;
      field++;
      value = 0;
      shift = 0;
    }
    return best && this.sources[best.source] !== undefined ? { source: this.sources[best.source], line: best.line, column: best.column } : undefined;
  }
}
