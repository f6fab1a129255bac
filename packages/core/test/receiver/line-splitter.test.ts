import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from '../../src/receiver/line-splitter.js';
import { mulberry32 } from '../support/prng.js';

/** Feed `chunks` and the end of stream; returns the lines and the too-long reports. */
function split(chunks: readonly Buffer[], max = 1 << 20): { lines: string[]; tooLong: [number, boolean][] } {
  const tooLong: [number, boolean][] = [];
  const s = new LineSplitter(max, (n, complete) => tooLong.push([n, complete]));
  const lines: string[] = [];
  for (const c of chunks) lines.push(...s.push(c));
  const last = s.end();
  if (last !== undefined) lines.push(last);
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
  const s = new LineSplitter(max, () => undefined);
  const big = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 100; i++) assert.deepEqual(s.push(big), []);
  assert.deepEqual(s.push(Buffer.from('tail\nnext\n')), ['next']);
  assert.equal(s.end(), undefined);
});
