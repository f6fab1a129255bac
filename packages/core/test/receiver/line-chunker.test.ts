import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineChunker, type LineRun } from '../../src/receiver/line-chunker.js';
import { emitLines, encodeLineBlock, isLineBlock } from '../../src/receiver/line-block.js';
import { encodeRecords } from '../../src/codec/codec.js';
import { mulberry32 } from '../support/prng.js';

/** The lines of the runs, read back as a task reads them: the runs of `perBlock` pushes make one line block. */
function readBack(runs: readonly LineRun[], perBlock: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < runs.length; i += perBlock) {
    const group = runs.slice(i, i + perBlock);
    const block = encodeLineBlock(group.flatMap((r) => r.parts), group.reduce((a, r) => a + r.bytes, 0));
    assert.ok(isLineBlock(block));
    const before = lines.length;
    emitLines(block, (l) => lines.push(l));
    assert.equal(lines.length - before, group.reduce((a, r) => a + r.lines, 0), 'a block holds as many lines as its runs counted');
  }
  return lines;
}

/**
 * Feed `chunks` and the end of stream to a LineChunker; returns the lines read back from
 * blocks of one push each and from one block of all pushes (which must agree), and the too-long reports.
 */
function split(chunks: readonly Buffer[], max = 1 << 20): { lines: string[]; tooLong: [number, boolean][] } {
  const tooLong: [number, boolean][] = [];
  const s = new LineChunker(max, (n, complete) => tooLong.push([n, complete]));
  const runs = chunks.map((c) => s.push(c));
  runs.push(s.end());
  const lines = readBack(runs, 1);
  assert.deepEqual(readBack(runs, runs.length), lines, 'one block of every push reads the same lines as a block per push');
  return { lines, tooLong };
}

// Multi-byte characters of 2, 3 and 4 bytes, CRLF and LF endings, an empty line, no final newline.
const TEXT = 'héllo wörld\r\n日本語のテキスト\n\n𝄞 clef 🎉\r\nplain ascii\nend 日';
const EXPECTED = ['héllo wörld', '日本語のテキスト', '', '𝄞 clef 🎉', 'plain ascii', 'end 日'];

test('every split of the input into two chunks, at every byte position, gives the same lines', () => {
  const bytes = Buffer.from(TEXT, 'utf8');
  for (let i = 0; i <= bytes.length; i++) {
    const { lines } = split([bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(lines, EXPECTED, `split at byte ${i}`);
  }
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) {
      const { lines } = split([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
      assert.deepEqual(lines, EXPECTED, `split at bytes ${i} and ${j}`);
    }
  }
});

test('one byte per chunk, and random chunkings of random lines, give the lines sent', () => {
  const bytes = Buffer.from(TEXT, 'utf8');
  assert.deepEqual(split([...bytes].map((b) => Buffer.from([b]))).lines, EXPECTED);
  const rand = mulberry32(7);
  const alphabet = ['a', 'z', ' ', 'é', '€', '日', '𝄞', '\r'];
  for (let round = 0; round < 50; round++) {
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      let l = '';
      const n = Math.floor(rand() * 30);
      for (let k = 0; k < n; k++) l += alphabet[Math.floor(rand() * alphabet.length)];
      sent.push(l.replace(/\r$/, 'x'));
    }
    const crlf = rand() < 0.5;
    const whole = Buffer.from(sent.join(crlf ? '\r\n' : '\n') + '\n', 'utf8');
    const chunks: Buffer[] = [];
    for (let at = 0; at < whole.length; ) {
      const n = 1 + Math.floor(rand() * 20);
      chunks.push(whole.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(split(chunks).lines, sent, `round ${round}`);
  }
});

test('a line over the maximum is skipped and reported once; the lines around it come through', () => {
  const max = 10;
  const input = Buffer.from(['ok-1', 'x'.repeat(10), 'y'.repeat(11), 'z'.repeat(10) + '\r', 'w'.repeat(40), 'ok-2'].join('\n') + '\n');
  for (const size of [1, 3, 7, 64]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < input.length; at += size) chunks.push(input.subarray(at, at + size));
    const { lines, tooLong } = split(chunks, max);
    assert.deepEqual(lines, ['ok-1', 'x'.repeat(10), 'z'.repeat(10), 'ok-2'], `chunks of ${size}`);
    assert.equal(tooLong.length, 2, `two lines reported (chunks of ${size}): ${JSON.stringify(tooLong)}`);
    for (const [n] of tooLong) assert.ok(n > max, `reported size ${n} is over the maximum`);
  }
  // Seen whole in one chunk, the exact size is reported.
  assert.deepEqual(split([input], max).tooLong, [
    [11, true],
    [40, true],
  ]);
});

test('the rest of a line found too long mid-way is dropped up to its newline', () => {
  const max = 1000;
  const s = new LineChunker(max, () => undefined);
  const big = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 100; i++) assert.equal(s.push(big).lines, 0);
  const run = s.push(Buffer.from('tail\nnext\n'));
  assert.deepEqual(readBack([run], 1), ['next']);
  assert.equal(s.end().lines, 0);
});

test('a line block is told apart from a block of records, and take picks lines by index', () => {
  assert.equal(isLineBlock(encodeRecords(['a', 'b'])), false);
  assert.equal(isLineBlock(encodeRecords([])), false);
  const block = encodeLineBlock([Buffer.from('l0\nl1\r\nl2\n'), Buffer.from('l3\nl4\n')], 16);
  const got: string[] = [];
  emitLines(block, (l) => got.push(l), [
    [1, 2],
    [3, 9],
  ]);
  assert.deepEqual(got, ['l1', 'l3', 'l4']);
});
