// SparkContext members added on 2026-12-06 (api3), against Spark's SparkContext.scala (read, not copied):
// - uiWebUrl: `_ui.map(_.webUrl)`, the UI's `http://host:port`; None with the UI off.
// - deployMode: "client" (the driver program runs in the driver's process, Spark's client mode).
// - getAllPools / getPoolForName: rootPool's pools (FAIR: the allocation file's and 'default',
//   and a pool a job named made with FairSchedulableBuilder's defaults: FIFO, weight 1,
//   minShare 0); FIFO builds none. getPoolForName: Option, here undefined.
// - getRDDStorageInfo: persistentRdds' RDDInfo (fromRdd: id, name or class name, numPartitions,
//   storageLevel the RDD's) with the status store's numCachedPartitions, memoryUsed, diskUsed,
//   filtered by isCached (bytes > 0 and a cached partition).
// - setCallSite(short) / clearCallSite: the local property callSite.short, which getCallSite reads
//   before the stack: the job's name (its result stage's name, the REST JobData.name).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { appRest } from './harness.js';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-context-api2-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let cases: SparkCaseRun;
let webPort: number | undefined;
let restJobs: { jobId: number; name: string; description?: string }[] = [];

before(async () => {
  cases = await runSparkCases('spark-context-api2.ts', [scratch], { workers: 1, driver: { webPort: 0 } }, async (h, run) => {
    webPort = h.cluster.driver.webPort;
    if (run.ok && run.jobId !== undefined) {
      restJobs = await appRest(h.cluster, run.jobId)<typeof restJobs>('jobs');
    }
  });
});

test("sc.uiWebUrl is the driver's web UI (http://127.0.0.1:<its port>); sc.deployMode is 'client'", () => {
  assert.ok(webPort !== undefined && webPort > 0);
  assert.deepEqual(cases.one('ui'), { uiWebUrl: `http://127.0.0.1:${webPort}`, deployMode: 'client' });
});

test("getAllPools / getPoolForName: none under FIFO; FAIR's from the allocation file and 'default', a pool a job named with Spark's defaults", () => {
  const r = cases.one<{
    fifo: { all: unknown[]; byName: unknown };
    fair: { fromFile: { name: string }[]; before: unknown; count: number; adhoc: unknown; production: unknown; missing: unknown; all: string[] };
    fifoAgain: unknown[];
    bad: string | null;
  }>('pools');
  assert.deepEqual(r.fifo, { all: [], byName: null });
  const byName = (ps: { name: string }[]): unknown[] => [...ps].sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(byName(r.fair.fromFile), [
    { name: 'default', schedulingMode: 'FIFO', weight: 1, minShare: 0 },
    { name: 'production', schedulingMode: 'FAIR', weight: 3, minShare: 2 },
    { name: 'test', schedulingMode: 'FIFO', weight: 2, minShare: 1 },
  ]);
  assert.equal(r.fair.before, null);
  assert.equal(r.fair.count, 3);
  assert.deepEqual(r.fair.adhoc, { name: 'adhoc', schedulingMode: 'FIFO', weight: 1, minShare: 0 });
  assert.deepEqual(r.fair.production, { name: 'production', schedulingMode: 'FAIR', weight: 3, minShare: 2 });
  assert.equal(r.fair.missing, null);
  assert.deepEqual([...r.fair.all].sort(), ['adhoc', 'default', 'production', 'test']);
  assert.deepEqual(r.fifoAgain, []);
  assert.equal(r.bad, 'SLUICE_BAD_ARGUMENT');
});

test("setCallSite names the jobs started after it (the REST API's job name), clearCallSite gives them their own call site again", () => {
  const r = cases.one<{ a: number; b: number; c: number; property: string | null; bad: string | null }>('callsite');
  assert.deepEqual(r, { a: 3, b: 2, c: 6, property: null, bad: 'SLUICE_BAD_ARGUMENT' });
  const job = (description: string): { name: string } => {
    const js = restJobs.filter((j) => j.description === description);
    assert.equal(js.length, 1, JSON.stringify(restJobs));
    return js[0];
  };
  assert.equal(job('api3-with-site').name, 'my short call site');
  assert.match(job('api3-cleared').name, /^collect at .*spark-context-api2\.ts:\d+:\d+$/);
  assert.equal(job('api3-second').name, 'second site');
});

test("getRDDStorageInfo: the cached RDDs, Spark's RDDInfo (id, name, partitions, cached partitions, the level persist was given, bytes in memory and on disk); one never computed or unpersisted is not listed", () => {
  type Info = { id: number; name: string; numPartitions: number; numCachedPartitions: number; storageLevel: string; memSize: number; diskSize: number };
  const r = cases.one<{ ids: Record<string, number>; infos: Info[]; sameLevel: boolean[] }>('storage');
  assert.deepEqual(r.infos.map((i) => i.id), [r.ids.inMemory, r.ids.onDisk]);
  const [mem, disk] = r.infos;
  // Spark's printed MEMORY_ONLY_SER and DISK_ONLY (StorageLevel.toString), the level given, not the one stored.
  assert.deepEqual({ ...mem, memSize: mem.memSize > 0 }, { id: r.ids.inMemory, name: 'in memory', numPartitions: 4, numCachedPartitions: 4, storageLevel: 'StorageLevel(memory, 1 replicas)', memSize: true, diskSize: 0 });
  assert.deepEqual({ ...disk, diskSize: disk.diskSize > 0 }, { id: r.ids.onDisk, name: 'MapPartitionsRDD', numPartitions: 2, numCachedPartitions: 2, storageLevel: 'StorageLevel(disk, 1 replicas)', memSize: 0, diskSize: true });
  assert.deepEqual(r.sameLevel, [true, true]);
});
