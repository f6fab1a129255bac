// The shuffle's per-segment parts in one process (not a test), checkouts alternated, for
// figures a loaded machine cannot blur much (CPU of this process; run it under
// `valgrind --tool=callgrind` for instruction counts):
//   read    IndexShuffleBlockResolver.read of every reduce partition of M in-memory map
//           outputs of R partitions (one compact [k, m] record a segment), as a worker's
//           main thread reads them for its reduce tasks and its peers;
//   readcold the same with 32 MB touched between requests (out of the CPU time counted), as
//           a worker's other work does between them: the map outputs' lines are no longer
//           cached when a request comes;
//   frames  encodeRun of M map tasks' R one-pair partitions, then decodeShuffleFrames of them
//           (the task threads' map and reduce sides; the pairs are made in the loop);
//   checked the same as a worker does it: encodeRun with checksums on (spark.shuffle.checksum.enabled,
//           Sluice's default; a checkout before them ignores the argument), shuffleFramesProblem
//           of each map output's frames (the reader's check; checksums verified), then decodeShuffleFrames.
//
//   node bench/shuffle-parts.js [read|readcold|frames|checked] [M=1000] [R=2000] [rounds=6] [checkout ...]
// A checkout is a built clone of this repository (bash scripts/setup.sh); default: this one.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [kind = 'read', M = 1000, R = 2000, rounds = 6] = process.argv.slice(2, 6).map((x, i) => (i === 0 ? x : Number(x)));
const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const checkouts = process.argv.length > 6 ? process.argv.slice(6).map((c) => path.resolve(c)) : [here];
const imp = (c, p) => import(pathToFileURL(path.join(c, p)).href);
const cpuMs = (c0) => {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1000;
};

const setups = [];
const junk = new Uint8Array(32 << 20);
for (const c of checkouts) {
  const core = await imp(c, 'packages/core/dist/src/internal.js');
  if (kind === 'read' || kind === 'readcold') {
    const { IndexShuffleBlockResolver } = await imp(c, 'packages/worker/dist/src/shuffle/index-shuffle-block-resolver.js');
    const { BlockManager } = await imp(c, 'packages/worker/dist/src/storage/block-manager.js');
    const { pino } = createRequire(path.join(c, 'packages/worker/package.json'))('pino');
    const blocks = new BlockManager({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'shuffle-parts-')), memoryLimit: 4e9, log: pino({ level: 'silent' }) });
    const resolver = new IndexShuffleBlockResolver(blocks);
    const parts = Int32Array.from({ length: R }, (_, k) => k);
    for (let m = 0; m < M; m++) {
      const run = core.encodeRun(Array.from({ length: R }, (_, k) => [k, m]), parts, R, R);
      const w = new core.MapOutputWriter(R);
      w.addRun(run);
      const out = w.finish();
      resolver.commit('j', 1, m, out.index, out.data);
    }
    setups.push({ c, blocks, run: () => {
      const maps = Int32Array.from({ length: M }, (_, i) => i);
      let bytes = 0;
      if (kind === 'read') {
        for (let r = 0; r < R; r++) bytes += resolver.read('j', 1, r, maps).data.length;
        return `${bytes} bytes`;
      }
      // The flush's own CPU is left out: only the reads' is returned (the caller's figure is replaced).
      let readMs = 0;
      for (let r = 0; r < R; r++) {
        for (let i = 0; i < junk.length; i += 64) junk[i]++;
        const c0 = process.cpuUsage();
        bytes += resolver.read('j', 1, r, maps).data.length;
        readMs += cpuMs(c0);
      }
      return { readMs, what: `${bytes} bytes, cache flushed between requests` };
    } });
  } else {
    const parts = Int32Array.from({ length: R }, (_, k) => k);
    setups.push({ c, run: () => {
      const c0 = process.cpuUsage();
      const outs = [];
      const checked = kind === 'checked';
      for (let m = 0; m < M; m++) outs.push(core.encodeRun(Array.from({ length: R }, (_, k) => [k, m]), parts, R, R, false, checked).data);
      const enc = cpuMs(c0);
      let n = 0;
      for (const d of outs) {
        if (checked && core.shuffleFramesProblem(d, true) !== undefined) throw new Error(`${c}: a map output does not check`);
        const out = [];
        core.decodeShuffleFrames(d, out);
        n += out.length;
      }
      return `encode ${enc.toFixed(0)} ms, decode ${(cpuMs(c0) - enc).toFixed(0)} ms, ${outs.reduce((a, d) => a + d.length, 0)} bytes, ${n} records`;
    } });
  }
}
console.log(`shuffle parts: ${kind}, ${M} map outputs x ${R} reduce partitions, ${rounds} rounds, load ${os.loadavg()[0].toFixed(1)}`);
for (let round = 0; round < rounds; round++) {
  for (const s of setups) {
    const c0 = process.cpuUsage();
    const got = s.run();
    const ms = typeof got === 'string' ? cpuMs(c0) : got.readMs;
    const what = typeof got === 'string' ? got : got.what;
    console.log(`  round ${round + 1} ${s.c}: ${ms.toFixed(0)} ms CPU, ${((1e6 * ms) / (M * R)).toFixed(0)} ns a segment (${what})`);
  }
}
for (const s of setups) s.blocks?.close();
