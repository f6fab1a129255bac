// The `sluice` command line as a user types it: --version, each command's own options in
// its --help (and a clear refusal of the others), and job arguments after the job file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_DIR, fixture, runCli, type CliResult } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

const JOB = fixture('print-args.ts');

/** The arguments the print-args fixture reported (and that its one action counted as many). */
function argsOf(r: CliResult): string[] {
  const m = /^ARGS (.*) (\d+)$/m.exec(r.stdout);
  assert.ok(m, `no ARGS line\n${show(r)}`);
  const args = JSON.parse(m[1]) as string[];
  assert.equal(Number(m[2]), args.length, 'the action on the cluster counted the arguments');
  return args;
}

/** The long flags a command's --help lists. */
function helpFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).sort();
}

const secret = randomSecret();
const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };
let driver: SluiceProcess & { address: string };
let worker: SluiceProcess;

before(async () => {
  driver = await startDriverProcess(secret);
  worker = await startWorkerProcess(driver.address, secret);
});
after(async () => {
  await worker?.stop();
  await driver?.stop();
});

test('sluice --version and -V print the version in packages/cli/package.json', async () => {
  const version = (JSON.parse(fs.readFileSync(path.join(CLI_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  assert.match(version, /^\d+\.\d+\.\d+/);
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, `${version}\n`);
  }
});

test("each client command's --help lists only the options it uses; the servers keep theirs", async () => {
  const client = ['--driver', '--help', '--secret-file', '--tls-ca'];
  const expected: Record<string, string[]> = {
    jobs: client,
    workers: client,
    stop: [...client, '--graceful'],
    attach: client,
    submit: [...client, '--conf', '--detach', '--max-restarts', '--name', '--no-progress', '--properties-file', '--supervise', '--task-timeout', '--typecheck'],
    run: ['--conf', '--cores', '--help', '--log-level', '--max-result-size', '--name', '--no-progress', '--no-shuffle-checksum', '--properties-file', '--retained-batches', '--shuffle-compress', '--shuffle-spill-records', '--speculation', '--speculation-min-runtime', '--speculation-multiplier', '--speculation-quantile', '--stage-max-consecutive-attempts', '--stop-gracefully-on-shutdown', '--task-max-failures', '--task-timeout', '--typecheck', '--web-port', '--workers'],
  };
  for (const [cmd, flags] of Object.entries(expected)) {
    const r = await runCli([cmd, '--help'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^Usage: sluice ${cmd} `, 'm'));
    assert.deepEqual(helpFlags(r.stdout), [...flags].sort(), `sluice ${cmd} --help:\n${r.stdout}`);
  }
  for (const cmd of ['driver', 'worker']) {
    const r = await runCli([cmd, '--help'], { timeoutMs: 20_000 });
    for (const f of ['--log-level', '--secret-file', '--tls-cert', '--tls-key', '--tls-ca']) assert.ok(helpFlags(r.stdout).includes(f), `sluice ${cmd} --help lists ${f}:\n${r.stdout}`);
  }
});

/** Each command line fails at once (exit 1, nothing run) with its pattern on stderr. */
async function assertRefused(cases: readonly (readonly [string[], RegExp])[]): Promise<void> {
  for (const [args, pattern] of cases) {
    const r = await runCli(args, { env, timeoutMs: 20_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, pattern, show(r));
    assert.equal(r.stdout, '', 'nothing ran');
  }
}

test('a client command refuses an option it does not use, naming the commands that take it', async () => {
  const cases: [string[], RegExp][] = [
    [['jobs', '--driver', driver.address, '--tls-cert', 'c.pem'], /sluice jobs does not take --tls-cert \(an option of sluice driver, sluice worker\): a client presents no certificate; give the CA .* with --tls-ca/],
    [['workers', '--driver', driver.address, '--tls-key', 'k.pem'], /sluice workers does not take --tls-key \(an option of sluice driver, sluice worker\)/],
    [['stop', 'job-x', '--driver', driver.address, '--log-level', 'info'], /sluice stop does not take --log-level \(an option of sluice driver, sluice worker, sluice run, sluice shell\): it logs nothing/],
    [['submit', '--driver', driver.address, '--workers', '2', JOB], /sluice submit does not take --workers \(an option of sluice run, sluice shell\)/],
    [['jobs', '--driver', driver.address, '--no-such-option'], /unknown option '--no-such-option'/],
  ];
  await assertRefused(cases);
  const none = await runCli(['jobs'], { env, timeoutMs: 20_000 });
  assert.equal(none.code, 1, show(none));
  assert.match(none.stderr, /SLUICE_BAD_ARGUMENT.*sluice jobs needs --driver HOST:PORT/);
  assert.doesNotMatch(none.stderr, /sluice run/, 'only submit has a job to run locally');
  const noDriver = await runCli(['submit', JOB], { env, timeoutMs: 20_000 });
  assert.equal(noDriver.code, 1, show(noDriver));
  assert.match(noDriver.stderr, /SLUICE_BAD_ARGUMENT.*sluice submit needs --driver HOST:PORT, the address of a running `sluice driver` \(or run the job on a local cluster of its own, as spark-submit --master local\[N\]: sluice run job\.ts\)/, show(noDriver));
});

test("spark-submit's options (--master, --num-executors, --conf), a spark:// driver address and --checkpoint (set in the job) are refused saying what Sluice has instead", async () => {
  const cases: [string[], RegExp][] = [
    [['submit', '--master', `spark://${driver.address}`, JOB], /unknown option '--master' \(spark-submit's\): Sluice has no master URL: 'sluice submit --driver HOST:PORT job\.ts' .* 'sluice run job\.ts' runs it on a local cluster .*'sluice run --workers N'\); for --master spark:\/\/[\d.:]+, 'sluice submit --driver [\d.:]+ job\.ts'\. See 'sluice submit --help'/],
    [['run', '--num-executors', '3', JOB], /unknown option '--num-executors' \(spark-submit's\): workers are processes: 'sluice run --workers N'/],
    [['run', '--conf', 'spark.streaming.backpressure.enabled=true', JOB], /SLUICE_BAD_ARGUMENT\]: sluice run: --conf sets a property that sluice run does not take, or not with that value; nothing ran\. Set each where it says, or remove it:\n {2}--conf spark\.streaming\.backpressure\.enabled=true: new StreamingContext\(sc, batch, \{ backpressure: true \}\) in the job\nSee 'sluice run --help'\./],
    // initialRate alone: Spark's receivers keep to it with backpressure off (RateLimiter.getInitialRateLimit)
    [['run', '--conf', 'spark.streaming.backpressure.initialRate=500', JOB], /--conf spark\.streaming\.backpressure\.initialRate=500: new StreamingContext\(sc, batch, \{ backpressure: \{ initialRate: 500 \} \}\) in the job; without backpressure Spark's receivers keep to it for good, which is \{ receiverMaxRate: 500 \}\nSee 'sluice run --help'\./],
    // submit's --conf takes what its properties file takes: a key run and driver take names them
    [['submit', '--driver', driver.address, '--conf', 'spark.locality.wait=0', JOB], /--conf spark\.locality\.wait=0: a setting of sluice run, sluice driver and sluice shell \(in its properties file and --conf too\); '--conf spark\.locality\.wait=0' on 'sluice run', 'sluice driver' or 'sluice shell' \(for every job that driver runs\)\nSee 'sluice submit --help'/],
    // the streaming guide's Performance Tuning settings name where Sluice sets them, with the value given
    [['submit', '--driver', driver.address, '--conf=spark.streaming.blockInterval=100ms', JOB], /--conf spark\.streaming\.blockInterval=100ms: new StreamingContext\(sc, batch, \{ blockInterval: '100ms' \}\) in the job\nSee 'sluice submit --help'/],
    [['submit', '--driver', driver.address, '--conf', 'spark.driver.maxResultSize=2g', JOB], /--conf spark\.driver\.maxResultSize=2g: a setting of sluice run and sluice driver .*'--max-result-size 2g' on 'sluice run' and 'sluice driver'/],
    // the job scheduling guide's fair scheduler
    [['run', '--conf', 'spark.scheduler.mode=FAIR', JOB], /--conf spark\.scheduler\.mode=FAIR: sc\.setSchedulerMode\('FAIR'\) in the job \(and sc\.setLocalProperty\('spark\.scheduler\.pool', name\) for a pool\)/],
    [['submit', '--driver', driver.address, '--conf', 'spark.scheduler.allocation.file=pools.xml', JOB], /--conf spark\.scheduler\.allocation\.file=pools\.xml: sc\.setSchedulerMode\('FAIR', \{ allocationFile: 'pools\.xml' \}\) in the job\nSee 'sluice submit --help'/],
    // the Kinesis guide's retry settings
    [['run', '--conf', 'spark.streaming.kinesis.retry.waitTime=500ms', JOB], /--conf spark\.streaming\.kinesis\.retry\.waitTime=500ms: KinesisInputDStream\.builder\(\)\.\.\.retryWait\(ms\) of @sluice\/kinesis in the job \(milliseconds: '500ms' given; default 1000\)/],
    [['run', '--conf', 'spark.streaming.kinesis.retry.maxAttempts=10', JOB], /--conf spark\.streaming\.kinesis\.retry\.maxAttempts=10: no limit to set: @sluice\/kinesis's readers retry a failed GetRecords every retryWait until it succeeds.*; remove it/],
    // a key of no family Sluice knows (spark.sql.* and the other families name what Sluice has instead: submit-spark-families)
    [['run', '--conf', 'spark.made.up=8', JOB], /--conf spark\.made\.up=8: not a setting Sluice has \(README "Configuration" lists the properties sluice run takes\)/],
    // a setting a Spark program makes in its code, looked for on the command line: the fix, without the whole help after it
    [['run', '--checkpoint', 'ckpt', JOB], /^error: unknown option '--checkpoint': a streaming job sets its checkpoint directory in its code, as in Spark: ssc\.checkpoint\(dir\), and StreamingContext\.getOrCreate\(sc, dir, create\) .*'sluice run job\.ts ckpt'\)\. A standing driver's registry .* is 'sluice driver --state-dir DIR'\. See 'sluice run --help'\.\n$/],
    [['submit', '--driver', driver.address, '--checkpoint-dir=ckpt', JOB], /^error: unknown option '--checkpoint-dir': a streaming job sets its checkpoint directory in its code.* See 'sluice submit --help'\.\n$/],
    [['submit', '--driver', `spark://${driver.address}`, JOB], new RegExp(`SLUICE_BAD_ARGUMENT.*got 'spark://${driver.address}': it is a URL; give HOST:PORT without 'spark://' \\(${driver.address}\\)`)],
  ];
  await assertRefused(cases);
});

test("commands sluice has under another name (logs, kill, status) say where to look, without the whole help; a typo keeps commander's suggestion", async () => {
  const cases: [string[], RegExp][] = [
    [['logs', 'job-0001-abcdef'], /^error: sluice has no command 'logs': a job's output .* is 'sluice attach JOB --driver HOST:PORT' .*'sluice jobs --driver HOST:PORT'; the driver's and each worker's own log is that process's stderr .*\. See 'sluice --help'\.\n$/],
    [['log'], /^error: sluice has no command 'log': a job's output .*'sluice attach JOB/],
    [['kill', 'job-0001-abcdef'], /^error: sluice has no command 'kill': 'sluice stop JOB --driver HOST:PORT' \(spark-submit --kill; --graceful .*\)\. See 'sluice --help'\.\n$/],
    [['status'], /^error: sluice has no command 'status': 'sluice jobs --driver HOST:PORT' lists every job with its state \(spark-submit --status\)\. See 'sluice --help'\.\n$/],
    [['jbos'], /^error: unknown command 'jbos'\n\(Did you mean jobs\?\)/],
  ];
  await assertRefused(cases);
});

test('sluice worker --driver - reads the address from the first line of standard input; without one it stops with a clear error', async () => {
  // (sluice run starts its workers so and writes them the address once its driver listens: every run test covers the line given.)
  const cases: [string | undefined, RegExp][] = [
    [undefined, /error \[SLUICE_BAD_ARGUMENT\]: --driver -: standard input ended before a line with the driver's HOST:PORT/],
    [driver.address, /error \[SLUICE_BAD_ARGUMENT\]: --driver -: standard input ended before a line/],
    ['not an address\n', /error \[SLUICE_BAD_ARGUMENT\]: --driver -: the first line of standard input must be the driver's HOST:PORT, got 'not an address'/],
  ];
  for (const [stdin, pattern] of cases) {
    const r = await runCli(['worker', '--driver', '-'], { env, stdin, timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, pattern, show(r));
  }
});

test('a --driver that is not HOST:PORT is refused at once, naming the value and what is wrong (submit, worker, jobs, stop)', async () => {
  const cases: [string[], string, string][] = [
    [['submit', '--driver', '127.0.0.1', JOB], '127.0.0.1', 'it has no port'],
    [['worker', '--driver', 'driver-host'], 'driver-host', 'it has no port'],
    [['jobs', '--driver', '127.0.0.1:'], '127.0.0.1:', 'it has no port'],
    [['stop', 'job-x', '--driver', '127.0.0.1:70000'], '127.0.0.1:70000', 'port 70000 is not from 1 to 65535'],
    [['workers', '--driver', '::1:7077'], '::1:7077', 'it is not HOST:PORT \\(an IPv6 address goes in brackets: \\[::1\\]:7077\\)'],
  ];
  for (const [args, got, why] of cases) {
    const r = await runCli(args, { env, timeoutMs: 20_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, show(r));
    const escaped = got.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(r.stderr, new RegExp(`error \\[SLUICE_BAD_ARGUMENT\\]: --driver must be the driver's HOST:PORT \\(as \`sluice driver\` prints it, e.g\\. 10\\.0\\.0\\.5:7077\\), got '${escaped}': ${why}`), show(r));
    assert.equal(r.stdout, '', 'nothing ran');
    assert.doesNotMatch(r.stderr, /SLUICE_UNREACHABLE/, 'refused before dialling');
  }
  // A well-formed address is taken.
  const ok = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 20_000 });
  assert.equal(ok.code, 0, show(ok));
});

test('sluice worker --task-threads above --cores (or below 1) stops with a clear error naming the bound', async () => {
  for (const [threads, got] of [['3', '3'], ['0', '0']]) {
    const r = await runCli(['worker', '--driver', driver.address, '--cores', '2', '--task-threads', threads], { env, timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, new RegExp(`error \\[SLUICE_BAD_ARGUMENT\\]: taskThreads \\(--task-threads\\) must be an integer from 1 to the worker's cores \\(2\\), got ${got}`), show(r));
  }
});

test('sluice worker --warm-up-tasks above its bound (or not a whole number) stops with a clear error naming it', async () => {
  for (const [value, pattern] of [
    ['100001', /error \[SLUICE_BAD_ARGUMENT\]: warmUpTasks \(--warm-up-tasks\) must be a whole number from 0 to 100000, got 100001/],
    ['-5', /--warm-up-tasks must be a non-negative integer, got '-5'/],
  ] as const) {
    const r = await runCli(['worker', '--driver', driver.address, '--warm-up-tasks', value], { env, timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, pattern, show(r));
  }
});

test('sluice worker refuses a bad --peer-connect-timeout with SLUICE_BAD_ARGUMENT naming the value, before it dials the driver', async () => {
  for (const [value, pattern] of [
    ['soon', /error \[SLUICE_BAD_ARGUMENT\]: --peer-connect-timeout: 'soon' is not a duration/],
    ['0', /error \[SLUICE_BAD_ARGUMENT\]: --peer-connect-timeout must be a positive whole number of milliseconds, got 0/],
  ] as const) {
    const r = await runCli(['worker', '--driver', driver.address, '--peer-connect-timeout', value], { env, timeoutMs: 30_000 });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, pattern, show(r));
  }
});

test('sluice run and sluice driver refuse a --max-result-size that is not a size with SLUICE_BAD_ARGUMENT naming the value, before anything starts', async () => {
  for (const args of [['run', '--max-result-size', '2q', 'job.ts'], ['driver', '--port', '0', '--max-result-size', 'lots']]) {
    const r = await runCli(args, { env, timeoutMs: 30_000 });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, new RegExp(`error \\[SLUICE_BAD_ARGUMENT\\]: --max-result-size: '${args[args.indexOf('--max-result-size') + 1]}' is not a size: give bytes, or a number with k, m, g or t`), show(r));
  }
});

test('ports outside 0-65535 and worker or core counts below 1 are refused naming the option and the value, before anything starts', async () => {
  const cases: [string[], string][] = [
    [['driver', '--port', '99999'], "--port must be a port number from 0 to 65535, got '99999'"],
    [['driver', '--port', '0', '--web-port', '-1'], "--web-port must be a port number from 0 to 65535, got '-1'"],
    [['worker', '--driver', '127.0.0.1:1', '--port', '70000'], "--port must be a port number from 0 to 65535, got '70000'"],
    [['worker', '--driver', '127.0.0.1:1', '--cores', '0'], "--cores must be a whole number >= 1, got '0'"],
    [['run', '--web-port', '65536', JOB], "--web-port must be a port number from 0 to 65535, got '65536'"],
    [['run', '--workers', '0', JOB], "--workers must be a whole number >= 1, got '0'"],
    [['run', '--cores', '1.5', JOB], "--cores must be a whole number >= 1, got '1.5'"],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { env, timeoutMs: 30_000 });
    assert.equal(r.code, 1, show(r));
    assert.ok(r.stderr.includes(message), `${args.join(' ')}: ${message}\n${show(r)}`);
    assert.equal(r.stdout, '', `nothing ran\n${show(r)}`);
  }
});

test('everything after the job file is the job\'s: `sluice run job.ts a b --flag`, with `--` still working', async () => {
  const cases: { argv: string[]; job: string[]; notice?: RegExp }[] = [
    { argv: ['run', '--workers', '1', JOB, 'a', 'b', '--flag'], job: ['a', 'b', '--flag'] },
    { argv: ['run', '--workers', '1', JOB, '-n', '3', '--workers=7'], job: ['-n', '3', '--workers=7'], notice: /--workers after the job file is passed to the job, not to sluice/ },
    { argv: ['run', '--workers', '1', JOB, '--', '--workers', '3'], job: ['--workers', '3'] },
    // The older form: sluice's options after the job file, then `--`.
    { argv: ['run', JOB, '--workers', '1', '--', 'x', '--y'], job: ['x', '--y'] },
    { argv: ['run', '--workers', '1', '--', JOB, 'c'], job: ['c'] },
  ];
  for (const c of cases) {
    const r = await runCli(c.argv, { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(argsOf(r), c.job, c.argv.join(' '));
    if (c.notice) assert.match(r.stderr, c.notice);
    else assert.doesNotMatch(r.stderr, /passed to the job/, show(r));
  }
  const sub = await runCli(['submit', '--driver', driver.address, JOB, 'p', '--q', '--driver', 'r'], { env, timeoutMs: 60_000 });
  assert.equal(sub.code, 0, show(sub));
  assert.deepEqual(argsOf(sub), ['p', '--q', '--driver', 'r']);
  const legacy = await runCli(['submit', JOB, '--driver', driver.address, '--', 's', '-t'], { env, timeoutMs: 60_000 });
  assert.equal(legacy.code, 0, show(legacy));
  assert.deepEqual(argsOf(legacy), ['s', '-t']);
  // --driver after the job file (no `--`) went to the job: the error says where it belongs.
  const late = await runCli(['submit', JOB, '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(late.code, 1, show(late));
  assert.match(late.stderr, /sluice submit needs --driver HOST:PORT before the job file: the --driver after it was passed to the job/);
});
