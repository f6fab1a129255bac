// Worker allocator benchmark (not a test): the CPU a worker process spends putting one
// received 6 MB line block (60,000 100-byte lines: a 200 ms block at 300,000 lines/s) into
// fresh memory, the way a block's bytes travel on the workers: copied into an ArrayBuffer of
// its own (the receiver cutting the block, encodeLineBlock), into a Buffer of its size
// (grpc-js framing the replica's message), joined from 64 KiB pieces (grpc-js assembling the
// message from HTTP/2 frames on the peer), and copied in 64 KiB pieces (a task's read,
// linePieces); each kept alive a while (blocks wait in the store) and then dropped. Each
// child process runs with an allocator environment, alternated A B C A B C: the workers'
// settings (WORKER_MALLOC_ENV of this checkout: large allocations mapped on their own, so
// each is fresh memory faulted in page by page), the same with transparent huge pages asked
// for (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`), and large blocks kept in malloc's heap
// (`MALLOC_MMAP_THRESHOLD_` 64 MiB, `MALLOC_TRIM_THRESHOLD_` 128 MiB: reused memory). Prints CPU ms (user + system) per block for each way, median of
// the rounds, with the load average. Each is what one block costs once; a replicated block
// pays the first three once each and the read once per task that reads it.
//
//   node bench/worker-malloc.js [rounds=5]
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './bench-support.js';

const self = fileURLToPath(import.meta.url);
const BLOCK = 60_000 * 100;
const BLOCKS = 40;
const LIVE = 10; // blocks alive at once, as a store holds a batch's blocks

function child() {
  const src = Buffer.alloc(BLOCK, 97);
  const ways = {
    'copied into an ArrayBuffer': () => {
      const b = new Uint8Array(new ArrayBuffer(256 + BLOCK));
      b.set(src, 256);
      return b;
    },
    'copied into a Buffer': () => {
      const b = Buffer.allocUnsafe(BLOCK + 5);
      src.copy(b, 5);
      return b;
    },
    'joined from 64 KiB pieces': () => {
      const parts = [];
      for (let o = 0; o < BLOCK; o += 65_536) parts.push(src.subarray(o, o + 65_536));
      return Buffer.concat(parts);
    },
    'copied in 64 KiB pieces': () => {
      const parts = [];
      for (let o = 0; o < BLOCK; o += 65_536) {
        const b = new Uint8Array(new ArrayBuffer(Math.min(65_536, BLOCK - o)));
        b.set(src.subarray(o, o + 65_536));
        parts.push(b);
      }
      return parts;
    },
  };
  const out = {};
  for (const [name, make] of Object.entries(ways)) {
    const live = [];
    for (let i = 0; i < LIVE; i++) live.push(make()); // warm: the store's steady state
    const u0 = process.cpuUsage();
    for (let i = 0; i < BLOCKS; i++) {
      live[i % LIVE] = make();
    }
    const u = process.cpuUsage(u0);
    out[name] = (u.user + u.system) / 1000 / BLOCKS;
  }
  process.send(out, () => process.exit(0));
}

function runChild(env) {
  return new Promise((resolve, reject) => {
    const c = fork(self, ['child'], { env, execArgv: [] });
    c.once('message', resolve);
    c.once('error', reject);
  });
}

async function main() {
  const rounds = Number(process.argv[2] ?? 5);
  const worker = await import('../packages/worker/dist/src/index.js');
  const workers = { ...process.env, ...worker.WORKER_MALLOC_ENV };
  const variants = [
    ['workers\' settings           ', workers],
    ['with glibc.malloc.hugetlb=1  ', { ...workers, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }],
    ['large blocks in the heap     ', { ...workers, MALLOC_MMAP_THRESHOLD_: String(64 << 20), MALLOC_TRIM_THRESHOLD_: String(128 << 20) }],
  ];
  console.log(`worker malloc settings: ${JSON.stringify(worker.WORKER_MALLOC_ENV)}`);
  const results = variants.map(() => []);
  const loads = [];
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < variants.length; v++) {
      results[v].push(await runChild(variants[v][1]));
      loads.push(os.loadavg()[0]);
    }
  }
  console.log(`CPU ms per 6 MB block into fresh memory, median of ${rounds} alternated rounds (range); load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
  for (const name of Object.keys(results[0][0])) {
    console.log(`  ${name}`);
    for (let v = 0; v < variants.length; v++) {
      const xs = results[v].map((o) => o[name]);
      console.log(`    ${variants[v][0]}  ${median(xs).toFixed(2).padStart(6)} ms  (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
    }
  }
}

if (process.argv[2] === 'child') child();
else await main();
