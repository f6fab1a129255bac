// userCallSite and laterUserCallSite (when read) take V8's frames unformatted and format only those up to the
// program's, each as Node's own formatter would (call-site.ts): these check they give what searching the whole
// formatted stack gave, frame kind by frame kind, with source maps on (a module with a map, as a job's bundle in
// the driver program's thread) and off. The reference is the same call while a formatter that only calls Node's is installed, so
// userCallSite takes its old path (the stack formatted whole by Node, then searched); the expected places come
// from the module's text and its map, written here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A module's lines, 1-based as a stack gives them; each case calls `f` (userCallSite) from its own kind of frame. */
const JOB = [
  'export const cases = {',
  '  plain: (f) => f(),',
  '  constructed: (f) => new (class Made { constructor() { this.site = f(); } })().site,',
  '  afterAwait: async (f) => { await null; return f(); },',
  '  evaluated: (f) => eval("f()"),',
  '  method: (f) => ({ m() { return f(); } }).m(),',
  "  oddName: (f) => { const g = () => f(); Object.defineProperty(g, 'name', { value: 'odd (/odd/place.ts:1:2)\\nline' }); return g(); },",
  '  asyncCaller: async (f) => await inEval(f),',
  '  deep60: (f) => nest(60, f),',
  '  deep61: (f) => nest(61, f),',
  '};',
  "const inEval = new Function('f', 'return (async () => { await null; return f(); })();');",
  "const nestEval = new Function('self', 'n', 'f', 'return n === 0 ? f() : self(self, n - 1, f);');",
  'const nest = (n, f) => nestEval(nestEval, n, f);',
];
/** The map puts generated line i at the original job.ts's line i + LINE_OFFSET, column 0. */
const LINE_OFFSET = 100;

function vlq(n: number): string {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += B64[digit];
  } while (v > 0);
  return out;
}

const THREAD = `
import { parentPort, workerData } from 'node:worker_threads';
const { userCallSite, laterUserCallSite } = await import(workerData.callSite);
if (workerData.maps) process.setSourceMapsEnabled(true);
const { cases } = await import(workerData.job);
const node = Error.prepareStackTrace;
const out = {};
for (const [name, run] of Object.entries(cases)) {
  const fast = await run(userCallSite);
  Error.prepareStackTrace = (e, t) => node(e, t);
  let reference;
  try {
    reference = await run(userCallSite);
  } finally {
    Error.prepareStackTrace = node;
  }
  out[name] = { fast, reference };
}
Error.prepareStackTrace = () => 'Error\\n    at fromOwnFormatter (/custom/place.ts:7:9)';
try {
  out.ownFormatter = { fast: cases.plain(userCallSite) };
} finally {
  Error.prepareStackTrace = node;
}
// laterUserCallSite: each stack taken now, read after all were taken; the reference read while the formatter that
// only calls Node's is installed (the stack formatted whole by Node, then searched, as it always was).
const later = {};
for (const [name, run] of Object.entries(cases)) later[name] = { fast: await run(laterUserCallSite), reference: await run(laterUserCallSite) };
const takenBeforeOwn = cases.plain(laterUserCallSite);
for (const [name, { fast, reference }] of Object.entries(later)) {
  const fastSite = fast();
  // The read put Node's formatter back: a stack made now is text.
  const restored = Error.prepareStackTrace === node && typeof new Error().stack === 'string';
  Error.prepareStackTrace = (e, t) => node(e, t);
  let referenceSite;
  try {
    referenceSite = reference();
  } finally {
    Error.prepareStackTrace = node;
  }
  out['later ' + name] = { fast: fastSite, reference: referenceSite, again: fast(), restored };
}
// A formatter installed after the stack was taken and before it is read is the one whose text it gives (V8
// formats a stack when it is first read).
Error.prepareStackTrace = () => 'Error\\n    at fromOwnFormatter (/custom/place.ts:7:9)';
try {
  out['later ownFormatter'] = { fast: takenBeforeOwn() };
} finally {
  Error.prepareStackTrace = node;
}
parentPort.postMessage(out);
`;

type Sites = Record<string, { fast: string; reference?: string; again?: string; restored?: boolean }>;

/** Every case read both ways gave the reference's place (and a later call site read twice, the same). */
function sameAsReference(sites: Sites): void {
  const compared = Object.entries(sites).filter(([, s]) => s.reference !== undefined);
  assert.equal(compared.length, 18, 'nine cases, each taken by userCallSite and by laterUserCallSite');
  for (const [name, { fast, reference, again, restored }] of compared) {
    assert.equal(fast, reference, name);
    if (!name.startsWith('later ')) continue;
    assert.equal(again, fast, `${name}, read again`);
    assert.equal(restored, true, `${name}: Node's formatter installed again after the read`);
  }
}

