// The Environment (REST environment's sparkProperties and the Environment tab) lists the keys
// Spark's lists for every application, with the values that hold: spark.driver.host and
// spark.driver.port (where the driver listens), spark.executor.id (driver: the program runs in
// the driver's process), spark.submit.deployMode (client, as the program's sc.deployMode says),
// spark.app.id, spark.app.name and spark.app.startTime, and spark.default.parallelism where it
// was set: the job's own (`sluice submit --conf`) over the driver's (`sluice driver --conf`),
// absent when neither set it (Spark lists it only then). Each is compared with what the test
// gave the processes or with what the job's own program says (fixtures/driver-keys.ts: its
// sc.applicationId, sc.appName, sc.deployMode, sc.defaultParallelism and a reduceByKey's
// partitions). The page is read in Chromium; screenshot test-artifacts/ui-environment-driver-keys.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, freePort, pollUntil, runCli, type CliResult } from './harness.js';
import { randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

interface Context {
  readonly id: string;
  readonly name: string;
  readonly deployMode: string;
  readonly defaultParallelism: number;
  readonly reducePartitions: number;
}

function contextOf(r: CliResult): Context {
  const line = r.stdout.split('\n').find((l) => l.startsWith('CONTEXT '));
  assert.ok(line, `the job printed its context:\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  return JSON.parse(line.slice('CONTEXT '.length)) as Context;
}

function propertyRows(page: Page): Promise<[string, string][]> {
  return inPage<[string, string][]>(page, `[...document.querySelectorAll('#spark-properties tbody tr')].map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])`);
}

test('the Environment lists spark.driver.host/port, spark.executor.id, spark.submit.deployMode, spark.app.* and the spark.default.parallelism that applies', { timeout: 200_000 }, async () => {
  const secret = randomSecret();
  const [grpc, web] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-driver-keys-'));
  const release = path.join(dir, 'release');
  const env = { SLUICE_LOG_LEVEL: 'warn', SPARK_CONF_DIR: '', SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  let driver: SluiceProcess | undefined;
  let worker: SluiceProcess | undefined;
  const runs: Promise<CliResult>[] = [];
  const browser = await launchChromium();
  try {
    driver = await spawnSluice(['driver', '--port', String(grpc), '--web-port', String(web), '--conf', 'spark.default.parallelism=5', '--log-level', 'info'], secret, /driver listening/, { SPARK_CONF_DIR: '' });
    worker = await startWorkerProcess(`127.0.0.1:${grpc}`, secret);
    const before = Date.now();
    // keys-own sets its own parallelism; keys-driver's is the driver's.
    runs.push(runCli(['submit', '--driver', `127.0.0.1:${grpc}`, '--name', 'keys-own', '--conf', 'spark.default.parallelism=3', fixture('driver-keys.ts'), release], { env, timeoutMs: 150_000 }));
    runs.push(runCli(['submit', '--driver', `127.0.0.1:${grpc}`, '--name', 'keys-driver', fixture('driver-keys.ts'), release], { env, timeoutMs: 150_000 }));
    const root = `http://127.0.0.1:${web}`;
    const apps = await pollUntil(
      async () => {
        const list = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string; name: string }[];
        return list.length === 2 ? list : undefined;
      },
      60_000,
      'both jobs in /api/v1/applications',
    );
    const after = Date.now();
    const props = new Map<string, Map<string, string>>();
    for (const app of apps) {
      const envInfo = (await (await fetch(`${root}/api/v1/applications/${app.id}/environment`)).json()) as { sparkProperties: [string, string][] };
      props.set(app.name, new Map(envInfo.sparkProperties));
    }
    // The page lists the same, in the same order (keys-own's).
    const own = apps.find((a) => a.name === 'keys-own')!;
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await page.goto(`${root}/jobs/${own.id}/environment/`);
    const shown = await propertyRows(page);
    assert.deepEqual(new Map(shown), props.get('keys-own'), 'the page lists what REST lists');
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-environment-driver-keys.png'), fullPage: true });
    fs.writeFileSync(release, '');
    const [ownRun, driverRun] = await Promise.all(runs);
    assert.equal(ownRun.code, 0, ownRun.stderr.slice(-3000));
    assert.equal(driverRun.code, 0, driverRun.stderr.slice(-3000));
    for (const [r, parallelism] of [[ownRun, 3], [driverRun, 5]] as const) {
      const c = contextOf(r);
      const p = props.get(c.name)!;
      assert.ok(p, `${c.name} was listed`);
      assert.equal(p.get('spark.app.id'), c.id, `${c.name}: sc.applicationId`);
      assert.equal(p.get('spark.app.name'), c.name);
      const start = Number(p.get('spark.app.startTime'));
      assert.ok(start >= before && start <= after, `${c.name}: spark.app.startTime ${start} within the submit's ${before}..${after}`);
      assert.equal(p.get('spark.driver.host'), '127.0.0.1', 'the address the driver listens on (its --bind, loopback by default)');
      assert.equal(p.get('spark.driver.port'), String(grpc));
      assert.equal(p.get('spark.executor.id'), 'driver');
      assert.equal(p.get('spark.submit.deployMode'), c.deployMode, 'as the program\'s sc.deployMode');
      assert.equal(c.deployMode, 'client');
      // As it applies: the program's sc.defaultParallelism and a reduceByKey's partitions are the listed value.
      assert.equal(p.get('spark.default.parallelism'), String(parallelism), `${c.name}: its spark.default.parallelism`);
      assert.deepEqual([c.defaultParallelism, c.reducePartitions], [parallelism, parallelism], `${c.name}: the program runs with it`);
    }
    const listed = shown.map(([k]) => k);
    for (const k of ['spark.driver.host', 'spark.driver.port', 'spark.executor.id', 'spark.submit.deployMode', 'spark.app.id', 'spark.app.name', 'spark.app.startTime', 'spark.default.parallelism']) {
      assert.ok(listed.includes(k), `the page lists ${k}`);
    }
    assert.deepEqual(shown.find(([k]) => k === 'spark.default.parallelism'), ['spark.default.parallelism', '3'], 'the page: keys-own\'s own');
  } finally {
    fs.writeFileSync(release, '');
    await Promise.allSettled(runs);
    await browser.close();
    await worker?.stop();
    await driver?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without spark.default.parallelism the Environment does not list it, and the program runs with the cluster\'s cores (at least 2)', { timeout: 120_000 }, async () => {
  const web = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'env-driver-keys-run-'));
  const release = path.join(dir, 'release');
  const running = runCli(['run', '--workers', '1', '--web-port', String(web), '--name', 'keys-run', fixture('driver-keys.ts'), release], { env: { SLUICE_LOG_LEVEL: 'warn', SPARK_CONF_DIR: '' }, timeoutMs: 100_000 });
  try {
    const root = `http://127.0.0.1:${web}`;
    const [app] = await pollUntil(
      async () => {
        const list = await fetch(`${root}/api/v1/applications`).then((r) => r.json() as Promise<{ id: string }[]>, () => undefined);
        return list !== undefined && list.length === 1 ? list : undefined;
      },
      60_000,
      'the job in /api/v1/applications',
    );
    const envInfo = (await (await fetch(`${root}/api/v1/applications/${app.id}/environment`)).json()) as { sparkProperties: [string, string][] };
    const p = new Map(envInfo.sparkProperties);
    fs.writeFileSync(release, '');
    const r = await running;
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const c = contextOf(r);
    assert.equal(p.get('spark.default.parallelism'), undefined, 'not set: not listed');
    // One worker of 1 core: the default is max(2, 1).
    assert.deepEqual([c.defaultParallelism, c.reducePartitions], [2, 2]);
    assert.equal(p.get('spark.executor.id'), 'driver');
    assert.equal(p.get('spark.submit.deployMode'), 'client');
    assert.equal(p.get('spark.driver.host'), '127.0.0.1');
    assert.equal(p.get('spark.app.id'), c.id);
  } finally {
    fs.writeFileSync(release, '');
    await running;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
