import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINE_BLOCK_MAGIC, LINE_PIECE_BYTES, emitLinePieces, emitLines, encodeLineBlock, linePieces } from '../../src/receiver/line-block.js';
import { mulberry32 } from '../support/prng.js';

const WORDS = ['a', 'bé', 'ça', '日本', '語', '𝄞', '🎉x', 'plain', 'wörd', '€uro'];

/**
 * Seeded lines of every length that matters around a piece's edge: empty ones, short ones,
 * ones of about a piece, and ones longer than a piece (alone in their own), with 2-, 3- and
 * 4-byte characters; each ends '\n' or '\r\n'. Returns the block's text and its lines as
 * a reader must give them (an independent cut of the text: split on '\n', '\r' dropped).
 */
function seededText(seed: number, bytes: number, shortOnly = false): { text: string; lines: string[] } {
  const rand = mulberry32(seed);
  const lines: string[] = [];
  let text = '';
  let size = 0;
  while (size < bytes) {
    const kind = shortOnly ? rand() * 0.8 : rand();
    const target = kind < 0.1 ? 0 : kind < 0.8 ? Math.floor(rand() * 200) : kind < 0.95 ? LINE_PIECE_BYTES - 40 + Math.floor(rand() * 80) : LINE_PIECE_BYTES + Math.floor(rand() * 2 * LINE_PIECE_BYTES);
    const words: string[] = [];
    for (let b = 0; b < target; ) {
      const w = WORDS[Math.floor(rand() * WORDS.length)];
      words.push(w);
      b += Buffer.byteLength(w) + 1;
    }
    const line = words.join(' ');
    const ending = rand() < 0.3 ? '\r\n' : '\n';
    text += line + ending;
    size += Buffer.byteLength(line) + ending.length;
    lines.push(line);
  }
  return { text, lines };
}

/** `block` cut at `cuts` random byte positions (inside the magic and inside characters too), as a replica may store it. */
function segmentsOf(block: Buffer, cuts: number, rand: () => number): Buffer[] {
  const at = [...new Set(Array.from({ length: cuts }, () => Math.floor(rand() * block.length)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, block.length]) {
    out.push(block.subarray(from, c));
    from = c;
  }
  return out;
}

test('a line block several pieces long reads every line once, in order, whole or from pieces, in one segment or many', () => {
  for (const seed of [1, 2, 3, 4]) {
    const { text, lines } = seededText(seed, 6 * LINE_PIECE_BYTES);
    const body = Buffer.from(text, 'utf8');
    const block = encodeLineBlock([body], body.length);
    const whole: string[] = [];
    emitLines(block, (l) => whole.push(l));
    assert.deepEqual(whole, lines, `seed ${seed}: emitLines`);

    const rand = mulberry32(seed * 7);
    for (const segments of [[block], segmentsOf(block, 1 + Math.floor(rand() * 12), rand)]) {
      const pieces = linePieces(segments);
      assert.ok(pieces.length > 3, `seed ${seed}: ${pieces.length} pieces`);
      assert.deepEqual(Buffer.concat(pieces), body, `seed ${seed}: the pieces are the block's lines, back to back, without the magic`);
      for (const p of pieces) {
        assert.equal(p[p.length - 1], 0x0a, 'a piece ends at a line end');
        assert.ok(p.length <= LINE_PIECE_BYTES || p.indexOf(0x0a) === p.length - 1, `a piece over ${LINE_PIECE_BYTES} bytes (${p.length}) is one line`);
        assert.ok(p.byteOffset === 0 && p.byteLength === p.buffer.byteLength, 'a piece owns its ArrayBuffer (it is moved to a task thread)');
      }
      const read: string[] = [];
      emitLinePieces(pieces, (l) => read.push(l));
      assert.deepEqual(read, lines, `seed ${seed}: emitLinePieces over ${segments.length} segment(s)`);
    }
    assert.equal(block.subarray(0, LINE_BLOCK_MAGIC.length).compare(LINE_BLOCK_MAGIC), 0, 'the stored block is left as it was');
  }
});

test("take's ranges pick lines by their index in the block, across pieces", () => {
  // Short lines only: thousands of them, hundreds to a piece.
  const { text, lines } = seededText(9, 5 * LINE_PIECE_BYTES, true);
  assert.ok(lines.length > 2000, `${lines.length} lines`);
  const body = Buffer.from(text, 'utf8');
  const block = encodeLineBlock([body], body.length);
  const rand = mulberry32(10);
  const take: [number, number][] = [];
  for (let from = 0; from < lines.length; ) {
    const to = Math.min(lines.length + 3, from + 1 + Math.floor(rand() * 10));
    take.push([from, to]);
    from = to + 1 + Math.floor(rand() * 10);
  }
  const expected = lines.filter((_, i) => take.some(([from, to]) => i >= from && i < to));
  const got: string[] = [];
  emitLines(block, (l) => got.push(l), take);
  assert.deepEqual(got, expected, 'emitLines');
  const fromPieces: string[] = [];
  emitLinePieces(linePieces([block]), (l) => fromPieces.push(l), take);
  assert.deepEqual(fromPieces, expected, 'emitLinePieces');
});

test('an empty line block has no lines and no pieces', () => {
  const block = encodeLineBlock([], 0);
  assert.deepEqual(linePieces([block]), []);
  const got: string[] = [];
  emitLines(block, (l) => got.push(l));
  emitLinePieces([], (l) => got.push(l));
  assert.deepEqual(got, []);
});
