// The consolidated shuffle on worker processes: each map task's output is one block (an
// index and the data) on the worker that ran it; a reduce task reads its segment of every
// map output, locally without RPC and from each other worker with one request on its
// persistent ShuffleStream to that worker, and
// skips map outputs whose segment for it is empty. One job on 3 workers collects the same
// shuffled RDD three times: as it is; after one worker lost its map output blocks (the
// reduce tasks' fetches fail, and only that worker's map tasks run again); and after a
// worker was killed (only its map tasks run again). Before it, a wide shuffle (2,100 reduce
// partitions, so the map statuses are highly compressed) with skewed sizes and mostly empty
// segments: its sums, and that no non-empty segment reads as empty on the driver. Every
// result equals the sums computed here from the fixtures' rules. The reduce side's tasks
// cover ranges of contiguous partitions (3 a task of the 40 on 3 cores, 8 of the 2,100).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { blocksOn, fixture, jsonLine, removeBlocksOn, startJob, within, withCluster } from './harness.js';

const MAPS = 24;
const REDUCES = 40;
const SHUFFLE = 0;

/** The fixture's rule (fixtures/shuffle-segments.ts), written again here. */
const writes = (m: number, r: number): boolean => r % 4 !== 0 && (r * 7 + m * 3) % 5 < 2;

const WIDE_MAPS = 12;
const WIDE_REDUCES = 2100;
/** The wide fixture's rule (fixtures/shuffle-wide.ts), written again here. */
const writesWide = (m: number, r: number): boolean => r % 3 !== 0 && (r * 5 + m * 11) % 7 < 2;
const keysWide = (r: number): number => (r % 150 === 1 ? 200 : 1);

function expectedWideSums(): [number, number][] {
  const sums = new Map<number, number>();
  for (let m = 0; m < WIDE_MAPS; m++) {
    for (let r = 0; r < WIDE_REDUCES; r++) if (writesWide(m, r)) for (let j = 0; j < keysWide(r); j++) sums.set(r + WIDE_REDUCES * j, (sums.get(r + WIDE_REDUCES * j) ?? 0) + m * 1000 + j);
  }
  return [...sums].sort((a, b) => a[0] - b[0]);
}

function expectedSums(): [number, number][] {
  const sums = new Map<number, number>();
  for (let m = 0; m < MAPS; m++) {
    for (let r = 0; r < REDUCES; r++) if (writes(m, r)) for (let j = 0; j <= m % 3; j++) sums.set(r + REDUCES * j, (sums.get(r + REDUCES * j) ?? 0) + m * 1000 + j);
  }
  return [...sums].sort((a, b) => a[0] - b[0]);
}

/**
 * collect's records come partition after partition: each key's reduce partition (key % REDUCES)
 * never goes down, and every partition with a key is there (a range task's values filed under
 * the wrong partitions would reorder them).
 */
function inPartitionOrder(parts: number[], phase: string): void {
  assert.deepEqual(parts, [...parts].sort((x, y) => x - y), `collect ${phase}: records in partition order`);
  assert.deepEqual([...new Set(parts)], [...new Set(expectedSums().map(([k]) => k % REDUCES))].sort((x, y) => x - y), `collect ${phase}: the partitions with data`);
}

