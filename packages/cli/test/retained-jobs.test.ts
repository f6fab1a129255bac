// A standing driver keeps the last --retained-jobs finished jobs (Spark's
// spark.deploy.retainedApplications) and forgets older ones with their bundles and metric
// series: bench/soak.js's 300 short jobs on one driver found every finished job kept for good
// (`sluice jobs`, REST applications, /metrics series, the bundle in memory and on disk).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli, withCluster } from './harness.js';
import { randomSecret } from './sluice-processes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retained-jobs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A short job with a shuffle whose code (so its bundle's sha256) differs by `tag`. */
function jobFile(tag: string): string {
  const file = path.join(dir, `${tag}.ts`);
  fs.writeFileSync(
    file,
    `import type { SluiceContext } from '@sluice/core';
export default async function (sc: SluiceContext): Promise<void> {
  const counts = await sc.parallelize(Array.from({ length: 40 }, (_, i) => i % 7), 4).map((k) => [k, 1] as [number, number]).reduceByKey((a, b) => a + b, 2).collect();
  console.log('RETAINED ' + JSON.stringify({ tag: '${tag}', keys: counts.length }));
}
`,
  );
  return file;
}

test('past --retained-jobs the oldest finished job is forgotten, its metric series and its bundle (unless a kept job has it) with it', async () => {
  const localDir = path.join(dir, 'driver-local');
  const files = new Map(['J1', 'J2', 'J3', 'J4', 'J5'].map((t) => [t, jobFile(t)]));
  // J4 twice in a row: when the first is forgotten the second, kept, has the same bundle. J1
  // again at the end: its bundle was dropped with the first J1 and must be there again.
  const order = ['J1', 'J2', 'J3', 'J4', 'J4', 'J5', 'J1'];
  await withCluster({ workers: 1, driver: { retainedJobs: 3, webPort: 0, localDir } }, async ({ cluster, run }) => {
    const ids: string[] = [];
    for (const t of order) {
      const r = await run(files.get(t)!);
      assert.ok(r.ok, `${t}: ${r.state} ${r.failure?.message ?? ''}`);
      assert.ok(r.lines.some((l) => l.includes(`"tag":"${t}","keys":7`)), `${t} printed its 7 keys: ${r.lines.join('\n')}`);
      ids.push(r.jobId!);
    }
    const kept = ids.slice(-3);
    assert.deepEqual([...cluster.driver.jobs.keys()], kept, 'the driver keeps the last 3 finished jobs');
    const apps = (await (await fetch(`http://127.0.0.1:${cluster.driver.webPort}/api/v1/applications`)).json()) as { id: string }[];
    assert.deepEqual(apps.map((a) => a.id).sort(), [...kept].sort(), 'REST lists the kept jobs alone');
    // The series go asynchronously (prom-client's get()); a scrape soon after has none of the forgotten jobs'.
    let named: string[] = [];
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`http://127.0.0.1:${cluster.driver.webPort}/metrics`)).text();
      named = [...new Set([...text.matchAll(/job_id="([^"]+)"/g)].map((m) => m[1]!))].sort();
      if (named.every((id) => kept.includes(id))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(named, [...kept].sort(), "/metrics has series of the kept jobs (their tasks' counts and durations) and of no other");
    const bundles = fs.readdirSync(path.join(localDir, 'bundles')).filter((n) => /^[0-9a-f]{64}$/.test(n));
    assert.equal(bundles.length, 3, `the bundles of J4, J5 and J1 only: ${bundles.join(', ')}`);
    for (const id of kept) {
      const job = cluster.driver.jobs.get(id)!;
      assert.ok(fs.existsSync(path.join(localDir, 'bundles', job.bundleSha, 'bundle.mjs')), `kept job ${id}'s bundle is on disk`);
    }
  });
});

test('sluice driver --retained-jobs 0 is refused, naming the option and the value', async () => {
  const r = await runCli(['driver', '--retained-jobs', '0', '--port', '0', '--web-port', '0'], { env: { SLUICE_SECRET: randomSecret(), SLUICE_SECRET_FILE: '' }, timeoutMs: 20_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /SLUICE_BAD_ARGUMENT.*--retained-jobs\) must be a whole number of finished jobs >= 1, got 0/);
});
