// The LZ4 block and frame codec: round trips over data of every kind (incompressible, one
// byte repeated, short, empty, past the 64 KiB window and the 4 MiB block, matches that
// overlap what they copy), the frames read and written by Debian's `lz4` command both ways
// (its own XXH32 checks ours), and damaged input refused with SLUICE_CORRUPT_DATA: never an
// out-of-bounds read, a hang, or other bytes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lz4CompressBlock, lz4DecompressBlock, lz4DecompressBlockInto } from '../../src/io/lz4-block.js';
import { lz4Frame, lz4Unframe } from '../../src/io/lz4-frame.js';
import { xxh32 } from '../../src/io/xxh32.js';
import { mulberry32 } from '../support/prng.js';

const rand = mulberry32(4242);
const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const here = path.dirname(fileURLToPath(import.meta.url));
/** Real data: this repository's source files (text, mostly compressible). */
const real = Buffer.concat(
  ['../../../src/io/lz4-block.ts', '../../../src/io/lz4-frame.ts', '../../../src/shuffle/shuffle-frame.ts', '../../../src/rdd/rdd.ts'].map((f) => fs.readFileSync(path.join(here, f))),
);

/** Data with long-range repeats: words from a small vocabulary, as shuffled records' keys are. */
function words(n: number): Uint8Array {
  const vocab = Array.from({ length: 500 }, (_, i) => `w${(i * 7919) % 10007}`);
  let s = '';
  while (s.length < n) s += `${vocab[Math.floor(rand() * vocab.length)]} `;
  return Buffer.from(s.slice(0, n));
}

const CASES: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', Uint8Array.of(7)],
  ['12 bytes (too short for a match)', Buffer.from('abcdabcdabcd')],
  ['13 bytes', Buffer.from('aaaaaaaaaaaaa')],
  ['short text', Buffer.from('the quick brown fox jumps over the lazy dog, the quick brown fox')],
  ['incompressible 100 KiB', random(100 << 10)],
  ['all-same 300 KiB', new Uint8Array(300 << 10).fill(0xab)],
  ['period 3 (matches overlapping their source)', Uint8Array.from({ length: 5000 }, (_, i) => [1, 2, 3][i % 3])],
  ['period 17 then random', Buffer.concat([Uint8Array.from({ length: 4000 }, (_, i) => i % 17), random(3000)])],
  ['repeat 70 KiB apart (past the 64 KiB window)', (() => { const r = random(1000); return Buffer.concat([r, new Uint8Array(70 << 10), r]); })()],
  ['real source text', real],
  ['words 5 MiB (past a 4 MiB block)', words(5 << 20)],
];

for (const [name, data] of CASES) {
  test(`LZ4 round trip: ${name}`, () => {
    const block = lz4CompressBlock(data);
    assert.deepEqual(Buffer.from(lz4DecompressBlock(block, data.length)), Buffer.from(data));
    const frame = lz4Frame(data);
    assert.deepEqual(Buffer.from(lz4Unframe(frame)), Buffer.from(data));
    const bare = lz4Frame(data, { blockChecksum: false, contentChecksum: false });
    assert.deepEqual(Buffer.from(lz4Unframe(bare)), Buffer.from(data));
  });
}

test('compressible data shrinks, incompressible data grows by no more than its frame', () => {
  assert.ok(lz4Frame(new Uint8Array(300 << 10)).length < 2000);
  assert.ok(lz4Frame(real).length < real.length * 0.6, `source text to ${lz4Frame(real).length} of ${real.length}`);
  const r = random(100 << 10);
  assert.ok(lz4Frame(r).length <= r.length + 15 + 8 + 8, 'an incompressible block is stored as it is');
});

test('XXH32 matches its published values', () => {
  // The empty input with seed 0, and "abc" (xxHash's README and sanity tests).
  assert.equal(xxh32(new Uint8Array(0)), 0x02cc5d05);
  assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff);
});

const lz4Cli = spawnSync('lz4', ['--version'], { encoding: 'utf8' });
const cliNote = 'Debian\'s lz4 command (apt-get install lz4; scripts/test.sh installs it)';

