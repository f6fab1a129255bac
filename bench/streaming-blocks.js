// Received-block benchmark (not a test): the CPU a worker spends per received text line,
// in one process, on the two ways a block of lines can go from socket chunks to a task's
// records (100-byte lines over a 1,000-word vocabulary, 64 KiB chunks, blocks of 20,000 lines):
//   records: a string per line cut from each chunk, v8 serialize of the block's strings on
//            the receiver, v8 deserialize in the task (what socketTextStream did before, and
//            what a receiver's store(strings) does);
//   lines:   the chunks cut at line ends without decoding (LineChunker), one copy into a line
//            block, decoded once and cut in the task (what socketTextStream does now).
// Prints CPU ns per line (process.cpuUsage, user + system) on each side, median of rounds
// alternated A B A B, and the word count of the task side to check both read the same lines.
//
//   node bench/streaming-blocks.js [rounds=5] [lines=400000]
import v8 from 'node:v8';
import { LineChunker, emitLines, encodeLineBlock } from '../packages/core/dist/src/internal.js';
import { makeLines } from './lines.js';
import { median } from './bench-support.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const LINES = Number(process.argv[3] ?? 400_000);
const BLOCK_LINES = 20_000;

const text = makeLines(LINES);
const chunks = [];
for (let at = 0; at < text.length; at += 65536) chunks.push(Buffer.from(text.subarray(at, at + 65536)));

const cpu = (f) => {
  const c0 = process.cpuUsage();
  const out = f();
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, out };
};

/** The task's side: the words of every line counted (the bench job's map side). */
function count(emitAll) {
  const counts = new Map();
  let lines = 0;
  emitAll((line) => {
    lines++;
    for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  });
  return { lines, words: [...counts.values()].reduce((a, b) => a + b, 0) };
}

function recordsWay() {
  const receive = cpu(() => {
    const blocks = [];
    let block = [];
    let rest = [];
    for (const chunk of chunks) {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const line = rest.length ? Buffer.concat([...rest, chunk.subarray(start, nl)]).toString('utf8') : chunk.toString('utf8', start, nl);
        rest = [];
        block.push(line);
        if (block.length === BLOCK_LINES) {
          blocks.push(v8.serialize(block));
          block = [];
        }
        start = nl + 1;
      }
      if (start < chunk.length) rest.push(chunk.subarray(start));
    }
    if (block.length) blocks.push(v8.serialize(block));
    return blocks;
  });
  const read = cpu(() => {
    let n = 0;
    for (const b of receive.out) n += v8.deserialize(b).length;
    return n;
  });
  const check = count((emit) => {
    for (const b of receive.out) for (const l of v8.deserialize(b)) emit(l);
  });
  return { receiveMs: receive.ms, readMs: read.ms, check };
}

function linesWay() {
  const receive = cpu(() => {
    const chunker = new LineChunker(1 << 20, () => undefined);
    const blocks = [];
    let parts = [];
    let bytes = 0;
    let lines = 0;
    for (const chunk of chunks) {
      const run = chunker.push(chunk);
      for (const p of run.parts) parts.push(p);
      bytes += run.bytes;
      lines += run.lines;
      if (lines >= BLOCK_LINES) {
        blocks.push(encodeLineBlock(parts, bytes));
        parts = [];
        bytes = 0;
        lines = 0;
      }
    }
    if (lines) blocks.push(encodeLineBlock(parts, bytes));
    return blocks;
  });
  const read = cpu(() => {
    let n = 0;
    for (const b of receive.out) emitLines(b, () => void n++);
    return n;
  });
  const check = count((emit) => {
    for (const b of receive.out) emitLines(b, emit);
  });
  return { receiveMs: receive.ms, readMs: read.ms, check };
}

const results = { records: [], lines: [] };
for (let r = 0; r < ROUNDS; r++) {
  results.records.push(recordsWay());
  results.lines.push(linesWay());
}
const a = results.records[0].check;
const b = results.lines[0].check;
if (a.lines !== LINES || b.lines !== LINES || a.words !== b.words) throw new Error(`the two ways read different lines: ${JSON.stringify({ a, b })}`);
console.log(`received text lines, ${LINES.toLocaleString('en-US')} lines of 100 bytes in 64 KiB chunks, blocks of ${BLOCK_LINES.toLocaleString('en-US')} lines; CPU ns per line, median of ${ROUNDS} alternated rounds`);
for (const [name, rs] of Object.entries(results)) {
  const rec = median(rs.map((x) => (x.receiveMs * 1e6) / LINES));
  const rd = median(rs.map((x) => (x.readMs * 1e6) / LINES));
  console.log(`  ${name.padEnd(8)} receiver ${rec.toFixed(0).padStart(5)} ns/line, task read ${rd.toFixed(0).padStart(5)} ns/line, both ${(rec + rd).toFixed(0).padStart(5)} ns/line`);
}
console.log(`(both ways read ${LINES.toLocaleString('en-US')} lines and ${a.words.toLocaleString('en-US')} words)`);