test('consolidated map outputs: exact sums with many empty segments (and 2,100 reduce partitions, skewed); lost outputs (fetch failure, killed worker) re-run only their map tasks', { timeout: 170_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-segments-'));
  try {
    // Speculation off: the test checks where each map output is and that lost ones re-run once;
    // a speculative copy of a slow map task (a loaded machine) leaves a second, unreferenced
    // output on another worker (as Spark's), which the placement check would count.
    await withCluster({ workers: 0, driver: { tasks: { speculation: false } } }, async (h) => {
      const driver = h.cluster.driver;
      // Workers started one at a time, so each registered id is known to belong to its process.
      const procs = new Map<string, ChildProcess>();
      for (let i = 0; i < 3; i++) {
        const known = new Set(driver.registry.all().map((w) => w.id));
        const child = h.cluster.addWorker();
        await h.cluster.waitForWorkers(known.size + 1, 30_000);
        procs.set(driver.registry.all().find((w) => !known.has(w.id))!.id, child);
      }
      // A wide shuffle first (2,100 reduce partitions: highly compressed map statuses), skewed and mostly empty.
      {
        const wide = await startJob(h.cluster, fixture('shuffle-wide.ts'), [dir, String(WIDE_MAPS), String(WIDE_REDUCES)]);
        await wide.waitLine('RESULT_wide ', 90_000);
        assert.deepEqual(jsonLine<[number, number][]>(wide.lines, 'RESULT_wide '), expectedWideSums(), 'the wide shuffle’s sums');
        const statuses = driver.dag.mapOutputs.statuses(wide.id, SHUFFLE);
        assert.equal(statuses.length, WIDE_MAPS);
        for (let m = 0; m < WIDE_MAPS; m++) {
          const s = statuses[m]!;
          for (let r = 0; r < WIDE_REDUCES; r++) {
            if (s.isEmpty(r) === writesWide(m, r)) assert.fail(`wide map ${m} reduce ${r}: writes ${writesWide(m, r)}, status says empty ${s.isEmpty(r)}`);
            // A 200-key segment keeps its own size (about 23 bytes a key); a one-key one reads as the average of those.
            if (writesWide(m, r) && keysWide(r) > 1) assert.ok(s.size(r) > 2000, `wide map ${m} reduce ${r}: a huge segment read as ${s.size(r)} bytes`);
            if (writesWide(m, r) && keysWide(r) === 1) assert.ok(s.size(r) > 0 && s.size(r) < 100, `wide map ${m} reduce ${r}: a one-key segment read as ${s.size(r)} bytes`);
          }
        }
        fs.writeFileSync(path.join(dir, 'go-wide'), '');
        const end = await within(wide.done, 30_000, 'the wide job to end');
        assert.equal(end.ok, true, JSON.stringify(end.failure));
      }
      // Map tasks that succeeded, and task ends by reason, since the last look.
      const mapStages = new Set<number>();
      let mapRuns: number[] = [];
      let fetchFailures = 0;
      /** The tasks of each result stage attempt as submitted, in order. */
      const resultTasks: number[] = [];
      const listener: Parameters<typeof driver.dag.addListener>[0] = {
        onStageSubmitted: (e) => {
          if (e.kind === 'shuffleMap') mapStages.add(e.stageId);
          else resultTasks.push(e.numTasks);
        },
        onTaskEnd: (e) => {
          if (mapStages.has(e.stageId) && e.reason === 'success') mapRuns.push(e.partition);
          if (e.reason === 'fetch_failed') fetchFailures++;
        },
      };
      driver.dag.addListener(listener);
      const want = expectedSums();
      const job = await startJob(h.cluster, fixture('shuffle-segments.ts'), [dir, String(MAPS), String(REDUCES)]);

      // a: as it is.
      await job.waitLine('MARK a', 60_000);
      assert.deepEqual(jsonLine<[number, number][]>(job.lines, 'RESULT_a '), want);
      inPartitionOrder(jsonLine<number[]>(job.lines, 'PARTS_a '), 'a');
      assert.deepEqual([...mapRuns].sort((x, y) => x - y), Array.from({ length: MAPS }, (_, m) => m), 'each map task ran once');
      // The result stage's tasks cover contiguous ranges of its 40 partitions: at most 40 / (4 tasks
      // a core x 3 cores) = 3 a task, from multiples of 3 (coalescePartitions), so 14 tasks.
      assert.deepEqual(resultTasks, [Math.ceil(REDUCES / 3)], 'the result stage ran ranges of 3 partitions a task');
      // The driver knows which segments are empty (from the map tasks' statuses): exactly the fixture's rule.
      const statuses = driver.dag.mapOutputs.statuses(job.id, SHUFFLE);
      for (let m = 0; m < MAPS; m++) for (let r = 0; r < REDUCES; r++) assert.equal(!statuses[m]!.isEmpty(r), writes(m, r), `map ${m} reduce ${r}: size ${statuses[m]!.size(r)}`);
      // Each worker holds one block per map output the driver places on it; its index gives the same sizes.
      const placed = (driver.dag.mapOutputs.locations(job.id, SHUFFLE) ?? []).map((l) => l.workerId);
      assert.equal(placed.length, MAPS);
      const ids = Array.from({ length: MAPS }, (_, m) => `shuffle_${job.id}_${SHUFFLE}_${m}`);
      for (const w of driver.registry.all()) {
        const held = await blocksOn(w.address, h.cluster.secret, ids);
        assert.deepEqual([...held.keys()].sort(), ids.filter((_, m) => placed[m] === w.id).sort(), `the map outputs on ${w.id}`);
        for (const [id, [index, data]] of held) {
          const m = Number(id.split('_').pop());
          const offsets = Array.from({ length: REDUCES + 1 }, (_, r) => Number(index.readBigUInt64LE(r * 8)));
          // The status's sizes are the index's within 10% (a byte on a log scale each).
          offsets.slice(1).forEach((o, r) => {
            const [exact, kept] = [o - offsets[r], statuses[m]!.size(r)];
            assert.ok(kept >= exact / 1.1 && kept <= exact * 1.1, `map output ${m} reduce ${r}: index ${exact} bytes, status ${kept}`);
          });
          assert.equal(statuses[m]!.totalBytes, data.length, `the total bytes of map output ${m}`);
          assert.equal(offsets[REDUCES], data.length);
        }
      }

      // b: one worker's map output blocks are gone, the driver still places them there: the
      // reduce tasks' fetches fail, and only the lost map tasks run again.
      const spread = (): { id: string; maps: number[] } => {
        const now = (driver.dag.mapOutputs.locations(job.id, SHUFFLE) ?? []).map((l) => l.workerId);
        const byWorker = driver.registry.all().map((w) => ({ id: w.id, maps: now.flatMap((x, m) => (x === w.id ? [m] : [])) }));
        // Some but not all: re-running every map task, or none, would show.
        const pick = byWorker.filter((x) => x.maps.length > 0 && x.maps.length < MAPS).sort((x, y) => y.maps.length - x.maps.length)[0];
        assert.ok(pick, `a worker holds some but not all map outputs: ${JSON.stringify(byWorker)}`);
        return pick;
      };
      const emptied = spread();
      assert.equal(await removeBlocksOn(driver.registry.get(emptied.id)!.address, h.cluster.secret, [`shuffle_${job.id}_${SHUFFLE}_`]), emptied.maps.length);
      mapRuns = [];
      fetchFailures = 0;
      fs.writeFileSync(path.join(dir, 'go-b'), '');
      await job.waitLine('MARK b', 60_000);
      assert.deepEqual(jsonLine<[number, number][]>(job.lines, 'RESULT_b '), want);
      inPartitionOrder(jsonLine<number[]>(job.lines, 'PARTS_b '), 'b');
      assert.ok(fetchFailures > 0, 'reduce tasks met the missing map outputs');
      assert.deepEqual([...mapRuns].sort((x, y) => x - y), emptied.maps, `only the map outputs of ${emptied.id} were computed again`);

      // c: a worker is killed; only its map tasks run again.
      const victim = spread();
      const lost = new Promise<void>((resolve) =>
        driver.registry.addListener({ workerAdded: () => undefined, workerLost: (w) => void (w.id === victim.id && resolve()) }),
      );
      procs.get(victim.id)!.kill('SIGKILL');
      await within(lost, 30_000, `the driver to declare ${victim.id} lost`);
      mapRuns = [];
      fs.writeFileSync(path.join(dir, 'go-c'), '');
      await job.waitLine('MARK c', 60_000);
      assert.deepEqual(jsonLine<[number, number][]>(job.lines, 'RESULT_c '), want);
      inPartitionOrder(jsonLine<number[]>(job.lines, 'PARTS_c '), 'c');
      assert.deepEqual([...mapRuns].sort((x, y) => x - y), victim.maps, `only the map outputs of the killed ${victim.id} were computed again`);

      const run = await within(job.done, 30_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
      driver.dag.removeListener(listener);
      assert.equal(driver.dag.mapOutputs.size, 0, 'the job’s map outputs are forgotten on the driver');
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
