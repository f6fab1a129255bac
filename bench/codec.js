// Record codec benchmark (not a test): encode + decode of record batches as they cross
// processes (shuffle segments of [word, count] pairs, text lines, small objects), with
// v8 serialize (what Sluice uses), msgpackr, and JSON (the baseline). Prints records/s
// and the ratio to JSON, measured in the same run.
//
//   node bench/codec.js
import v8 from 'node:v8';
import { Packr } from 'msgpackr';

const packr = new Packr({ structuredClone: true, moreTypes: true });
const codecs = {
  'v8 serialize': { encode: (x) => v8.serialize(x), decode: (b) => v8.deserialize(b) },
  msgpackr: { encode: (x) => packr.pack(x), decode: (b) => packr.unpack(b) },
  JSON: { encode: (x) => Buffer.from(JSON.stringify(x)), decode: (b) => JSON.parse(b.toString()) },
};

let seed = 3;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const word = () => 'w' + Math.floor(rand() * 50_000).toString(36);
const batches = {
  'pairs [word, count] x 100k': Array.from({ length: 100_000 }, () => [word(), Math.floor(rand() * 1000)]),
  'lines (100 bytes) x 50k': Array.from({ length: 50_000 }, () => Array.from({ length: 15 }, word).join(' ').padEnd(99, 'x').slice(0, 99)),
  'objects {sensor, value, ts} x 50k': Array.from({ length: 50_000 }, (_, i) => ({ sensor: `s-${i % 40}`, value: rand() * 100, ts: 1_700_000_000_000 + i })),
};

/** Median over 7 rounds of the mean time of `f` within a 250 ms round. */
function time(f) {
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 250) {
      f();
      n++;
    }
    rounds.push((performance.now() - t0) / n);
  }
  return rounds.sort((a, b) => a - b)[3];
}

for (const [name, records] of Object.entries(batches)) {
  console.log(name);
  const rows = {};
  for (const [codec, c] of Object.entries(codecs)) {
    const bytes = c.encode(records);
    const back = c.decode(bytes);
    if (JSON.stringify(back) !== JSON.stringify(records)) throw new Error(`${codec} does not round-trip ${name}`);
    const ms = time(() => c.decode(c.encode(records)));
    rows[codec] = { ms, size: bytes.length };
  }
  const best = Object.entries(rows).sort((a, b) => a[1].ms - b[1].ms)[0][0];
  for (const [codec, r] of Object.entries(rows)) {
    const rate = records.length / (r.ms / 1000);
    console.log(
      `  ${codec.padEnd(13)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} records/s encode+decode, ` +
        `${(r.size / 1e6).toFixed(2)} MB, ${(rows.JSON.ms / r.ms).toFixed(2)}x JSON${codec === best ? '  (fastest)' : ''}`,
    );
  }
}
