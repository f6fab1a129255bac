// Spark's "Configuration" guide, ported (README "Configuration: Spark's properties file"): a
// Spark user's spark-defaults.conf given to `sluice run`, `sluice submit` and `sluice driver`
// (--properties-file, or $SPARK_CONF_DIR/spark-defaults.conf), real processes on loopback.
// Each property taken changes what the job, the logs or the REST API show; each one refused
// fails the command before anything runs, naming where Sluice sets it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, freePort, pollUntil, runCli, type CliResult } from './harness.js';
import { randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

const SUM = fixture('submit-sum.ts');
const THROWS = fixture('always-throws.ts');
const env = { SLUICE_LOG_LEVEL: 'warn', SPARK_CONF_DIR: '' };
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-configuration-guide-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A properties file of these lines, in a directory of its own (as conf/spark-defaults.conf). */
function propertiesFile(name: string, lines: readonly string[]): string {
  const d = fs.mkdtempSync(path.join(dir, `${name}-`));
  const file = path.join(d, 'spark-defaults.conf');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The submit-sum fixture's SUM line and [sc.appName, sc.master]. */
function sumAndContext(r: CliResult): { sum: number; context: [string, string] } {
  const s = /^SUM (\d+) /m.exec(r.stdout);
  const c = /^CONTEXT (.*)$/m.exec(r.stdout);
  assert.ok(s && c, show(r));
  return { sum: Number(s[1]), context: JSON.parse(c[1]) as [string, string] };
}

/** 1 + 2 + ... + n, added up here. */
function sumTo(n: number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) s += i;
  return s;
}

test("sluice run --properties-file: spark.app.name, spark.master local[N] and spark.log.level in Spark's format become its options; spark.logConf lists them", async () => {
  const file = propertiesFile('run', [
    '# a Spark user\'s defaults: key, whitespace or = or :, value',
    'spark.app.name      counting-sheep',
    'spark.master=local[3]',
    '   spark.log.level : DEBUG',
    '! a comment too',
    'spark.logConf true',
    'hadoop.tmp.dir /tmp/h',
  ]);
  const r = await runCli(['run', '--properties-file', file, SUM, '10'], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(sumAndContext(r), { sum: sumTo(10), context: ['counting-sheep', 'local[3]'] });
  // spark.log.level DEBUG: the driver's debug lines (pino JSON, level 20) are on stderr.
  assert.ok(r.stderr.split('\n').some((l) => l.startsWith('{') && (JSON.parse(l) as { level: number }).level === 20), show(r));
  // spark.logConf: what was taken from the file, and as which option.
  assert.match(r.stderr, /properties from .*spark-defaults\.conf \(spark\.logConf\):\n {2}spark\.app\.name counting-sheep: --name counting-sheep\n {2}spark\.master local\[3\]: --workers 3\n {2}spark\.log\.level DEBUG: --log-level debug\n/, show(r));
  // A key outside spark.* is ignored with spark-submit's warning.
  assert.match(r.stderr, /Warning: Ignoring non-Spark config property: hadoop\.tmp\.dir/, show(r));

  // Without the file: the job file's name, local[2], and no debug line.
  const plain = await runCli(['run', SUM, '10'], { env, timeoutMs: 120_000 });
  assert.equal(plain.code, 0, show(plain));
  assert.deepEqual(sumAndContext(plain).context, ['submit-sum.ts', 'local[2]']);
  assert.ok(!plain.stderr.split('\n').some((l) => l.startsWith('{') && (JSON.parse(l) as { level: number }).level <= 20), show(plain));
});

test("precedence as Spark's: the command line's flags over the file; $SPARK_CONF_DIR/spark-defaults.conf when no --properties-file is given, not beside one", async () => {
  // spark.ui.port is sluice run's --web-port (the $SPARK_CONF_DIR file's, served by the run that reads
  // it); spark.ui.enabled false turns it off, the port named or not (the other file's: no run of it serves one).
  const [port, offPort] = [await freePort(), await freePort()];
  const confDir = path.dirname(propertiesFile('conf-dir', ['spark.app.name from-conf-dir', 'spark.master local[3]', `spark.ui.port ${port}`]));
  const own = propertiesFile('own', ['spark.app.name from-file', 'spark.logConf true', `spark.ui.port ${offPort}`, 'spark.ui.enabled false']);
  const noUi = (r: CliResult): void => assert.doesNotMatch(r.stderr, /web UI at/, show(r));
  // Flags over the file.
  const flags = await runCli(['run', '--name', 'from-flag', '--properties-file', own, SUM, '4'], { env, timeoutMs: 120_000 });
  assert.equal(flags.code, 0, show(flags));
  assert.deepEqual(sumAndContext(flags), { sum: sumTo(4), context: ['from-flag', 'local[2]'] });
  assert.match(flags.stderr, /spark\.app\.name from-file: --name from-file \(the command line's --name wins\)/, show(flags));
  noUi(flags);
  // $SPARK_CONF_DIR's spark-defaults.conf is read without --properties-file...
  const defaults = await runCli(['run', SUM, '4'], { env: { ...env, SPARK_CONF_DIR: confDir }, timeoutMs: 120_000 });
  assert.equal(defaults.code, 0, show(defaults));
  assert.deepEqual(sumAndContext(defaults).context, ['from-conf-dir', 'local[3]']);
  assert.match(defaults.stderr, new RegExp(`web UI at http://127\\.0\\.0\\.1:${port}/jobs/`), show(defaults));
  // ...and not with one: spark-submit reads one file or the other.
  const both = await runCli(['run', '--properties-file', own, SUM, '4'], { env: { ...env, SPARK_CONF_DIR: confDir }, timeoutMs: 120_000 });
  assert.equal(both.code, 0, show(both));
  assert.deepEqual(sumAndContext(both).context, ['from-file', 'local[2]']);
  noUi(both);
  // --conf as spark-submit's: over the file's line of that key, under the flag itself.
  const conf = await runCli(['run', '--properties-file', own, '--conf', 'spark.app.name=from-conf', '--conf', 'spark.master=local[3]', SUM, '4'], { env, timeoutMs: 120_000 });
  assert.equal(conf.code, 0, show(conf));
  assert.deepEqual(sumAndContext(conf), { sum: sumTo(4), context: ['from-conf', 'local[3]'] });
  assert.match(conf.stderr, /spark\.app\.name from-conf \(--conf\): --name from-conf\n/, show(conf));
  noUi(conf);
  const flagOverConf = await runCli(['run', '--conf', 'spark.app.name=from-conf', '--name', 'from-flag', SUM, '4'], { env, timeoutMs: 120_000 });
  assert.equal(flagOverConf.code, 0, show(flagOverConf));
  assert.deepEqual(sumAndContext(flagOverConf).context, ['from-flag', 'local[2]']);
});

test('a property sluice does not take fails the command before it runs, each one named with its line and where Sluice sets it', async () => {
  const file = propertiesFile('refused', [
    'spark.app.name fine',
    'spark.executor.memory 4g',
    'spark.serializer org.apache.spark.serializer.KryoSerializer',
    'spark.eventLog.enabled true',
    'spark.executorEnv.TZ Asia/Tokyo',
    'spark.ui.retainedJobs 50',
    'spark.dynamicAllocation.enabled true',
    'spark.submit.deployMode cluster',
    'spark.driver.port 7078',
    'spark.speculation yes',
    'spark.made.up 1',
    'spark.task.maxFailures none',
  ]);
  const r = await runCli(['run', '--properties-file', file, SUM, '4'], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, show(r));
  assert.equal(r.stdout, '', show(r));
  assert.match(r.stderr, /SLUICE_BAD_ARGUMENT\].*sets 11 properties that sluice run does not take, or not with that value; nothing ran/, show(r));
  for (const line of [
    /line 2: spark\.executor\.memory: 'sluice worker --memory 4g'/,
    /line 3: spark\.serializer: nothing to choose: records, tasks and blocks are v8-serialized/,
    /line 4: spark\.eventLog\.enabled: no event logs and no history server/,
    // One job's environment, but not a variable a task thread can set for one job.
    /line 5: spark\.executorEnv\.TZ: --conf spark\.executorEnv\.TZ: TZ cannot be one job's: the time zone is the whole worker process's/,
    /line 6: spark\.ui\.retainedJobs: not settable: .*max\(1000, 4 x --retained-batches\)/,
    /line 7: spark\.dynamicAllocation\.enabled: Sluice never starts or stops workers itself: .*sluice_desired_workers/,
    /line 8: spark\.submit\.deployMode: a job's program always runs in the driver process/,
    /line 9: spark\.driver\.port: a setting of sluice driver \(in its properties file and --conf too\); 'sluice driver --port 7078'/,
    /line 10: spark\.speculation: 'yes' is not a boolean: give true or false/,
    /line 11: spark\.made\.up: not a setting Sluice has/,
    // A property sluice run takes, with a value its option refuses: named with its line too.
    /line 12: spark\.task\.maxFailures: 'none' is refused as --task-max-failures: --task-max-failures must be a whole number >= 1, got 'none'/,
  ]) {
    assert.match(r.stderr, line, show(r));
  }
  assert.doesNotMatch(r.stderr, /line 1:/, show(r));

  // One alone is refused too; sluice run serves a UI only on a port given.
  const ui = await runCli(['run', '--properties-file', propertiesFile('ui', ['spark.ui.enabled true']), SUM, '4'], { env, timeoutMs: 60_000 });
  assert.equal(ui.code, 1, show(ui));
  assert.match(ui.stderr, /sets a property that sluice run does not take, or not with that value.*\n {2}line 1: spark\.ui\.enabled: sluice run serves its web UI only on a port given: 'sluice run --web-port PORT'/, show(ui));
  // A file named that is not there.
  const missing = await runCli(['run', '--properties-file', path.join(dir, 'nope.conf'), SUM, '4'], { env, timeoutMs: 60_000 });
  assert.equal(missing.code, 1, show(missing));
  assert.match(missing.stderr, /cannot read the properties file .*nope\.conf/, show(missing));
  // --conf goes through the same table: refused as the file's are, each named by its --conf; nothing runs.
  const conf = await runCli(['run', '--conf', 'spark.executorEnv.NODE_OPTIONS=--inspect', '--conf', 'spark.task.maxFailures=none', '--conf', 'spark.app.name=fine', SUM, '4'], { env, timeoutMs: 60_000 });
  assert.equal(conf.code, 1, show(conf));
  assert.equal(conf.stdout, '', show(conf));
  assert.match(conf.stderr, /sluice run: --conf sets 2 properties that sluice run does not take, or not with that value; nothing ran/, show(conf));
  assert.match(conf.stderr, /\n {2}--conf spark\.executorEnv\.NODE_OPTIONS: NODE_OPTIONS cannot be one job's: Node reads it once, when the worker process starts/, show(conf));
  assert.match(conf.stderr, /\n {2}--conf spark\.task\.maxFailures=none: 'none' is refused as --task-max-failures: --task-max-failures must be a whole number >= 1/, show(conf));
  assert.doesNotMatch(conf.stderr, /spark\.app\.name/, show(conf));
  // A file line and a --conf refused together, each named.
  const mixed = await runCli(['run', '--properties-file', propertiesFile('mixed', ['spark.made.up 1']), '--conf', 'spark.driver.port=7078', SUM, '4'], { env, timeoutMs: 60_000 });
  assert.equal(mixed.code, 1, show(mixed));
  assert.match(mixed.stderr, /the properties file .*spark-defaults\.conf \(--properties-file\) and --conf set 2 properties.*\n {2}line 1: spark\.made\.up: not a setting Sluice has.*\n {2}--conf spark\.driver\.port=7078: a setting of sluice driver \(in its properties file and --conf too\); 'sluice driver --port 7078'/, show(mixed));
});

test("sluice driver and sluice submit read their files: spark.driver.port, spark.ui.port and spark.task.maxFailures on the driver, spark.master spark://HOST:PORT and spark.app.name on submit", async () => {
  const secret = randomSecret();
  const [grpc, web] = [await freePort(), await freePort()];
  const driverFile = propertiesFile('driver', [`spark.driver.port ${grpc}`, `spark.ui.port ${web}`, 'spark.task.maxFailures 1']);
  let driver: SluiceProcess | undefined;
  let worker: SluiceProcess | undefined;
  try {
    driver = await spawnSluice(['driver', '--properties-file', driverFile, '--log-level', 'info'], secret, /driver listening/, { SPARK_CONF_DIR: '' });
    worker = await startWorkerProcess(`127.0.0.1:${grpc}`, secret);
    const submitEnv = { ...env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    const submitFile = propertiesFile('submit', [`spark.master spark://127.0.0.1:${grpc}`, 'spark.app.name guide-app']);
    // No --driver: spark.master gives it.
    const r = await runCli(['submit', '--properties-file', submitFile, SUM, '6'], { env: submitEnv, timeoutMs: 120_000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(sumAndContext(r), { sum: sumTo(6), context: ['guide-app', `127.0.0.1:${grpc}`] }); // sc.master: the driver's address, as submitting-guide has it
    // --conf spark.app.name over the file's; --name over both.
    const conf = await runCli(['submit', '--properties-file', submitFile, '--conf', 'spark.app.name=conf-app', SUM, '5'], { env: submitEnv, timeoutMs: 120_000 });
    assert.equal(conf.code, 0, show(conf));
    assert.deepEqual(sumAndContext(conf), { sum: sumTo(5), context: ['conf-app', `127.0.0.1:${grpc}`] });
    const named = await runCli(['submit', '--conf', `spark.master=spark://127.0.0.1:${grpc}`, '--conf', 'spark.app.name=conf-app', '--name', 'flag-app', SUM, '3'], { env: submitEnv, timeoutMs: 120_000 });
    assert.equal(named.code, 0, show(named));
    assert.deepEqual(sumAndContext(named), { sum: sumTo(3), context: ['flag-app', `127.0.0.1:${grpc}`] });
    // spark.ui.port: the driver's REST API is there, and lists the job under spark.app.name.
    const apps = await pollUntil(
      async () => {
        const res = await fetch(`http://127.0.0.1:${web}/api/v1/applications`);
        const list = (await res.json()) as { name: string }[];
        return ['guide-app', 'conf-app', 'flag-app'].every((n) => list.some((a) => a.name === n)) ? list : undefined;
      },
      30_000,
      'guide-app, conf-app and flag-app in /api/v1/applications',
    );
    assert.ok(apps.length >= 1);
    // Viewing Spark Properties: the application's environment lists what the driver and the job run with.
    const id = (apps as unknown as { id: string; name: string }[]).find((a) => a.name === 'guide-app')!.id;
    const envInfo = (await (await fetch(`http://127.0.0.1:${web}/api/v1/applications/${id}/environment`)).json()) as { sparkProperties: [string, string][]; runtime: { nodeVersion: string } };
    const props = new Map(envInfo.sparkProperties);
    assert.equal(props.get('spark.app.name'), 'guide-app');
    assert.equal(props.get('spark.app.id'), id);
    assert.equal(props.get('spark.driver.port'), String(grpc));
    assert.equal(props.get('spark.ui.port'), String(web));
    assert.equal(props.get('spark.task.maxFailures'), '1');
    assert.equal(props.get('spark.speculation'), 'false');
    assert.deepEqual(envInfo.sparkProperties.map(([k]) => k), [...props.keys()].sort(), 'sorted by key, as Spark lists them');
    assert.equal(envInfo.runtime.nodeVersion, process.versions.node);
    assert.ok(!JSON.stringify(envInfo).includes(secret), 'the secret is not listed');
    // spark.task.maxFailures 1: the first failed attempt fails the job.
    const failing = await runCli(['submit', '--driver', `127.0.0.1:${grpc}`, THROWS], { env: submitEnv, timeoutMs: 120_000 });
    assert.equal(failing.code, 1, show(failing));
    assert.match(failing.stderr, /Task 2 in stage \d+\.0 failed 1 times, most recent failure: Lost task 2\.0 /, show(failing));
    // A driver setting in submit's file is refused, naming the command that takes it.
    const wrong = await runCli(['submit', '--properties-file', propertiesFile('submit-wrong', ['spark.task.maxFailures 2']), '--driver', `127.0.0.1:${grpc}`, SUM, '3'], { env: submitEnv, timeoutMs: 60_000 });
    assert.equal(wrong.code, 1, show(wrong));
    assert.match(wrong.stderr, /line 1: spark\.task\.maxFailures: a setting of sluice run and sluice driver \(in its properties file and --conf too\); '--task-max-failures 2'/, show(wrong));
  } finally {
    await worker?.stop();
    await driver?.stop();
  }
});

test("sluice shell reads the file as spark-shell does: spark.master local[N] sizes its local cluster", async () => {
  const file = propertiesFile('shell', ['spark.master local[3]', 'spark.logConf true']);
  const r = await runCli(['shell', '--properties-file', file], { env, stdin: "console.log('SHELL', sc.master, sc.defaultParallelism)\n", timeoutMs: 120_000 });
  assert.equal(r.code, 0, show(r));
  // local[3]: 3 cores (3 workers of 1), as spark-shell's 3 threads.
  assert.match(r.stdout, /SHELL local\[3\] 3\b/, show(r));
  assert.match(r.stderr, /spark\.master local\[3\]: --workers 3\n/, show(r));
  // --conf as the file's line, over it.
  const conf = await runCli(['shell', '--properties-file', file, '--conf', 'spark.master=local[4]'], { env, stdin: "console.log('SHELL', sc.master, sc.defaultParallelism)\n", timeoutMs: 120_000 });
  assert.equal(conf.code, 0, show(conf));
  assert.match(conf.stdout, /SHELL local\[4\] 4\b/, show(conf));
  // A property of run's the shell has no option for is refused, naming where it is set.
  const name = await runCli(['shell', '--properties-file', propertiesFile('shell-name', ['spark.app.name repl'])], { env, stdin: '', timeoutMs: 60_000 });
  assert.equal(name.code, 1, show(name));
  assert.match(name.stderr, /line 1: spark\.app\.name: a setting of sluice run and sluice submit \(in its properties file and --conf too\); '--name repl'/, show(name));
});

test("a time in a file is read as Spark's JavaUtils.timeStringAs reads it, as --conf's are: no space between number and unit", async () => {
  // '5 s' Spark refuses ("Failed to parse time string"); so does the file, as --conf spark.locality.wait does
  // (one command names both).
  const r = await runCli(['run', '--properties-file', propertiesFile('time', ['spark.speculation.minTaskRuntime 5 s', 'spark.speculation.minTaskRuntime 5 s']), '--conf', 'spark.locality.wait=5 s', SUM, '4'], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /line 2: spark\.speculation\.minTaskRuntime: '5 s' is not a time: give '500ms', '10s', '2min'/, show(r));
  assert.match(r.stderr, /--conf spark\.locality\.wait=5 s: not a time/, show(r));
});

test("sluice submit with Spark's cluster-mode driver environment (YARN's and Kubernetes') says whose environment a submitted job's program reads and how to give one job a value", async () => {
  const r = await runCli(['submit', '--driver', '127.0.0.1:1', '--conf', 'spark.yarn.appMasterEnv.TIER=gold', '--conf', 'spark.kubernetes.driverEnv.TIER=gold', SUM], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /--conf sets 2 properties that sluice submit does not take/, show(r));
  for (const key of ['spark.yarn.appMasterEnv.TIER', 'spark.kubernetes.driverEnv.TIER']) {
    const esc = key.replace(/\./g, '\\.');
    assert.match(r.stderr, new RegExp(`\\n {2}--conf ${esc}=gold: the environment of the driver process, which a submitted job's program reads as process\\.env\\.TIER: 'TIER=gold sluice driver' .*does not get the environment of the shell that ran sluice submit .*pass the value as a job argument`), show(r));
  }
});

test("a --conf or properties-file refusal is its message and one line to the help, not the command's whole help after it", async () => {
  const cases: [string[], string][] = [
    [['submit', '--driver', '127.0.0.1:1', '--conf', 'spark.executorEnv.TZ=UTC', SUM], 'submit'],
    [['run', '--conf', 'spark.executorEnv.TZ=UTC', SUM], 'run'],
    [['run', '--properties-file', propertiesFile('help', ['spark.executorEnv.TZ UTC']), SUM], 'run'],
  ];
  for (const [args, command] of cases) {
    const r = await runCli(args, { env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /TZ cannot be one job's: .*'TZ=\.\.\. sluice worker'/, show(r));
    assert.ok(r.stderr.trimEnd().endsWith(`\nSee 'sluice ${command} --help'.`), show(r));
    assert.doesNotMatch(r.stderr, /Usage:|Options:/, show(r));
  }
  // An unknown option keeps commander's help after it.
  const unknown = await runCli(['run', '--no-such-option', SUM], { env, timeoutMs: 60_000 });
  assert.equal(unknown.code, 1, show(unknown));
  assert.match(unknown.stderr, /unknown option '--no-such-option'\n\nUsage: sluice run/, show(unknown));
});
