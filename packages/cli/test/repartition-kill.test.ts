// repartition(n) over a shuffle's output stays exact through a worker's loss: a driver in this
// process, 3 worker processes (worker-fault-support.ts), fixtures/repartition-kill-job.ts.
// Each round, result tasks 0 and 1 read repartition's map outputs (shuffle B) and tasks 2
// and 3 are held; a worker holding outputs of both shuffle B and its parent shuffle A is
// killed -9, a fresh one started, and the held tasks let go. Their fetches from the lost
// worker fail, so the lost map outputs of shuffle A are computed again elsewhere, and then
// the lost repartition map tasks. repartition deals each partition's records round-robin
// in the order it reads them: when a shuffle read's order followed where the map outputs
// lay (grouped by worker), the re-run dealt its records to other result partitions than the
// first run had, and tasks 0-1 and 2-3 saw different dealings (keys twice or lost). Each
// round's pairs must be every key's sum once, computed here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { fixture, jsonLine, pollUntil, startJob, within } from './harness.js';
import { observe, reasons, show, tmpDir, withFaultCluster } from './worker-fault-support.js';

const N = 30_000;
const KEYS = 10_000;
const ROUNDS = 2;

function expected(): [number, number][] {
  const sums = new Map<number, number>();
  for (let v = 0; v < N; v++) sums.set(v % KEYS, (sums.get(v % KEYS) ?? 0) + v);
  return [...sums].sort((a, b) => a[0] - b[0]);
}

test('repartition(4) of a reduceByKey, a worker holding both shuffles\' map outputs killed between its result tasks: every key once, each round', { timeout: 240_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const results = new Map<number, number>();
    seen.onStage = (e) => {
      if (e.kind === 'result') results.set(e.stageId, Date.now());
    };
    const dir = tmpDir('repartition-kill');
    try {
      const job = await startJob(h.cluster, fixture('repartition-kill-job.ts'), [String(N), String(KEYS), dir, String(ROUNDS)]);
      const want = expected();
      let recomputed = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const roundAt = Date.now();
        // Tasks 2 and 3 held, tasks 0 and 1 of the same result stage done (the round's last shuffles: A, then B).
        await pollUntil(() => (fs.readdirSync(dir).filter((f) => f.startsWith(`held-${r}-`)).length >= 2 ? true : undefined), 60_000, `round ${r}'s held result tasks`, 10);
        const stage = Math.max(...results.keys());
        await pollUntil(() => (new Set(seen.taskEnds.filter((e) => e.stageId === stage && e.reason === 'success').map((e) => e.partition)).size >= 2 ? true : undefined), 60_000, `round ${r}'s result tasks 0 and 1`, 10);
        const dag = h.cluster.driver.dag;
        const shuffles: string[][] = [];
        const sids: number[] = [];
        for (let s = 0; s < 100; s++) {
          const locs = dag.mapOutputs.locations(job.id, s);
          if (locs === undefined) continue;
          shuffles.push(locs.map((l) => l.workerId));
          sids.push(s);
        }
        const [a, b] = shuffles.slice(-2);
        const shuffleIds = sids.slice(-2);
        const victim = [...procs.keys()].find((w) => a.includes(w) && b.includes(w));
        if (victim === undefined) {
          t.diagnostic(`round ${r}: no worker holds outputs of both shuffles (${JSON.stringify(shuffles.slice(-2))}); nothing killed`);
        } else {
          recomputed++;
          const killedAt = Date.now();
          const proc = procs.get(victim)!;
          proc.kill('SIGKILL');
          await exited(proc);
          procs.delete(victim);
          await pollUntil(() => (h.cluster.driver.registry.get(victim) === undefined ? true : undefined), 30_000, 'the killed worker declared lost');
          await addWorkers(h, 1, procs);
          t.diagnostic(`round ${r}: killed a worker holding ${a.filter((w) => w === victim).length} of 6 outputs of shuffle A and ${b.filter((w) => w === victim).length} of shuffle B; task ends since ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= killedAt)))}`);
        }
        fs.writeFileSync(path.join(dir, `open-${r}`), '');
        const line = await job.waitLine(`RESULT ${r} `, 120_000).catch(async (err: unknown) => {
          const run = job.ended ? await job.done : undefined;
          throw new Error(`round ${r}: ${(err as Error).message}${run ? `\n${show(run)}` : ''}`);
        });
        const got = jsonLine<[number, number][]>([line], `RESULT ${r} `);
        const keys = new Set(got.map(([k]) => k));
        const ids = [...new Set([...a, ...b, ...procs.keys()])];
        const aNow = (h.cluster.driver.dag.mapOutputs.locations(job.id, shuffleIds[0]) ?? []).map((l) => ids.indexOf(l.workerId));
        t.diagnostic(`round ${r}: shuffle A on ${JSON.stringify(a.map((w) => ids.indexOf(w)))} then ${JSON.stringify(aNow)}, B on ${JSON.stringify(b.map((w) => ids.indexOf(w)))}`);
        t.diagnostic(`round ${r}: ${got.length} pairs, ${keys.size} keys; task ends ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= roundAt)))}`);
        assert.deepEqual(got, want, `round ${r}: every key's sum once (${got.length} pairs of ${keys.size} keys, ${want.length} wanted)`);
      }
      const run = await within(job.done, 60_000, 'the job');
      for (let r = 0; r < ROUNDS; r++) {
        // The order of each partition of the reduceByKey, read before the kill and after it (its map outputs elsewhere since): one order.
        assert.deepEqual(jsonLine<[number, number][]>(run.lines, `ORDER1 ${r} `), jsonLine<[number, number][]>(run.lines, `ORDER0 ${r} `), `round ${r}: the reduceByKey's records in the same order after its map outputs were computed again elsewhere`);
      }
      assert.equal(run.ok, true, show(run));
      assert.ok(recomputed > 0, 'some round killed a worker holding outputs of both shuffles');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
