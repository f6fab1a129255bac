// A cached partition read back whole against in chunks (not a test): one partition of parsed log
// lines as bench/batch-actions-job.ts caches them (objects of 8 fields, 4 of them strings),
// encoded as before perf27 (encodeRecords: one v8 serialization) and as record-chunks.ts encodes
// it (RECORD_CHUNK records a chunk), each read back and emitted into a sum `reads` times, in a
// worker thread started with a task thread's resource limits in a process with the workers' GC
// flags (--single-threaded-gc), alternated. Prints per read the process's CPU time (the main
// thread waits), the thread's collections (PerformanceObserver 'gc': how many, how many full,
// their wall time, which on a busy machine includes waits), medians.
//
//   node --single-threaded-gc bench/cached-chunks.js [records=200000] [reads=5] [rounds=5]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './bench-support.js';

const self = fileURLToPath(import.meta.url);
if (isMainThread) {
  const RECORDS = Number(process.argv[2] ?? 200_000);
  const READS = Number(process.argv[3] ?? 5);
  const ROUNDS = Number(process.argv[4] ?? 5);
  const runs = { whole: [], chunks: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const how of ['whole', 'chunks']) {
      const w = new Worker(self, { workerData: { how, records: RECORDS, reads: READS } });
      const res = await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await w.terminate();
      runs[how].push(res);
      console.log(`round ${r + 1} ${how.padEnd(6)}: ${res.bytes} bytes, a read ${res.cpuMs.toFixed(1)} ms CPU, collections ${res.gcs.toFixed(1)} (${res.majors.toFixed(1)} full), their wall ${res.gcMs.toFixed(1)} ms (sum ${res.sum})`);
    }
  }
  const m = (how, k) => median(runs[how].map((x) => x[k]));
  console.log(`\n${RECORDS} records, medians of ${ROUNDS} rounds of ${READS} reads (per read):`);
  for (const how of ['whole', 'chunks']) console.log(`  ${how.padEnd(6)}: CPU ${m(how, 'cpuMs').toFixed(1)} ms, ${m(how, 'gcs').toFixed(1)} collections (${m(how, 'majors').toFixed(1)} full), their wall ${m(how, 'gcMs').toFixed(1)} ms`);
  console.log(`  chunks / whole: CPU ${(m('chunks', 'cpuMs') / m('whole', 'cpuMs')).toFixed(2)}`);
} else {
  const { encodeRecords } = await import('../packages/core/dist/src/codec/codec.js');
  const { encodeRecordChunks, readCachedChunks } = await import('../packages/core/dist/src/codec/record-chunks.js');
  const { how, records, reads } = workerData;
  const recs = [];
  for (let i = 0; i < records; i++) {
    recs.push({ ip: `10.${i % 4}.${(i * 7) % 256}.${(i * 13) % 256}`, uid: `u${(i * 31) % 20000}`, hour: i % 24, method: ['GET', 'POST', 'PUT'][i % 3], path: `/p/${i % 17}/item${i % 300}`, status: 200 + (i % 5), bytes: (i * 7919) % 50000, ms: 1 + (i % 900) });
  }
  const bytes = how === 'whole' ? encodeRecords(recs) : encodeRecordChunks(recs);
  recs.length = 0;
  let gcMs = 0;
  let gcs = 0;
  let majors = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcs++;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  let sum = 0;
  const emit = (r) => (sum += r.bytes);
  // One read not counted (V8 warms up), then `reads` reads.
  readCachedChunks(bytes, (rs) => rs.forEach(emit));
  await new Promise((r) => setTimeout(r, 10));
  gcMs = 0;
  gcs = 0;
  majors = 0;
  sum = 0;
  const c0 = process.cpuUsage();
  for (let k = 0; k < reads; k++) readCachedChunks(bytes, (rs) => { for (let i = 0; i < rs.length; i++) emit(rs[i]); });
  const c = process.cpuUsage(c0);
  await new Promise((r) => setTimeout(r, 10));
  obs.disconnect();
  parentPort.postMessage({ bytes: bytes.length, cpuMs: (c.user + c.system) / 1000 / reads, gcMs: gcMs / reads, gcs: gcs / reads, majors: majors / reads, sum });
}
