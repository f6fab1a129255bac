// What a local worker of `sluice run` reads on its standard input after the prestart's
// line: the driver's address, then the job's bundle as one line (local-bundle-line.ts),
// however the pipe cuts them into chunks. In-process, on a PassThrough stream.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { driverFromStdin } from '../src/driver-from-stdin.js';
import { bundleLine, parseBundleLine } from '../src/local-bundle-line.js';

const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');
/** A bundle-sized code of every byte value, and a map with non-ASCII text. */
const code = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
const given = { sha256: sha(code), code, sourceMap: '{"mappings":"AAAA","sourcesContent":["é — ✓"]}' };

test('a bundle line gives back the same bytes, map and sha256; a line that is not one is refused', () => {
  const line = bundleLine(given);
  assert.ok(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, 'one line');
  const back = parseBundleLine(line.slice(0, -1));
  assert.ok(back);
  assert.equal(back.sha256, given.sha256);
  assert.ok(Buffer.from(back.code).equals(code));
  assert.equal(back.sourceMap, given.sourceMap);
  assert.equal(parseBundleLine(bundleLine({ sha256: sha(Buffer.alloc(0)), code: Buffer.alloc(0), sourceMap: '' }).slice(0, -1))?.code.length, 0);
  for (const bad of ['', 'bundle', `bundle ${given.sha256}`, `bundle ${given.sha256} AAAA`, `bundle ${'z'.repeat(64)} AAAA AAAA`, `bundle ${given.sha256} AAAA AAAA more`, `other ${given.sha256} AAAA AAAA`]) {
    assert.equal(parseBundleLine(bad), undefined, bad.slice(0, 80));
  }
});

test('driverFromStdin: the address, then each whole line after it, whatever the chunks', async () => {
  const text = `127.0.0.1:7077\n${bundleLine(given)}second line\nthird`;
  // Cut at every 1 KiB, in single bytes around the newlines, and all in one chunk.
  const cuttings: number[][] = [[], Array.from({ length: Math.floor(text.length / 1024) }, (_, i) => (i + 1) * 1024)];
  const nls = [...text.matchAll(/\n/g)].map((m) => m.index);
  cuttings.push(nls.flatMap((i) => [i - 1, i, i + 1]));
  for (const cuts of cuttings) {
    const stdin = new PassThrough();
    const lines: string[] = [];
    const address = driverFromStdin(stdin, (l) => lines.push(l));
    let from = 0;
    for (const at of [...cuts, text.length]) {
      stdin.write(text.slice(from, at));
      from = at;
    }
    assert.equal(await address, '127.0.0.1:7077');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, 2, `cuts at ${cuts.length} places: ${lines.map((l) => l.slice(0, 20)).join(' | ')}`);
    assert.ok(Buffer.from(parseBundleLine(lines[0]!)!.code).equals(code));
    assert.equal(lines[1], 'second line', 'a line not ended stays unread');
    stdin.end();
  }
});

test('driverFromStdin without a line handler reads the address only; a bad address or an early end is SLUICE_BAD_ARGUMENT', async () => {
  const stdin = new PassThrough();
  const address = driverFromStdin(stdin);
  stdin.write('127.0.0.1:7077\nnot read\n');
  assert.equal(await address, '127.0.0.1:7077');
  assert.equal(stdin.listenerCount('data'), 0, 'it stopped reading');
  const bad = new PassThrough();
  const badAddress = driverFromStdin(bad, () => assert.fail('no line follows a bad address'));
  bad.write('not-an-address\n127.0.0.1:1\n');
  await assert.rejects(badAddress, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && /first line of standard input/.test(e.message));
  const early = new PassThrough();
  const none = driverFromStdin(early, () => undefined);
  early.end('127.0.0.1:70');
  await assert.rejects(none, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && /ended before/.test(e.message));
});

test('driverFromStdin passes over a line after the address longer than its limit without keeping it, and reads the next', async () => {
  for (const chunk of [1, 4, 1000]) {
    const stdin = new PassThrough();
    const lines: string[] = [];
    const address = driverFromStdin(stdin, (l) => lines.push(l), 10);
    const text = `127.0.0.1:7077\n${'x'.repeat(25)}\nshort\n${'y'.repeat(10)}\n`;
    for (let i = 0; i < text.length; i += chunk) stdin.write(text.slice(i, i + chunk));
    assert.equal(await address, '127.0.0.1:7077');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, ['short', 'y'.repeat(10)], `chunks of ${chunk}`);
    stdin.end();
  }
});
