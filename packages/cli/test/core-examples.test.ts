// examples/page-rank.ts and examples/transitive-closure.ts (Spark's SparkPageRank and SparkTC,
// ported), each run as its header says on a graph of the test's: `sluice run --workers 2
// examples/page-rank.ts FILE 10` and `... examples/transitive-closure.ts 2 FILE`. What they
// print is checked against the same computation done here with plain loops over the file:
// PageRank's 10 rounds of contributions over each URL's distinct links (only URLs with a link
// to them keep a rank, as Spark's join drops the others), and the closure's paths by a
// breadth-first search from every vertex.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR, mulberry32, runCli } from './harness.js';

function show(r: { code: number | null; timedOut: boolean; stdout: string; stderr: string }): string {
  return `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
}

test('examples/page-rank.ts FILE 10: every rank printed is the one 10 rounds of PageRank give over the file\'s distinct links', { timeout: 240_000 }, async () => {
  const rand = mulberry32(32);
  // 40 URLs, 150 links with repeats (distinct() drops them) and a few URLs nothing links to.
  const links = Array.from({ length: 150 }, () => `u${Math.floor(rand() * 40)}  u${Math.floor(rand() * 36)}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-page-rank-'));
  try {
    const file = path.join(dir, 'links.txt');
    fs.writeFileSync(file, links.join('\n') + '\n');
    const r = await runCli(['run', '--workers', '2', 'examples/page-rank.ts', file, '10'], { timeoutMs: 180_000, cwd: REPO_DIR });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 0, show(r));

    const out = new Map<string, Set<string>>();
    for (const l of links) {
      const [from, to] = l.split(/\s+/);
      if (!out.has(from!)) out.set(from!, new Set());
      out.get(from!)!.add(to!);
    }
    let ranks = new Map([...out.keys()].map((u): [string, number] => [u, 1]));
    for (let i = 0; i < 10; i++) {
      const sums = new Map<string, number>();
      for (const [u, tos] of out) {
        const rank = ranks.get(u);
        if (rank !== undefined) for (const v of tos) sums.set(v, (sums.get(v) ?? 0) + rank / tos.size);
      }
      ranks = new Map([...sums].map(([u, s]): [string, number] => [u, 0.15 + 0.85 * s]));
    }
    const printed = [...r.stdout.matchAll(/^(\S+) has rank: (\S+)\.$/gm)].map((m): [string, number] => [m[1]!, Number(m[2])]);
    assert.deepEqual(printed.map(([u]) => u).sort(), [...ranks.keys()].sort(), `a line per URL with a link to it\n${show(r)}`);
    for (const [u, rank] of printed) assert.ok(Math.abs(rank - ranks.get(u)!) < 1e-9, `${u}: printed ${rank}, computed ${ranks.get(u)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/transitive-closure.ts 2 FILE: the closure\'s count is the number of (x, z) with a path from x to z', { timeout: 240_000 }, async () => {
  const rand = mulberry32(33);
  // 40 vertices, 60 distinct edges, no self-loops: a closure some rounds deep.
  const edges = new Set<string>();
  while (edges.size < 60) {
    const from = Math.floor(rand() * 40);
    const to = Math.floor(rand() * 40);
    if (from !== to) edges.add(`${from} ${to}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tc-'));
  try {
    const file = path.join(dir, 'edges.txt');
    fs.writeFileSync(file, [...edges].join('\n') + '\n');
    const r = await runCli(['run', '--workers', '2', 'examples/transitive-closure.ts', '2', file], { timeoutMs: 180_000, cwd: REPO_DIR });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 0, show(r));

    const next = new Map<number, number[]>();
    for (const e of edges) {
      const [from, to] = e.split(' ').map(Number);
      next.set(from!, [...(next.get(from!) ?? []), to!]);
    }
    let paths = 0;
    for (const start of next.keys()) {
      const seen = new Set<number>();
      const queue = [...next.get(start)!];
      while (queue.length > 0) {
        const v = queue.pop()!;
        if (seen.has(v)) continue;
        seen.add(v);
        queue.push(...(next.get(v) ?? []));
      }
      paths += seen.size; // a cycle back to start is the path (start, start), as the join finds it
    }
    assert.ok(paths > 2 * edges.size, `the closure (${paths}) takes several rounds beyond the ${edges.size} edges`);
    assert.match(r.stdout, new RegExp(`^TC has ${paths} edges\\.$`, 'm'), show(r));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
