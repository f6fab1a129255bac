// What a spark-submit user passes to `sluice submit` that Sluice has no setting for, each
// refused before anything runs, naming what Sluice has instead (no driver is needed: the
// refusal comes first): whole families of keys (spark.hadoop.*, spark.sql.*, spark.yarn.*,
// spark.kubernetes.*), spark.checkpoint.dir and spark.scheduler.pool (settings of the job's
// code), and spark-submit's --version.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { runCli } from './harness.js';

const env = { SLUICE_SECRET: crypto.randomBytes(16).toString('hex'), SLUICE_SECRET_FILE: '' };

test('sluice submit refuses the Spark key families and code settings a spark-submit user passes, each naming where Sluice has it', async () => {
  const confs: [string, RegExp][] = [
    ['spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9000', /: Hadoop's fs\.s3a\.endpoint: there is no Hadoop: S3 goes through the AWS SDK, .*AWS_ENDPOINT_URL.*configureS3\(\{ endpoint, region, credentials \}\) of @sluice\/s3/],
    ['spark.sql.shuffle.partitions=8', /: Spark SQL's: Sluice has no DataFrames or SQL: .*reduceByKey\(f, n\)/],
    ['spark.yarn.queue=etl', /: no YARN: workers are 'sluice worker' processes/],
    ['spark.kubernetes.namespace=spark', /: Sluice starts no pods: deploy\/ has manifests/],
    ['spark.checkpoint.dir=/data/ckpt', /: sc\.setCheckpointDir\('\/data\/ckpt'\) in the job \(a stream's: ssc\.checkpoint\('\/data\/ckpt'\)/],
    ['spark.scheduler.pool=reports', /: sc\.setLocalProperty\('spark\.scheduler\.pool', 'reports'\) in the job/],
  ];
  const r = await runCli(['submit', '--driver', '127.0.0.1:1', ...confs.flatMap(([c]) => ['--conf', c]), 'job.ts'], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error \[SLUICE_BAD_ARGUMENT\]: sluice submit: --conf sets 6 properties that sluice submit does not take/);
  const lines = r.stderr.split('\n');
  for (const [conf, why] of confs) {
    const line = lines.find((l) => l.startsWith(`  --conf ${conf}: `));
    assert.ok(line, `a line for ${conf}:\n${r.stderr}`);
    assert.match(line, why);
    assert.doesNotMatch(line, /not a setting Sluice has/);
  }
  // spark.kubernetes.driverEnv.* keeps its own answer (the driver's environment), not the family's.
  const env2 = await runCli(['submit', '--driver', '127.0.0.1:1', '--conf', 'spark.kubernetes.driverEnv.MODE=x', 'job.ts'], { env, timeoutMs: 60_000 });
  assert.match(env2.stderr, /the environment of the driver process/);

  const version = await runCli(['submit', '--version'], { env, timeoutMs: 60_000 });
  assert.equal(version.code, 1);
  assert.match(version.stderr, /^error: unknown option '--version' \(spark-submit's\): 'sluice --version' \(or 'sluice -V'\) prints the version of sluice\./);
});
