// Cached partitions that do not fit in the workers' memory, as Spark's Storage page shows them
// (AppStatusListener's LiveRDD, updated by each block status its BlockManagers report): workers
// keeping 1 MiB of blocks each (--memory 1m) cache 16 partitions of over 200,000 bytes each.
// - MEMORY_ONLY: a worker evicts the blocks it has no room for (MemoryStore.evictBlocksToFreeSpace
//   drops them), so storage/rdd counts only those kept: at most floor(1 MiB / 200,000) = 5 a
//   worker, their memory at most the workers' bound; a count after still sees all 16 (the
//   evicted ones computed again from their lineage).
// - MEMORY_AND_DISK: a worker spills what does not fit to its disk: all 16 stay cached, the
//   spilled ones' bytes as diskUsed and their level 'Disk Serialized 1x Replicated'.
// The bounds come from the data's size and the workers' option, not from Sluice's figures.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture, pollUntil, withCluster } from './harness.js';

const MEMORY = 1024 * 1024;
const PARTITIONS = 16;
const MIN_BLOCK = 200_000;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-eviction-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Partition {
  blockName: string;
  storageLevel: string;
  memoryUsed: number;
  diskUsed: number;
  executors: string[];
}
interface RddInfo {
  id: number;
  name: string;
  numPartitions: number;
  numCachedPartitions: number;
  memoryUsed: number;
  diskUsed: number;
  dataDistribution: { memoryUsed: number; diskUsed: number }[];
  partitions: Partition[];
}

test('cached partitions beyond the workers\' memory: MEMORY_ONLY ones evicted are no longer counted, MEMORY_AND_DISK ones spilled are counted on disk', async () => {
  await withCluster({ workers: 2, coresPerWorker: 1, driver: { webPort: 0 }, workerArgs: ['--memory', '1m'] }, async (h) => {
    const running = h.run(fixture('storage-eviction.ts'), [scratch]);
    const root = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1`;
    const rddNamed = async (name: string): Promise<RddInfo | undefined> => {
      for (const a of (await (await fetch(`${root}/applications?status=running`)).json()) as { id: string }[]) {
        const list = (await (await fetch(`${root}/applications/${a.id}/storage/rdd`)).json()) as { id: number; name: string }[];
        const r = list.find((x) => x.name === name);
        if (r) return (await (await fetch(`${root}/applications/${a.id}/storage/rdd/${r.id}`)).json()) as RddInfo;
      }
      return undefined;
    };

    await pollUntil(async () => (fs.existsSync(path.join(scratch, 'memory-only-holding')) ? true : undefined), 120_000, 'the MEMORY_ONLY count');
    // The workers tell their evictions with their heartbeats (every second).
    let memoryOnly: RddInfo | undefined;
    await pollUntil(async () => {
      memoryOnly = await rddNamed('memory only');
      return memoryOnly && memoryOnly.numCachedPartitions <= 2 * Math.floor(MEMORY / MIN_BLOCK) ? true : undefined;
    }, 60_000, 'the evicted partitions no longer counted').catch(() => undefined);
    assert.ok(memoryOnly, 'storage/rdd lists the MEMORY_ONLY RDD');
    const kept = memoryOnly.numCachedPartitions;
    assert.equal(memoryOnly.numPartitions, PARTITIONS);
    assert.ok(kept >= 1 && kept <= 2 * Math.floor(MEMORY / MIN_BLOCK), `at most 5 partitions a worker fit in 1 MiB; counted ${kept}: ${JSON.stringify(memoryOnly.partitions)}`);
    assert.equal(memoryOnly.partitions.length, kept);
    assert.ok(memoryOnly.memoryUsed <= 2 * MEMORY, `memoryUsed ${memoryOnly.memoryUsed} within the two workers' 1 MiB`);
    assert.equal(memoryOnly.diskUsed, 0);
    for (const p of memoryOnly.partitions) {
      assert.ok(p.memoryUsed >= MIN_BLOCK, JSON.stringify(p));
      assert.equal(p.storageLevel, 'Memory Serialized 1x Replicated');
    }
    for (const w of memoryOnly.dataDistribution) assert.ok(w.memoryUsed <= MEMORY, JSON.stringify(memoryOnly.dataDistribution));
    fs.writeFileSync(path.join(scratch, 'memory-only-release'), '');

    await pollUntil(async () => (fs.existsSync(path.join(scratch, 'memory-and-disk-holding')) ? true : undefined), 120_000, 'the MEMORY_AND_DISK count');
    let spilled: RddInfo | undefined;
    await pollUntil(async () => {
      spilled = await rddNamed('memory and disk');
      return spilled && spilled.memoryUsed <= 2 * MEMORY && spilled.diskUsed > 0 ? true : undefined;
    }, 60_000, 'the spilled partitions counted on disk').catch(() => undefined);
    assert.ok(spilled, 'storage/rdd lists the MEMORY_AND_DISK RDD');
    assert.equal(spilled.numCachedPartitions, PARTITIONS, 'every partition stays cached, in memory or on disk');
    assert.ok(spilled.memoryUsed <= 2 * MEMORY, `memoryUsed ${spilled.memoryUsed} within the two workers' 1 MiB`);
    assert.ok(spilled.diskUsed >= (PARTITIONS - 2 * Math.floor(MEMORY / MIN_BLOCK)) * MIN_BLOCK, `at least 6 partitions spilled: diskUsed ${spilled.diskUsed}`);
    const onDisk = spilled.partitions.filter((p) => p.diskUsed > 0);
    assert.ok(onDisk.length >= PARTITIONS - 2 * Math.floor(MEMORY / MIN_BLOCK), JSON.stringify(spilled.partitions));
    for (const p of spilled.partitions) {
      assert.ok(p.memoryUsed + p.diskUsed >= MIN_BLOCK, JSON.stringify(p));
      assert.equal(p.storageLevel, p.diskUsed > 0 ? 'Disk Serialized 1x Replicated' : 'Disk Memory Serialized 1x Replicated', JSON.stringify(p));
    }
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    assert.equal(sum(spilled.partitions.map((p) => p.memoryUsed)), spilled.memoryUsed);
    assert.equal(sum(spilled.partitions.map((p) => p.diskUsed)), spilled.diskUsed);
    assert.equal(sum(spilled.dataDistribution.map((w) => w.diskUsed)), spilled.diskUsed);
    fs.writeFileSync(path.join(scratch, 'memory-and-disk-release'), '');

    const run = await running;
    assert.ok(run.ok, `${run.failure?.message}\n${run.lines.join('\n')}`);
    assert.ok(run.lines.includes(`MEMORY_ONLY ${PARTITIONS} ${memoryOnly.id}`), run.lines.join('\n'));
    assert.ok(run.lines.includes(`RECOUNT ${PARTITIONS}`), run.lines.join('\n'));
    assert.ok(run.lines.includes(`MEMORY_AND_DISK ${PARTITIONS} ${spilled.id}`), run.lines.join('\n'));
  });
});
