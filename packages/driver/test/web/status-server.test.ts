import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { DriverNode } from '../../src/driver-node.js';

test('the driver serves a status page, Prometheus metrics, a health check and an empty favicon', async () => {
  const driver = new DriverNode({ security: { secret: 'status-server-test-secret-32-chars' }, log: pino({ level: 'silent' }), port: 0, webPort: 0 });
  await driver.start();
  try {
    const base = `http://127.0.0.1:${driver.webPort}`;
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    driver.registry.register('w-1', '127.0.0.1:1', 3);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^sluice_workers 1$/m);
    assert.match(metrics, /^sluice_worker_cores\{worker="w-1"\} 3$/m);
    assert.match(metrics, /# TYPE sluice_last_batch_total_delay_ms gauge/);
    const page = await (await fetch(`${base}/`)).text();
    assert.match(page, /<td>w-1<\/td>/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    // The icon a browser asks for with each page: none, without the 404 Chromium logs as a console error.
    const icon = await fetch(`${base}/favicon.ico`);
    assert.equal(icon.status, 204);
    assert.equal((await icon.arrayBuffer()).byteLength, 0);
  } finally {
    await driver.stop();
  }
});

test('the web UI serves uPlot from node_modules, and refuses a bad retainedBatches naming it', async () => {
  const log = pino({ level: 'silent' });
  for (const bad of [0, -1, 1.5]) {
    assert.throws(
      () => new DriverNode({ security: { secret: 'status-server-test-secret-32-chars' }, log, port: 0, retainedBatches: bad }),
      (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message.includes(`retainedBatches (sluice driver --retained-batches) must be a whole number of batches >= 1, got ${bad}`),
    );
  }
  const driver = new DriverNode({ security: { secret: 'status-server-test-secret-32-chars' }, log, port: 0, webPort: 0 });
  await driver.start();
  try {
    const base = `http://127.0.0.1:${driver.webPort}`;
    const js = await fetch(`${base}/static/uPlot.iife.min.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(await js.text(), /uPlot/);
    assert.equal((await fetch(`${base}/static/..%2Fpackage.json`)).status, 404, 'only the listed assets');
    assert.equal((await fetch(`${base}/static/constructor`)).status, 404);
    assert.deepEqual(await (await fetch(`${base}/api/v1/applications`)).json(), []);
    assert.equal((await fetch(`${base}/jobs/nope/streaming/`)).status, 404);
    assert.equal((await fetch(`${base}/api/v1/applications`, { method: 'POST' })).status, 405);
  } finally {
    await driver.stop();
  }
});
