// Kafka brokers that cannot be reached, as a user meets them in `sluice run`: the job fails at
// its start (SLUICE_UNREACHABLE naming the brokers) and says why each could not be reached: a
// host name that does not resolve (`nonexistent.invalid`: never looked up outside this machine's
// resolver) reads "getaddrinfo ENOTFOUND", a port nothing listens on "connect ECONNREFUSED".
// Before, both read only "metadata failed 4 times: Cannot connect to any broker", the socket's
// error three levels down in @platformatic/kafka's errors, where MQTT, Kinesis, S3, Redis and
// Postgres all name it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { exitWithin, fixture, freePort, runDriverProcess, type DriverProcess } from './job-runner.js';

const runs: DriverProcess[] = [];

after(async () => {
  for (const r of runs) await r.kill9();
});

async function failure(brokers: string[]): Promise<string> {
  const run = runDriverProcess(fixture('count-job.ts'), [JSON.stringify({ brokers, topics: ['x'], groupId: 'g', batchMs: 500, expectTotal: 1, retryTimeoutMs: 1000 })], 1);
  runs.push(run);
  const code = await exitWithin(run, 90_000);
  assert.equal(code, 1, `sluice run exits 1 (got ${code}):\n${run.stderr()}`);
  return run.stderr();
}

test('sluice run: an unresolvable broker host and a closed port are each named by the socket error', { timeout: 200_000 }, async () => {
  const closed = await freePort();
  const stderr = await failure(['nonexistent.invalid:9092', `127.0.0.1:${closed}`]);
  const line = stderr.split('\n').find((l) => l.includes('cannot reach Kafka brokers')) ?? '';
  assert.match(line, new RegExp(`SLUICE_UNREACHABLE\\]?:? KafkaUtils\\.createDirectStream: cannot reach Kafka brokers nonexistent\\.invalid:9092,127\\.0\\.0\\.1:${closed} \\(reading metadata\\): `), stderr);
  assert.ok(line.includes('getaddrinfo ENOTFOUND nonexistent.invalid'), `the host name that does not resolve: ${line}`);
  assert.ok(line.includes(`connect ECONNREFUSED 127.0.0.1:${closed}`), `the closed port: ${line}`);
});

test("sluice run: a broker written as a listener URL (PLAINTEXT://host:port) fails at the start naming the address and the form to write", { timeout: 200_000 }, async () => {
  const stderr = await failure(['PLAINTEXT://127.0.0.1:9092']);
  const line = stderr.split('\n').find((l) => l.includes('broker address')) ?? '';
  assert.match(line, /SLUICE_BAD_ARGUMENT.*broker address: got "PLAINTEXT:\/\/127\.0\.0\.1:9092"; write it without the scheme, as 'host:port': '127\.0\.0\.1:9092'/, stderr);
});
