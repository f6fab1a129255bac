// The driver's scan of a receiver write-ahead log segment (not a test): a 64 MiB segment of
// records of `sizes` bytes written with encodeWalRecord, scanned with scanWalSegment as the
// driver scans an ended writer's segments (since faults49 every record's CRC checked and the
// segment read whole, to skip past damage inside it), `rounds` times each; prints the median and
// the fastest scan and the process's RSS. Run after a build (tsc -b).
//
//   node bench/wal-scan.js [rounds=5] [sizes=1024,65536]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeWalRecord, scanWalSegment } from '@sluice/core/internal';
import { median } from './bench-support.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const SIZES = (process.argv[3] ?? '1024,65536').split(',').map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-scan-'));
try {
  for (const size of SIZES) {
    const file = path.join(dir, `w.${String(0).padStart(12, '0')}.wal`);
    const data = Buffer.alloc(size, 7);
    const parts = [];
    let total = 0;
    for (let i = 0; total < 64 << 20; i++) {
      const r = encodeWalRecord(`input_j_0_w_${i}`, 10, data, i * 10);
      parts.push(r);
      total += r.length;
    }
    fs.writeFileSync(file, Buffer.concat(parts));
    const ms = [];
    for (let k = 0; k < ROUNDS; k++) {
      const t = process.hrtime.bigint();
      const scan = await scanWalSegment(file, 0);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (scan.blocks.length !== parts.length) throw new Error(`scanned ${scan.blocks.length} of ${parts.length} records`);
    }
    console.log(`${size}-byte records: ${parts.length} records, ${(total / 1048576).toFixed(0)} MiB; scan median ${median(ms).toFixed(0)} ms, fastest ${Math.min(...ms).toFixed(0)} ms; rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
    fs.rmSync(file);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
