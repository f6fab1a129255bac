// The baseline of bench/wordcount.js, in a process of its own (so it neither stalls nor
// shares a heap with the driver the bench keeps running): the fastest single-thread JS
// word count we know for the same work — the file read in 1 MiB chunks, each decoded in
// 64 KiB pieces, split into lines, words counted in a Map — or (`whole`) the same loop over
// the file read whole, the check that reading in chunks costs nothing. The pieces: a string
// of 128 KiB or more is a V8 large object (pages of its own, freed only by a full
// collection), so decoding and splitting 1 MiB at once costs ~30% more CPU than the same
// bytes in 64 KiB pieces (`chunked1m` keeps that older loop, for comparison). Prints one BENCH line per run: the time and the
// result's digest (sha256 of the sorted `word<TAB>count` lines).
//
//   node bench/wordcount-baseline.js FILE chunked|chunked1m|whole [runs=1]
import crypto from 'node:crypto';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const [file, mode = 'chunked', runs = '1'] = process.argv.slice(2);

/** Count the words of `text` (whole lines, '\n'-separated) into `counts`. */
function countLines(text, counts) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0) continue;
    const words = line.split(' ');
    for (let j = 0; j < words.length; j++) {
      const w = words[j];
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
}

function chunked(piece = 1 << 16) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  const dec = new StringDecoder('utf8');
  const counts = new Map();
  let rest = '';
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    for (let at = 0; at < n; at += piece) {
      const text = rest + dec.write(buf.subarray(at, Math.min(n, at + piece)));
      const cut = text.lastIndexOf('\n');
      countLines(text.slice(0, cut + 1), counts);
      rest = text.slice(cut + 1);
    }
  }
  fs.closeSync(fd);
  countLines(rest + dec.end(), counts);
  return counts;
}

function whole() {
  const counts = new Map();
  countLines(fs.readFileSync(file, 'utf8'), counts);
  return counts;
}

for (let i = 0; i < Number(runs); i++) {
  const t0 = performance.now();
  const counts = mode === 'whole' ? whole() : mode === 'chunked1m' ? chunked(1 << 20) : chunked();
  const ms = performance.now() - t0;
  const entries = [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = crypto.createHash('sha256');
  let words = 0;
  for (const [w, n] of entries) {
    words += n;
    h.update(`${w}\t${n}\n`);
  }
  console.log('BENCH ' + JSON.stringify({ ms, distinct: entries.length, words, digest: h.digest('hex') }));
}
