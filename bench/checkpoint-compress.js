// Checkpoint compression benchmark (not a test): one RDD checkpoint part (core's
// checkpoint-part.ts, what rdd.checkpoint writes a partition as, a stream's state checkpoints
// among them) of `records` records [i % 40, [i, text]] (~45 bytes of text, as
// checkpoint-compress.test.ts checkpoints), written and read plain and with
// spark.checkpoint.compress (an LZ4 frame of the records' v8 encoding), in this thread.
// Reported: the part's bytes, and the median CPU time of writing and of reading it (of `rounds`
// rounds of 20 each).
//
//   node bench/checkpoint-compress.js [records=5000] [rounds=5]
import { encodeCheckpointPart } from '../packages/core/dist/src/checkpoint/checkpoint-part.js';
import { decodeCheckpointPart } from '../packages/core/dist/src/internal.js';
import { median } from './bench-support.js';

const n = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 5);
const part = Array.from({ length: n }, (_, i) => [i % 40, [i, `word${i % 50} the quick brown fox jumps over the lazy dog`]]);
const cpuMs = (f) => {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < 20; k++) f();
    const c = process.cpuUsage(c0);
    times.push((c.user + c.system) / 1000 / 20);
  }
  return median(times);
};
for (const compress of [false, true]) {
  const bytes = encodeCheckpointPart(part, compress);
  const write = cpuMs(() => encodeCheckpointPart(part, compress));
  const read = cpuMs(() => decodeCheckpointPart(bytes));
  console.log(`${compress ? 'compressed' : 'plain     '}: ${bytes.length} bytes, write ${write.toFixed(2)} ms, read ${read.toFixed(2)} ms (CPU, median of ${rounds} x 20)`);
}
