import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces through the bundle (dist/sluice.cjs) name the .ts files it was made from, as
 * those of the modules do: the bundle runs as a vm.Script (for V8's code cache), whose source
 * map Node 20 does not load even with --enable-source-maps, so this formats stacks itself
 * (Error.prepareStackTrace) and maps each frame in the bundle through dist/sluice.cjs.map
 * (made by scripts/bundle-cli.mjs, through tsc's maps). Frames elsewhere print as V8 prints them.
 *
 * Nothing is read at start-up. The map (about 1 MiB) is read the first time a stack with a
 * frame in the bundle is formatted — which happens in ordinary runs too: grpc-js reads the
 * stack of every call that fails, as calls do when a peer stops — so it is not decoded
 * whole (Node's module.SourceMap takes most of a second of CPU on a loaded machine): one
 * pass over its mappings notes where each generated line starts and the running values
 * there, and a lookup decodes that one line.
 */
export function mapBundleStackTraces(bundle: string, mapFile: string): void {
  let map: LineIndexedMap | null | undefined;
  const dir = path.dirname(mapFile);
  const original = (source: string): string => (source.startsWith('file:') ? fileURLToPath(source) : path.resolve(dir, source));
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): string => {
    let head: string;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = '<error>';
    }
    const lines = frames.map((f) => {
      const text = String(f);
      if (f.getFileName() !== bundle) return `    at ${text}`;
      const line = f.getLineNumber();
      const column = f.getColumnNumber();
      const at = `${bundle}:${line}:${column}`;
      if (line === null || column === null || !text.includes(at)) return `    at ${text}`;
      map ??= LineIndexedMap.read(mapFile);
      const e = map?.find(line - 1, column - 1);
      return e ? `    at ${text.replace(at, `${original(e.source)}:${e.line + 1}:${e.column + 1}`)}` : `    at ${text}`;
    });
    return [head, ...lines].join('\n');
  };
}

const BASE64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/** A source map (version 3) looked up one generated line at a time (0-based lines and columns). */
export class LineIndexedMap {
  /** For generated line g: where its segments start in `mappings`, and the running source (-1: none yet), line and column before it. */
  private readonly starts: Int32Array;
  private readonly state: Int32Array;

  private constructor(
    private readonly mappings: string,
    private readonly sources: readonly string[],
  ) {
    let lines = 1;
    for (let i = 0; i < mappings.length; i++) if (mappings.charCodeAt(i) === 59 /* ; */) lines++;
    this.starts = new Int32Array(lines + 1);
    this.state = new Int32Array(lines * 3);
    this.state[0] = -1;
    const v = [0, 0, 0, 0, 0];
    let seen = false; // a segment with a source before this point
    let g = 0;
    let field = 0;
    let value = 0;
    let shift = 0;
    for (let i = 0; i <= mappings.length; i++) {
      const c = i < mappings.length ? mappings.charCodeAt(i) : 59;
      if (c === 59 || c === 44 /* , */) {
        field = 0;
        if (c === 59) {
          g++;
          this.starts[g] = i + 1;
          if (g < lines) {
            this.state[g * 3] = seen ? v[1] : -1;
            this.state[g * 3 + 1] = v[2];
            this.state[g * 3 + 2] = v[3];
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
      if (field === 3) seen = true;
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

  /** The original position of generated (line, column): the last segment at or before the column. */
  find(line: number, column: number): { source: string; line: number; column: number } | undefined {
    if (line < 0 || line >= this.starts.length - 1) return undefined;
    const end = this.starts[line + 1] - 1;
    let [source, oLine, oColumn] = [this.state[line * 3], this.state[line * 3 + 1], this.state[line * 3 + 2]];
    let gColumn = 0;
    // Before the line's first segment: the last one of the lines before (as Node's SourceMap.findEntry).
    let best: { source: number; line: number; column: number } | undefined = source >= 0 ? { source, line: oLine, column: oColumn } : undefined;
    if (source < 0) source = 0;
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
        } else if (field >= 1) gColumn += v[0];
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
