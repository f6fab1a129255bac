/**
 * @sluice/test-servers (private, tests only): real servers from Debian's packages for the
 * connector tests, each started once per test file on a free loopback port in a temp dir
 * and stopped by PID.
 *
 *   const pg = await startPostgres({ password: 'secret' });   // postgresql
 *   const redis = await startRedis({ password: 'secret' });   // redis-server
 *   ...
 *   await Promise.all([pg.stop(), redis.stop()]);
 *
 * scripts/test.sh installs both packages when they are missing.
 *
 * Beside this entry (which loads no Sluice package):
 *  - `@sluice/test-servers/job-runner`: a fixture job on a LocalCluster (startCluster,
 *    startJob, fixturesOf, jsonLines), for the connector packages' tests;
 *  - `@sluice/test-servers/sink-input`: the sink tests' seeded input, which their fixture
 *    jobs import too (bundled into the job);
 *  - `@sluice/test-servers/recovered-sink` (the scenario: a sink's server down across a killed
 *    driver's recovery) and `@sluice/test-servers/recovered-sink-job` (its fixtures' frame);
 *  - `@sluice/test-servers/sink-driver-kill` (the scenario: a driver killed by its sink at a
 *    bad moment, the job run again on its checkpoint), over the same frame;
 *  - `@sluice/test-servers/sink-driver-pause` (the scenario: a driver frozen by its sink at a
 *    bad moment, then woken), over the same frame;
 *  - `@sluice/test-servers/worker-pause` and `@sluice/test-servers/driver-pause`: what the
 *    receiver connectors' worker and driver SIGSTOP tests share (the file's cluster or runs,
 *    the freeze, the receiver's moves, the checks of a woken driver).
 */
export { startPostgres, type PostgresServer, type PostgresServerOptions } from './postgres-server.js';
export { startRedis, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { freePort } from '@sluice/test-disk/free-port';
export { mulberry32 } from './prng.js';