async function sitesIn(dir: string, maps: boolean): Promise<Sites> {
  const worker = new Worker(pathToFileURL(path.join(dir, 'thread.mjs')), {
    workerData: { maps, job: pathToFileURL(path.join(dir, 'job.mjs')).href, callSite: new URL('../../src/closure/call-site.js', import.meta.url).href },
  });
  try {
    return await new Promise<Sites>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the thread did not answer in 60 s')), 60_000);
      worker.once('message', (m: Sites) => (clearTimeout(timer), resolve(m)));
      worker.once('error', (e) => (clearTimeout(timer), reject(e)));
    });
  } finally {
    await worker.terminate();
  }
}

describe('userCallSite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-call-site-'));
  const mappings = JOB.map((_l, i) => `AA${vlq(i === 0 ? LINE_OFFSET : 1)}A`).join(';');
  const map = { version: 3, file: 'job.mjs', sources: ['job.ts'], names: [], mappings };
  fs.writeFileSync(path.join(dir, 'job.mjs'), `${JOB.join('\n')}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
  fs.writeFileSync(path.join(dir, 'thread.mjs'), THREAD);
  const line = (start: string): number => JOB.findIndex((l) => l.startsWith(start)) + 1;
  const caseLine: Record<string, number> = {
    plain: line('  plain:'),
    constructed: line('  constructed:'),
    afterAwait: line('  afterAwait:'),
    evaluated: line('  evaluated:'),
    method: line('  method:'),
    oddName: line('  oddName:'),
    asyncCaller: line('  asyncCaller:'),
    deep60: line('const nest ='),
  };

  test('with source maps on: each frame kind gives the place the whole formatted stack gave, the map applied', async () => {
    const sites = await sitesIn(dir, true);
    sameAsReference(sites);
    const ts = path.join(dir, 'job.ts');
    for (const prefix of ['', 'later ']) {
      for (const [name, at] of Object.entries(caseLine)) {
        if (name === 'oddName') continue;
        assert.equal(sites[prefix + name]!.fast, `${ts}:${at - 1 + LINE_OFFSET + 1}:1`, prefix + name);
      }
      // A function named with a line break splits its frame into two lines of the formatted stack; the first, a place in parentheses, was taken.
      assert.equal(sites[prefix + 'oddName']!.fast, '/odd/place.ts:1:2');
      // The last of the frames V8 keeps (62 under userCallSite, 64 with its own two) is the program's: found; one more eval frame hides it.
      assert.equal(sites[prefix + 'deep61']!.fast, '<unknown>');
      assert.equal(sites[prefix + 'ownFormatter']!.fast, '/custom/place.ts:7:9');
    }
  });

  test('with source maps off: the same, as V8 writes the frames', async () => {
    const sites = await sitesIn(dir, false);
    sameAsReference(sites);
    const js = path.join(dir, 'job.mjs');
    for (const prefix of ['', 'later ']) {
      for (const [name, at] of Object.entries(caseLine)) {
        if (name === 'oddName') continue;
        const col = name === 'deep60' ? JOB[at - 1]!.indexOf('nestEval(') + 1 : name === 'asyncCaller' ? JOB[at - 1]!.indexOf('await inEval(') + 1 : undefined;
        if (col !== undefined) assert.equal(sites[prefix + name]!.fast, `${js}:${at}:${col}`, prefix + name);
        else assert.match(sites[prefix + name]!.fast, new RegExp(`^${js.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${at}:\\d+$`), prefix + name);
      }
      assert.equal(sites[prefix + 'deep61']!.fast, '<unknown>');
      assert.equal(sites[prefix + 'oddName']!.fast, '/odd/place.ts:1:2');
      assert.equal(sites[prefix + 'ownFormatter']!.fast, '/custom/place.ts:7:9');
    }
  });

  test("loading the module leaves the process's stack settings as they were (it reads its own file from V8's frames)", async () => {
    const url = new URL('../../src/closure/call-site.js', import.meta.url).href;
    const code = `const { parentPort } = require('node:worker_threads');
const prepare = Error.prepareStackTrace, limit = Error.stackTraceLimit;
import(${JSON.stringify(url)}).then((m) => parentPort.postMessage({ limit: Error.stackTraceLimit, before: limit, same: Error.prepareStackTrace === prepare, site: m.userCallSite() }));`;
    const worker = new Worker(code, { eval: true });
    try {
      const got = await new Promise<{ limit: number; before: number; same: boolean; site: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      // Node's default limit is 10; the module sets 1 while it reads its frame.
      assert.deepEqual({ limit: got.limit, before: got.before, same: got.same }, { limit: 10, before: 10, same: true });
      assert.equal(typeof got.site, 'string');
    } finally {
      await worker.terminate();
    }
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));
});
