// LineIndexedMap (src/bundle-stack-traces.ts) decodes the CLI bundle's source map by hand,
// one generated line at a time. Its answers are compared with Node's own source-map
// decoder (module.SourceMap#findEntry):
// - on the real bundle map (scripts/bundle-cli.mjs run by the test on a copy of the cli
//   package, as cli-bundle.test does), at 4,000 random (line, column) positions inside the
//   bundle's text, seeded;
// - on maps made here from explicit segments (an independent VLQ encoder), with lines that
//   have no mappings, a first segment at column 0 and one further in, names (5-field
//   segments), 1-field segments (generated code with no source: nothing to map to, as the
//   bundle has them), large and negative deltas (multi-digit VLQ), checked also against a
//   plain scan of the segments;
// - on a small map written out by hand, with the expected answers spelled out;
// - through the mapper cli-entry installs: a frame of a thread bundle (dist/threads), named
//   by a file URL or a path, maps to core's .ts line where the function is defined.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LineIndexedMap, installBundleStackMapping, mapBundleStack } from '../src/bundle-stack-traces.js';
import { CLI_DIR, REPO_DIR, mulberry32 } from './harness.js';

let tmp = '';
let copy = '';

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-map-'));
  copy = path.join(tmp, 'packages', 'cli');
  for (const part of ['bin', 'dist/src', 'package.json']) fs.cpSync(path.join(CLI_DIR, part), path.join(copy, part), { recursive: true, preserveTimestamps: true });
  fs.symlinkSync(path.join(CLI_DIR, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  execFileSync(process.execPath, [path.join(REPO_DIR, 'scripts', 'bundle-cli.mjs'), '--cli-dir', copy], { stdio: 'pipe' });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Found {
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

/** Node's answer in LineIndexedMap's shape: undefined where Node finds no segment with a source. */
function nodeFind(map: SourceMap, line: number, column: number): Found | undefined {
  const e = map.findEntry(line, column) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
  return e.originalSource === undefined ? undefined : { source: e.originalSource, line: e.originalLine!, column: e.originalColumn! };
}

function readMap(payload: SourceMapPayload): { ours: LineIndexedMap; node: SourceMap } {
  const file = path.join(tmp, `map-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(payload));
  const ours = LineIndexedMap.read(file);
  assert.ok(ours, 'the map is read');
  return { ours, node: new SourceMap(payload) };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One Base64 VLQ value (the source map v3 encoding). */
function vlq(n: number): string {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let s = '';
  do {
    let d = v & 31;
    v >>>= 5;
    if (v > 0) d |= 32;
    s += B64[d];
  } while (v > 0);
  return s;
}

/** A segment: generated column, source index, original line, original column, name index (optional); or the generated column alone (code with no source). */
type Segment = readonly [number] | readonly [number, number, number, number, number?];

/** `mappings` for segments given per generated line (each line's sorted by column). */
function encode(lines: readonly (readonly Segment[])[]): string {
  const prev = [0, 0, 0, 0];
  return lines
    .map((segs) => {
      let col = 0;
      return segs
        .map((seg) => {
          const c = seg[0];
          if (seg.length === 1) {
            const out = vlq(c - col);
            col = c;
            return out;
          }
          const [, s, l, oc, n] = seg;
          let out = vlq(c - col) + vlq(s - prev[0]) + vlq(l - prev[1]) + vlq(oc - prev[2]);
          col = c;
          [prev[0], prev[1], prev[2]] = [s, l, oc];
          if (n !== undefined) {
            out += vlq(n - prev[3]);
            prev[3] = n;
          }
          return out;
        })
        .join(',');
    })
    .join(';');
}

/** The plain answer: the last segment at or before (line, column), searching back over earlier lines. */
function scan(lines: readonly (readonly Segment[])[], sources: readonly string[], line: number, column: number): Found | undefined {
  for (let g = line; g >= 0; g--) {
    const segs = g === line ? lines[g].filter((s) => s[0] <= column) : lines[g];
    const s = segs.at(-1);
    if (s) return s.length === 1 ? undefined : { source: sources[s[1]], line: s[2], column: s[3] };
  }
  return undefined;
}

test('on the real bundle map, 4,000 random positions map as Node.js module.SourceMap maps them', () => {
  const payload = JSON.parse(fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs.map'), 'utf8')) as SourceMapPayload;
  assert.equal(payload.sourceRoot ?? '', '', 'the bundle map has no sourceRoot (Node ignores it; LineIndexedMap would add it)');
  const { ours, node } = readMap(payload);
  const text = fs.readFileSync(path.join(copy, 'dist', 'sluice.cjs'), 'utf8').split('\n');
  const mapped = payload.mappings.split(';').length;
  assert.ok(mapped > 10_000 && mapped <= text.length, `the map covers the bundle's lines (${mapped} of ${text.length})`);
  const rand = mulberry32(20261201);
  let withSource = 0;
  let firstColumn = 0;
  const wrong: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const line = Math.floor(rand() * mapped);
    // Every tenth at column 0; the rest anywhere in the line's text (and a little past it).
    const column = i % 10 === 0 ? 0 : Math.floor(rand() * (text[line].length + 5));
    if (column === 0) firstColumn++;
    const want = nodeFind(node, line, column);
    const got = ours.find(line, column);
    if (want) withSource++;
    if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${line}:${column}: ${JSON.stringify(got)}, Node: ${JSON.stringify(want)}`);
  }
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} of 4000 positions differ`);
  assert.ok(withSource > 3000, `most positions map to a source (${withSource})`);
  assert.ok(firstColumn >= 400, 'column 0 was asked');
  // Beyond the map's lines there is nothing (Node answers with its last segment there).
  assert.equal(ours.find(mapped + 5, 0), undefined);
  assert.equal(ours.find(-1, 0), undefined);
});

test('on generated maps with empty lines, names, sourceless segments and large or negative deltas, every position maps as Node.js and a plain scan map it', () => {
  const rand = mulberry32(7);
  const sources = ['a.ts', 'dir/b.ts', 'c.ts'];
  for (let m = 0; m < 30; m++) {
    const lines: Segment[][] = [];
    const nLines = 1 + Math.floor(rand() * 40);
    for (let g = 0; g < nLines; g++) {
      const segs: Segment[] = [];
      if (rand() < 0.3) {
        lines.push(segs); // no mappings on this line
        continue;
      }
      let col = rand() < 0.5 ? 0 : Math.floor(rand() * 50);
      const n = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < n; k++) {
        // Original lines up to 200,000 and columns up to 5,000: VLQ values of several digits, deltas either way.
        const seg = [col, Math.floor(rand() * sources.length), Math.floor(rand() * 200_000), Math.floor(rand() * 5000)] as const;
        const r = rand();
        segs.push(r < 0.15 ? [col] : r < 0.5 ? [...seg, Math.floor(rand() * 3)] : seg);
        col += 1 + Math.floor(rand() * (rand() < 0.2 ? 3000 : 30));
      }
      lines.push(segs);
    }
    const payload: SourceMapPayload = { version: 3, file: 'x.js', sourceRoot: '', sources, sourcesContent: [], names: ['n0', 'n1', 'n2'], mappings: encode(lines) };
    const { ours, node } = readMap(payload);
    const wrong: string[] = [];
    for (let g = 0; g < nLines; g++) {
      const maxCol = Math.max(60, ...lines[g].map((s) => s[0] + 2));
      for (let c = 0; c <= maxCol; c += c < 60 ? 1 : 97) {
        const want = scan(lines, sources, g, c);
        assert.deepEqual(nodeFind(node, g, c), want, `Node agrees with the scan at ${g}:${c} (map ${m})`);
        const got = ours.find(g, c);
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`map ${m} ${g}:${c}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} positions differ (mappings ${payload.mappings.slice(0, 200)})`);
  }
});

test('a small map written out by hand: first column, a line with no mappings, a name, a later source', () => {
  // Line 0: col 0 -> a.ts 0:0; col 4 -> a.ts 2:6 named n0 ("IAEMA": +4, +0, +2, +6, +0).
  // Line 1: nothing. Line 2: col 3 -> b.ts 9:0 named n0 ("GCONA": +3, +1, +7, -6, +0).
  const { ours } = readMap({ version: 3, file: 'x.js', sourceRoot: '', sources: ['a.ts', 'b.ts'], sourcesContent: [], names: ['n0'], mappings: 'AAAA,IAEMA;;GCONA' });
  assert.deepEqual(ours.find(0, 0), { source: 'a.ts', line: 0, column: 0 });
  assert.deepEqual(ours.find(0, 3), { source: 'a.ts', line: 0, column: 0 });
  assert.deepEqual(ours.find(0, 4), { source: 'a.ts', line: 2, column: 6 });
  assert.deepEqual(ours.find(0, 99), { source: 'a.ts', line: 2, column: 6 });
  assert.deepEqual(ours.find(1, 0), { source: 'a.ts', line: 2, column: 6 }, 'a line with no mappings: the last segment before it');
  assert.deepEqual(ours.find(2, 2), { source: 'a.ts', line: 2, column: 6 }, 'before the line\'s first segment: the last segment before it');
  assert.deepEqual(ours.find(2, 3), { source: 'b.ts', line: 9, column: 0 });
  assert.equal(ours.find(3, 0), undefined, 'no line 3');
  assert.equal(LineIndexedMap.read(path.join(tmp, 'no-such.map')), null, 'an unreadable map is null (the bundle positions are printed then)');
});

test("a frame of a thread bundle (dist/threads, as a thread's stack names it: a file URL) maps to the .ts line through that file's own map", () => {
  const threads = path.join(copy, 'dist', 'threads');
  // Where userCallSite is defined: in the bundle (whichever chunk holds it) and in core's source.
  let at: { file: string; line: number; column: number } | undefined;
  for (const f of fs.readdirSync(threads).filter((n) => n.endsWith('.mjs'))) {
    const lines = fs.readFileSync(path.join(threads, f), 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('function userCallSite('));
    if (i >= 0) at = { file: f, line: i + 1, column: 1 };
  }
  assert.ok(at, 'a thread bundle defines userCallSite');
  const src = path.join(REPO_DIR, 'packages', 'core', 'src', 'closure', 'call-site.ts');
  const want = fs.readFileSync(src, 'utf8').split('\n').findIndex((l) => l.startsWith('export function userCallSite(')) + 1;
  const bundle = path.join(copy, 'dist', 'sluice.cjs');
  installBundleStackMapping(bundle, `${bundle}.map`, threads);
  const url = `${pathToFileURL(path.join(threads, at.file)).href}:${at.line}:${at.column}`;
  // (The column is the declaration's in tsc's output, which `export ` shifts: the line is the check.)
  const line = (stack: string): string => stack.replace(/(call-site\.ts:\d+):\d+/, '$1');
  const mapped = mapBundleStack(`Error: x\n    at userCallSite (${url})\n    at node:internal/x:1:1`);
  assert.equal(line(mapped), `Error: x\n    at userCallSite (${src}:${want})\n    at node:internal/x:1:1`);
  // A plain path (a stack printed with paths) maps the same; a frame elsewhere is left as it is.
  assert.equal(line(mapBundleStack(`    at f (${path.join(threads, at.file)}:${at.line}:${at.column})`)), `    at f (${src}:${want})`);
  assert.equal(mapBundleStack('    at f (/elsewhere/chunk-X.mjs:3:4)'), '    at f (/elsewhere/chunk-X.mjs:3:4)');
});
