// collect()'s last step on the driver (not a test): the partitions' results joined into one
// array, by Array.prototype.flat(1) (what collect, top/takeOrdered and collectAsync used; the
// baseline) and by core's concatParts, in the same run, alternated. Prints the median ms of
// each and their ratio. Needs a build (`bash scripts/pnpm.sh exec tsc -b`).
//
//   node bench/collect-parts.js [rounds]
import { concatParts } from '../packages/core/dist/src/util/concat-parts.js';
import { median } from './bench-support.js';

const rounds = Number(process.argv[2] ?? 9);
const cases = {
  '1,000,000 numbers in 2 partitions': Array.from({ length: 2 }, (_, p) => Array.from({ length: 500_000 }, (_, i) => p * 500_000 + i)),
  '400,000 [key, value] pairs in 8 partitions': Array.from({ length: 8 }, (_, p) => Array.from({ length: 50_000 }, (_, i) => [`k${p}-${i}`, i])),
  '100,000 numbers in 10,000 partitions': Array.from({ length: 10_000 }, (_, p) => Array.from({ length: 10 }, (_, i) => p * 10 + i)),
};
const ways = { 'flat(1)': (parts) => parts.flat(1), concatParts: (parts) => concatParts(parts) };
for (const [name, parts] of Object.entries(cases)) {
  const ms = { 'flat(1)': [], concatParts: [] };
  const want = parts.reduce((n, p) => n + p.length, 0);
  for (let r = 0; r < rounds; r++) {
    for (const [way, f] of r % 2 === 0 ? Object.entries(ways) : Object.entries(ways).reverse()) {
      const t = process.hrtime.bigint();
      const out = f(parts);
      ms[way].push(Number(process.hrtime.bigint() - t) / 1e6);
      if (out.length !== want) throw new Error(`${way}: ${out.length} elements, want ${want}`);
    }
  }
  const [a, b] = [median(ms['flat(1)']), median(ms.concatParts)];
  console.log(`${name}: flat(1) ${a.toFixed(1)} ms, concatParts ${b.toFixed(1)} ms (${(a / b).toFixed(1)}x), median of ${rounds}`);
}
