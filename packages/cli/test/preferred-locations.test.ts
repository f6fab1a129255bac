// rdd.preferredLocations(split) (Spark's RDD API) on a real cluster: driver in this process, 2
// worker processes. Oracles from the job's own records: each cached partition names the pid of
// the worker process that computed (and so cached) it, and the worker ids preferredLocations
// answers must match those pids one to one (the same pid, the same id; two pids, two ids).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, withCluster } from './harness.js';

test("rdd.preferredLocations: none before caching, the caching worker's id after, a map's its parent's; a partition out of range refused", async () => {
  await withCluster({ workers: 2 }, async (h) => {
    const run = await h.run(fixture('preferred-locations.ts'));
    assert.ok(run.ok, `job failed: ${run.failure}\n${run.lines.join('\n')}`);
    assert.deepEqual(jsonLines<string[][]>(run.lines, 'NONE ')[0], [[], [], [], []]);
    const { pids, prefs, mapped } = jsonLines<{ pids: [number, number][]; prefs: string[][]; mapped: string[][] }>(run.lines, 'CACHED ')[0]!;
    assert.deepEqual(pids.map(([i]) => i), [0, 1, 2, 3]);
    for (const p of prefs) assert.equal(p.length, 1, `one worker holds each cached partition: ${JSON.stringify(prefs)}`);
    assert.match(prefs[0]![0]!, /^worker-/);
    const idOfPid = new Map<number, string>();
    const pidOfId = new Map<string, number>();
    pids.forEach(([i, pid]) => {
      const id = prefs[i]![0]!;
      assert.equal(idOfPid.get(pid) ?? id, id, `partitions computed by pid ${pid} prefer one worker`);
      assert.equal(pidOfId.get(id) ?? pid, pid, `worker ${id} is one process`);
      idOfPid.set(pid, id);
      pidOfId.set(id, pid);
    });
    assert.deepEqual(mapped, prefs, "a map of a cached RDD prefers its parent's places");
    assert.match(jsonLines<string>(run.lines, 'BAD ')[0]!, /^SLUICE_BAD_ARGUMENT rdd\.preferredLocations: partition 4 of an RDD with 4 partitions/);
  });
});
