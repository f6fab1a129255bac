import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { DriverNode } from '../../src/driver-node.js';

test('the driver serves a status page, Prometheus metrics and a health check', async () => {
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
  } finally {
    await driver.stop();
  }
});
