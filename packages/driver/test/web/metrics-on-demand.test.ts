import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pino } from 'pino';
import { DriverNode } from '../../src/driver-node.js';

// prom-client is CommonJS: once anything in this process imports it, its files are in the
// CommonJS loader's cache (an ES module's import of a CommonJS one goes through it too).
// The tests run in order in this file's own process; the first must come first.
const promClientLoaded = (): string[] => Object.keys(createRequire(import.meta.url).cache).filter((f) => /[\\/]prom-client[\\/]/.test(f));
const SECRET = 'metrics-on-demand-test-secret-32-chars';
/** (Read through a function: an assertion on the property itself would narrow its type for the rest of the test.) */
const metricsOf = (d: DriverNode): DriverNode['metrics'] => d.metrics;

test('a driver without a web port has no metrics and never loads prom-client', async () => {
  assert.deepEqual(promClientLoaded(), [], 'nothing loaded prom-client before the driver');
  const driver = new DriverNode({ security: { secret: SECRET }, log: pino({ level: 'silent' }), port: 0 });
  await driver.start();
  try {
    driver.registry.register('w-1', '127.0.0.1:1', 2);
    assert.equal(driver.metrics, undefined, 'nothing could read them: they are not made');
    assert.equal(driver.webPort, undefined);
  } finally {
    await driver.stop();
  }
  assert.deepEqual(promClientLoaded(), [], 'the driver started and stopped without loading prom-client');
});

test('a driver with a web port makes its metrics as it starts and serves them', async () => {
  const driver = new DriverNode({ security: { secret: SECRET }, log: pino({ level: 'silent' }), port: 0, webPort: 0 });
  assert.equal(metricsOf(driver), undefined, 'made by start(), not the constructor');
  await driver.start();
  try {
    assert.ok(driver.metrics, 'made by start()');
    assert.notDeepEqual(promClientLoaded(), [], 'prom-client loaded (so the first test could see it)');
    driver.registry.register('w-1', '127.0.0.1:1', 2);
    const served = await (await fetch(`http://127.0.0.1:${driver.webPort}/metrics`)).text();
    assert.match(served, /^sluice_workers 1$/m);
    assert.match(served, /^sluice_worker_cores\{worker="w-1"\} 2$/m);
    assert.match(served, /^# TYPE sluice_driver_process_cpu_seconds_total counter$/m, "prom-client's default metrics, with the driver's prefix");
    assert.match(served, /^# TYPE sluice_tasks_completed_total counter$/m, "the schedulers' event series are registered");
    assert.match(await driver.metrics.text(), /^sluice_worker_cores\{worker="w-1"\} 2$/m, 'driver.metrics is the registry served');
  } finally {
    await driver.stop();
  }
});
