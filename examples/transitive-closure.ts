// Spark's SparkTC, ported: the transitive closure of a graph, by joining the paths found so far
// with the graph's edges until a round finds no new path (the count stops changing).
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/transitive-closure.ts [SLICES [FILE]]
//       SLICES: partitions, 2 by default; FILE: a line per edge, `from to` (without one, Spark's
//       random graph: 200 edges between 100 vertices, no self-loops). Prints `TC has N edges.`
//
// One change from Spark's loop: `distinct(slices)` where Spark's has `distinct()`. A union has
// the partitions of both sides and the join those of the larger, so with `distinct()` every
// round doubles them (as in Spark: 2 x 2^rounds, 65,536 tiny partitions by the 15th round of
// the default graph, minutes of scheduling); `distinct(slices)`, Spark's own overload, keeps
// SLICES. The closure is the same.
import fs from 'node:fs';
import type { SluiceContext } from '@sluice/core';

const NUM_EDGES = 200;
const NUM_VERTICES = 100;

/** Spark's generateGraph: NUM_EDGES distinct edges (from, to), from != to, drawn with a seeded generator. */
function generateGraph(): [number, number][] {
  let seed = 42;
  const nextInt = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  const seen = new Set<string>();
  const edges: [number, number][] = [];
  while (edges.length < NUM_EDGES) {
    const from = nextInt(NUM_VERTICES);
    const to = nextInt(NUM_VERTICES);
    if (from !== to && !seen.has(`${from} ${to}`)) {
      seen.add(`${from} ${to}`);
      edges.push([from, to]);
    }
  }
  return edges;
}

function readGraph(file: string): [number, number][] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l): [number, number] => {
    const [from, to] = l.trim().split(/\s+/).map(Number);
    return [from, to];
  });
}

export default async function transitiveClosure(sc: SluiceContext, args: string[]): Promise<void> {
  const slices = args.length > 0 ? Number(args[0]) : 2;
  let tc = sc.parallelize(args.length > 1 ? readGraph(args[1]) : generateGraph(), slices).cache();

  // Linear transitive closure: each round grows paths by one edge, joining the path (y, z)
  // found so far with the edge (x, y) of the graph into the path (x, z). join() joins on keys,
  // so the edges are kept reversed, (y, x).
  const edges = tc.map(([x, y]): [number, number] => [y, x]);

  // The join is iterated until a fixed point is reached.
  let oldCount = 0;
  let nextCount = await tc.count();
  do {
    oldCount = nextCount;
    // The join gives (y, (z, x)) pairs; the new paths are (x, z).
    tc = tc
      .union(tc.join(edges).map(([, [z, x]]): [number, number] => [x, z]))
      .distinct(slices)
      .cache();
    nextCount = await tc.count();
  } while (nextCount !== oldCount);

  console.log(`TC has ${await tc.count()} edges.`);
}
