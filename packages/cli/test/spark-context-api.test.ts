// SparkContext's small public members added on 2026-12-05 (api2), each against Spark's
// SparkContext.scala (read, not copied):
// - version: Spark's SPARK_VERSION; Sluice's is @sluice/core's package.json version.
// - isLocal: master.startsWith("local"): `sluice run` (local[N]) yes, a driver's HOST:PORT no.
// - startTime: System.currentTimeMillis() when the context was made, before the program ran.
// - listJars: the jars addJar added; addJar is refused in Sluice, so none.
// - getCheckpointDir: None before setCheckpointDir, then the directory (Spark's a UUID child of it).
// - sparkUser: SPARK_USER, else the current user; setInterruptOnCancel: the local property
//   spark.job.interruptOnCancel as "true"/"false"; getSchedulingMode: FIFO unless set.
// - setLogLevel: upper-cases its argument, require(VALID_LOG_LEVELS contains it, "Supplied level
//   $logLevel did not match one of: ALL,DEBUG,ERROR,FATAL,TRACE,WARN,INFO,OFF" (the Set's printed
//   order)), then log4j's threshold: a WARN message shows at ALL..WARN, not at ERROR, FATAL, OFF.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture, runCli, withCluster } from './harness.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-context-api-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
const coreVersion = (JSON.parse(fs.readFileSync(new URL('../../../core/package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What the run's not-provided case printed (the first test runs the job). */
let notProvided: Record<string, { code: string; message: string } | null> = {};

function caseLine<T>(stdout: string, c: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith(`X ${c} `));
  assert.ok(line, stdout);
  return JSON.parse(line.slice(`X ${c} `.length)) as T;
}

interface ContextCase {
  version: string;
  isLocal: boolean;
  master: string;
  startTime: number;
  programStart: number;
  listJars: string[];
  before: string | null;
  absolute: string;
  fromUri: string;
  uiWebUrl: string | null;
  deployMode: string;
}

test('sluice run: version, isLocal (local[N]), startTime, listJars, getCheckpointDir, sparkUser, setInterruptOnCancel, getSchedulingMode; setLogLevel drops the program\'s warnings below its level', async () => {
  const dir = path.join(scratch, 'run');
  fs.mkdirSync(dir);
  const launched = Date.now();
  const r = await runCli(['run', '--workers', '1', fixture('spark-context-api.ts'), dir], { timeoutMs: 180_000, env: { ...process.env, SPARK_USER: 'sparky' } });
  assert.equal(r.code, 0, r.stderr);
  const c = caseLine<ContextCase>(r.stdout, 'context');
  assert.equal(c.version, coreVersion);
  assert.equal(c.isLocal, true);
  assert.match(c.master, /^local\[\d+\]$/);
  assert.ok(c.startTime >= launched && c.startTime <= c.programStart, JSON.stringify({ launched, ...c }));
  assert.deepEqual(c.listJars, []);
  assert.equal(c.before, null);
  assert.equal(c.absolute, path.join(dir, 'ck'));
  assert.equal(c.fromUri, path.join(dir, 'ck2'));
  // sluice run has no web UI unless --web-port: Spark's uiWebUrl is None with the UI off.
  assert.equal(c.uiWebUrl, null);
  assert.equal(c.deployMode, 'client');

  const m = caseLine<{ sparkUser: string; interruptBefore: string | null; interruptTrue: string; interruptFalse: string; badInterrupt: string | null; modes: string[] }>(r.stdout, 'more');
  assert.deepEqual(m, { sparkUser: 'sparky', interruptBefore: null, interruptTrue: 'true', interruptFalse: 'false', badInterrupt: 'SLUICE_BAD_ARGUMENT', modes: ['FIFO', 'FAIR', 'FIFO'] });
  notProvided = caseLine<Record<string, { code: string; message: string } | null>>(r.stdout, 'not-provided');
  const l = caseLine<{ ids: Record<string, number>; errors: ({ code: string; message: string } | null)[] }>(r.stdout, 'log-level');
  // The warning's RDD ids that reached the driver's log (stderr, JSON lines), level by level.
  const logged = new Set(
    r.stderr.split('\n').flatMap((line) => {
      if (!line.includes('rdd.checkpoint() ignored')) return [];
      return [(JSON.parse(line) as { rddId: number }).rddId];
    }),
  );
  const shown = Object.entries(l.ids).filter(([, id]) => logged.has(id)).map(([level]) => level);
  assert.deepEqual(shown, ['ALL', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'warn']);
  assert.equal(l.errors.length, 3);
  for (const [i, bad] of ['verbose', ''].entries()) {
    assert.equal(l.errors[i]?.code, 'SLUICE_BAD_ARGUMENT');
    assert.ok(l.errors[i]?.message.includes(`(Spark: "Supplied level ${bad} did not match one of: ALL,DEBUG,ERROR,FATAL,TRACE,WARN,INFO,OFF")`), l.errors[i]?.message);
  }
  assert.equal(l.errors[2]?.code, 'SLUICE_BAD_ARGUMENT');
  assert.ok(!l.errors[2]?.message.includes('Spark:'), l.errors[2]?.message);
});

test("Spark's methods that need Hadoop or the JVM, called by name, are SLUICE_BAD_ARGUMENT naming what to use instead", () => {
  const r = notProvided;
  const expected: Record<string, RegExp> = {
    'rdd.saveAsSequenceFile': /saveAsObjectFile/,
    'rdd.saveAsHadoopFile': /saveAsTextFile/,
    'rdd.saveAsNewAPIHadoopFile': /saveAsTextFile/,
    'rdd.saveAsHadoopDataset': /foreachPartition/,
    'rdd.saveAsNewAPIHadoopDataset': /foreachPartition/,
    'rdd.barrier': /barrier execution mode .*coalesce\(1\)/,
    'rdd.withResources': /--cores/,
    'sc.sequenceFile': /sc\.objectFile/,
    'sc.hadoopFile': /sc\.textFile/,
    'sc.newAPIHadoopFile': /sc\.textFile/,
    'sc.hadoopRDD': /sc\.binaryFiles/,
    'sc.newAPIHadoopRDD': /connector/,
    'sc.getConf': /no SparkConf.*sc\.appName/,
    'dstream.saveAsHadoopFiles': /saveAsTextFiles/,
    'dstream.saveAsNewAPIHadoopFiles': /foreachRDD/,
  };
  assert.deepEqual(Object.keys(r).sort(), Object.keys(expected).sort());
  for (const [name, re] of Object.entries(expected)) {
    const e = r[name];
    assert.equal(e?.code, 'SLUICE_BAD_ARGUMENT', `${name}: ${JSON.stringify(e)}`);
    assert.ok(e.message.startsWith(name.replace(/^rdd\.barrier$/, 'rdd.barrier()').replace(/^sc\.getConf$/, 'sc.getConf()') + ' is not provided: '), e.message);
    assert.match(e.message, re);
  }
});

test('sluice submit to a driver: isLocal is false (master is the driver\'s HOST:PORT)', async () => {
  const dir = path.join(scratch, 'submit');
  fs.mkdirSync(dir);
  // No master given: the driver's address, as a job `sluice submit` gave it sees it.
  let webPort: number | undefined;
  const run = await withCluster({ workers: 1, driver: { webPort: 0, master: undefined } }, (h) => {
    webPort = h.cluster.driver.webPort;
    return h.run(fixture('spark-context-api.ts'), [dir, 'context,more']);
  });
  assert.ok(run.ok, String(run.failure));
  const c = caseLine<ContextCase>(run.lines.join('\n'), 'context');
  assert.equal(c.uiWebUrl, `http://127.0.0.1:${String(webPort)}`);
  assert.equal(c.deployMode, 'client');
  assert.equal(c.isLocal, false);
  // No SPARK_USER: the user the driver runs as, this test's.
  const m = caseLine<{ sparkUser: string }>(run.lines.join('\n'), 'more');
  assert.equal(m.sparkUser, process.env.SPARK_USER ?? os.userInfo().username);
  assert.match(c.master, /^127\.0\.0\.1:\d+$/);
  assert.equal(c.version, coreVersion);
});