test('frames written here are read by the lz4 command, and its frames are read here', () => {
  assert.equal(lz4Cli.error, undefined, `${cliNote} is needed: ${String(lz4Cli.error)}`);
  for (const [name, data] of CASES) {
    const out = spawnSync('lz4', ['-d', '-c'], { input: lz4Frame(data), maxBuffer: 64 << 20 });
    assert.equal(out.status, 0, `lz4 -d of ${name}: ${String(out.stderr)}`);
    assert.ok(Buffer.from(data).equals(out.stdout), `lz4 -d of ${name} gives the data back`);
    // Its default (independent 4 MiB blocks, content checksum), linked 64 KiB blocks with block checksums, and -9's best compression.
    for (const args of [[], ['-BD', '-B4', '-BX'], ['-9', '--content-size']]) {
      const packed = spawnSync('lz4', ['-c', ...args], { input: data, maxBuffer: 64 << 20 });
      assert.equal(packed.status, 0, `lz4 ${args.join(' ')} of ${name}: ${String(packed.stderr)}`);
      assert.ok(Buffer.from(lz4Unframe(packed.stdout)).equals(Buffer.from(data)), `lz4 ${args.join(' ')}'s frame of ${name} read here`);
    }
  }
});

test('a damaged block or frame is refused with SLUICE_CORRUPT_DATA, never read past its bounds', () => {
  const isCorrupt = (e: unknown): boolean => (e as { code?: string }).code === 'SLUICE_CORRUPT_DATA' && /corrupt LZ4/.test((e as Error).message);
  const data = words(200 << 10);
  const block = lz4CompressBlock(data);
  // Cut anywhere, or a byte flipped anywhere: an error, or (a flipped literal) other bytes of the right size: the frame's checksums catch those.
  for (let i = 0; i < 400; i++) {
    const cut = Math.floor(rand() * block.length);
    assert.throws(() => lz4DecompressBlock(block.subarray(0, cut), data.length), isCorrupt);
  }
  const frame = lz4Frame(data);
  for (let i = 0; i < 400; i++) {
    const at = Math.floor(rand() * frame.length);
    const bad = Uint8Array.from(frame);
    bad[at] ^= 1 + Math.floor(rand() * 255);
    assert.throws(() => lz4Unframe(bad), isCorrupt, `byte ${at} of ${frame.length} flipped`);
    assert.throws(() => lz4Unframe(frame.subarray(0, at)), isCorrupt, `cut at ${at}`);
  }
  // Hand-made bad blocks: an offset of 0, one reaching before the output, lengths past the end, more output than expected.
  assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x10, 65, 0, 0), 10), /offset of 0/);
  assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x10, 65, 2, 0, 0x00), 10), /reaches before the start/);
  assert.throws(() => lz4DecompressBlock(Uint8Array.of(0xf0, 255, 255), 10), /literal length runs past/);
  assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x50, 1, 2), 10), /run past the block/);
  assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x1f, 65, 1, 0, 255, 255, 255, 255, 10, 0x00), 100), /decodes past/);
  assert.throws(() => lz4DecompressBlock(new Uint8Array(0), 0), /empty/);
  // Random bytes, as a block and after a frame header: refused, and quickly.
  for (let i = 0; i < 2000; i++) {
    const junk = random(1 + Math.floor(rand() * 300));
    try {
      lz4DecompressBlock(junk, 1000);
    } catch (e) {
      assert.ok(isCorrupt(e), String(e));
    }
  }
  assert.throws(() => lz4Unframe(random(100)), isCorrupt);
  // A block decoded after others (an independent block of a frame) reaches back only within itself.
  const out = new Uint8Array(64).fill(9);
  assert.throws(() => lz4DecompressBlockInto(Uint8Array.of(0x10, 65, 5, 0, 0x00), 0, 5, out, 20, 64), /reaches before the start/);
  assert.equal(lz4DecompressBlockInto(Uint8Array.of(0x10, 65, 1, 0, 0x00), 0, 5, out, 20, 64), 25);
  assert.deepEqual([...out.subarray(19, 26)], [9, 65, 65, 65, 65, 65, 9]);
});

test("a frame's block checksums alone catch a damaged block (no content checksum)", () => {
  const data = random(3000); // stored as it is: a flipped byte still decodes
  const frame = lz4Frame(data, { contentChecksum: false });
  for (let at = 19; at < frame.length - 8; at += 97) { // the block's data (past the header and its size)
    const bad = Uint8Array.from(frame);
    bad[at] ^= 0x40;
    assert.throws(() => lz4Unframe(bad), /does not match its checksum/, `byte ${at} flipped`);
  }
});
