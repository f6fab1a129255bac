// Spark's Tuning guide (docs/tuning.md), the streaming guide's Performance Tuning section and the
// configuration guide's Spark Streaming, Scheduling, Execution Behavior, Networking, Shuffle
// Behavior and Memory Management keys, as a Spark user sets them on Sluice (README "Spark's
// configuration keys in Sluice"): each key that ports changes what it says, measured through
// the job's output and the driver's log; each one refused names what to do instead.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, REPO_DIR, fixture, freePort, pollUntil, runCli, within, type CliResult } from './harness.js';

const JOB = fixture('tuning-guide.ts');

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function linesOf<T>(out: string, prefix: string): T[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(prefix + ' '))
    .map((l) => JSON.parse(l.slice(prefix.length + 1)) as T);
}

async function runJob(args: readonly string[], opts: readonly string[] = []): Promise<CliResult> {
  const r = await runCli(['run', ...opts, JOB, ...args], { timeoutMs: 180_000 });
  assert.equal(r.timedOut, false, show(r));
  assert.equal(r.code, 0, show(r));
  return r;
}

// Each --conf KEY=VALUE a Spark user brings, and what the refusal must name (where Sluice has it, or that it has none).
const CONF_KEYS: readonly [string, RegExp][] = [
  // Spark Streaming
  ['spark.streaming.unpersist=false', /always on: a batch's RDDs are unpersisted .*ssc\.remember\(duration\)/],
  ['spark.streaming.kafka.minRatePerPartition=5', /KafkaUtils\.createDirectStream\(ssc, \{ \.\.\., minRatePerPartition: 5 \}\) of @sluice\/kafka/],
  ['spark.streaming.kafka.maxRetries=3', /retryTimeoutMs: MS .*not a number of times/],
  ['spark.streaming.driver.writeAheadLog.closeFileAfterWrite=true', /nothing to set: metadata checkpoints are whole files.*remove it/],
  ['spark.streaming.receiver.writeAheadLog.closeFileAfterWrite=true', /nothing to set: the receivers' log .*cannot go to S3.*remove it/],
  ['spark.streaming.receiver.writeAheadLog.rollingIntervalSecs=30', /\{ writeAheadLog: \{ rollingInterval: '30s' \} \}/],
  ['spark.streaming.gracefulStopTimeout=30s', /'--conf spark\.streaming\.gracefulStopTimeout=30s' on 'sluice run' or 'sluice driver' .*60 s by default/],
  ['spark.streaming.receiverRestartDelay=5s', /not settable: .* 2 s later/],
  // Scheduling
  ['spark.task.maxFailures=8', /'--task-max-failures 8' on 'sluice run' and 'sluice driver'/],
  ['spark.stage.maxConsecutiveAttempts=8', /'--stage-max-consecutive-attempts 8' on 'sluice run' and 'sluice driver'/],
  ['spark.excludeOnFailure.enabled=true', /'--conf spark\.excludeOnFailure\.enabled=true' on 'sluice run', 'sluice driver' or 'sluice shell'/],
  ['spark.blacklist.enabled=true', /Spark 3\.1 renamed it spark\.excludeOnFailure\.enabled: '--conf spark\.excludeOnFailure\.enabled=true'/],
  ['spark.speculation.interval=50ms', /not settable: stragglers are looked for every 100 ms/],
  ['spark.task.cpus=2', /a task takes one of a worker's --cores/],
  // Execution Behavior
  ['spark.files.maxPartitionBytes=1m', /sc\.textFile\(path, minPartitions\)/],
  ['spark.executor.heartbeatInterval=5000', /'sluice driver --heartbeat-ms MS' \(milliseconds: '5000' given/],
  // Networking
  ['spark.network.timeout=300s', /'sluice driver --worker-timeout-ms MS' .*'sluice worker --peer-connect-timeout DURATION'/],
  ['spark.rpc.askTimeout=60s', /'sluice driver --worker-timeout-ms MS'/],
  ['spark.rpc.message.maxSize=512', /up to 128 MiB encoded/],
  // Shuffle Behavior
  ['spark.shuffle.compress=true', /'sluice worker --shuffle-compress' \(or 'sluice run --shuffle-compress'\): map outputs LZ4-compressed/],
  ['spark.shuffle.compress=false', /off by default in Sluice .*; remove it/],
  ['spark.shuffle.spill.compress=true', /'sluice worker --shuffle-compress' .*a map task's spills are runs of its map output/],
  ['spark.io.compression.codec=lz4', /lz4 is the codec of 'sluice worker --shuffle-compress'/],
  ['spark.shuffle.checksum.enabled=false', /'sluice worker --no-shuffle-checksum' \(or 'sluice run --no-shuffle-checksum'\): map outputs written and read without a CRC-32/],
  ['spark.shuffle.checksum.algorithm=CRC32C', /'CRC32C' is not provided: the one shuffle checksum algorithm is CRC32 .*ADLER32 and CRC32C are not implemented/],
  ['spark.io.compression.codec=zstd', /'zstd' is not provided: the one codec is lz4 .*zstd, snappy and lzf are not implemented.*saveAsTextFile\(dir, 'gzip'\)/],
  ['spark.shuffle.file.buffer=64k', /nothing to set.*remove it/],
  ['spark.reducer.maxSizeInFlight=96m', /nothing to set; remove it/],
  ['spark.shuffle.service.enabled=true', /no external shuffle service: each worker serves its own map outputs/],
  ['spark.shuffle.io.maxRetries=10', /fetch failure, and the lost map outputs are recomputed/],
  ['spark.shuffle.spill.numElementsForceSpillThreshold=1000', /'sluice worker --shuffle-spill-records 1000'/],
  // Memory Management and the Tuning guide
  ['spark.memory.fraction=0.5', /no unified memory regions: 'sluice worker --memory SIZE' bounds the blocks .*NODE_OPTIONS=--max-old-space-size=MIB/],
  ['spark.memory.storageFraction=0.3', /'sluice worker --memory SIZE'/],
  ['spark.memory.offHeap.enabled=true', /not provided/],
  ['spark.executor.memoryOverhead=1g', /NODE_OPTIONS=--max-old-space-size=1024 sluice worker/],
  ['spark.serializer=org.apache.spark.serializer.KryoSerializer', /nothing to choose: records, tasks and blocks are v8-serialized .*no registration/],
  ['spark.kryo.registrationRequired=true', /nothing to register/],
  ['spark.kryoserializer.buffer.max=128m', /not settable/],
  ['spark.rdd.compress=true', /'--conf spark\.rdd\.compress=true' on 'sluice run', 'sluice driver' or 'sluice shell' .*LZ4-compressed; false by default/],
  ['spark.broadcast.compress=true', /'--conf spark\.broadcast\.compress=true' on 'sluice run', 'sluice driver' or 'sluice shell' .*LZ4-compressed; true by default/],
  ['spark.executor.extraJavaOptions=-XX:+UseG1GC', /no JVM: V8's options go in NODE_OPTIONS on 'sluice worker'/],
  ['spark.cleaner.periodicGC.interval=30min', /not settable: the driver program's thread is garbage collected after every 64 persisted RDDs or broadcasts/],
  ['spark.cleaner.referenceTracking=false', /'--conf spark\.cleaner\.referenceTracking=false' on 'sluice run', 'sluice driver' or 'sluice shell' .*persisted RDDs and broadcasts .*true by default, as Spark's/],
];

test("--conf with the configuration guide's streaming, scheduling, execution, networking, shuffle and memory keys is refused naming what to do instead", async () => {
  // sluice submit takes none of them (sluice run takes some, as its properties file does: configuration-guide);
  // each is refused before the driver is reached, naming where Sluice sets it. One submit names every
  // key it refuses, so the keys go a group a submit (a key given twice is its last value: each group
  // has a key once), and the first key alone too, which names it as 'a property'.
  const groups: (readonly [string, RegExp])[][] = [[CONF_KEYS[0]]];
  for (const entry of CONF_KEYS) {
    const key = entry[0].slice(0, entry[0].indexOf('='));
    let g = groups.slice(1).find((x) => !x.some(([given]) => given.startsWith(`${key}=`)));
    if (g === undefined) groups.push((g = []));
    g.push(entry);
  }
  for (const group of groups) {
    const r = await runCli(['submit', '--driver', '127.0.0.1:1', ...group.flatMap(([given]) => ['--conf', given]), JOB, 'big-task'], { timeoutMs: 60_000 });
    const named = group.map(([given]) => given).join(' ');
    assert.equal(r.code, 1, `${named}\n${show(r)}`);
    assert.equal(r.stdout, '', `${named}: nothing ran\n${show(r)}`);
    assert.match(r.stderr, new RegExp(`sluice submit: --conf sets ${group.length === 1 ? 'a property' : `${group.length} properties`} that sluice submit does not take`), `${named}\n${show(r)}`);
    for (const [given, instead] of group) {
      const line = r.stderr.split('\n').find((l) => l.startsWith(`  --conf ${given}: `));
      assert.ok(line !== undefined, `${given}: the key is named\n${show(r)}`);
      assert.match(line.slice(`  --conf ${given}: `.length), instead, `${given}\n${show(r)}`);
    }
  }
  // spark.default.parallelism is taken by run, driver, shell and submit; a command without --conf
  // (a worker: Spark's is the cluster's, not a worker's) names where to set it, with the value given.
  const worker = await runCli(['worker', '--driver', '127.0.0.1:1', '--conf', 'spark.default.parallelism=8'], { timeoutMs: 60_000 });
  assert.equal(worker.code, 1, show(worker));
  assert.match(
    worker.stderr,
    /unknown option '--conf' \(spark-submit's\): .*; for spark\.default\.parallelism, '--conf spark\.default\.parallelism=8' on 'sluice run', 'sluice driver' or 'sluice shell' .* or 'sluice submit' \(that job's\), or give the partitions where it matters: sc\.parallelize\(data, 8\), rdd\.reduceByKey\(f, 8\), repartition\(8\)\./,
    show(worker),
  );
});

test('StreamingContext options a Spark user may write (a Spark property, a misspelt option) are refused naming the option, never taken and ignored', async () => {
  const given: [object, RegExp | 'ok'][] = [
    [{ unpersist: false }, /unknown option 'unpersist' \(Spark's setting; in Sluice: always on: .*ssc\.remember\(duration\)/],
    [{ 'spark.streaming.blockInterval': '100ms' }, /unknown option 'spark\.streaming\.blockInterval' \(Spark's setting; in Sluice: \{ blockInterval: '100ms' \}\); the options are clock, blockInterval,/],
    [{ blockinterval: '100ms' }, /unknown option 'blockinterval'; the options are clock, blockInterval, concurrentJobs, writeAheadLog, receiverMaxBufferedRecords, checkpointWriteTimeout, backpressure, receiverMaxRate, fallingBehindBatches$/],
    [{ stopGracefullyOnShutdown: true }, /'sluice run --stop-gracefully-on-shutdown'/],
    [{ retainedBatches: 50 }, /'--retained-batches 50' on 'sluice driver' and 'sluice run'/],
    [{ maxRatePerPartition: 100 }, /KafkaUtils\.createDirectStream\(ssc, \{ \.\.\., maxRatePerPartition: 100 \}\)/],
    [{ 'spark.streaming.concurrentJobs': 2 }, /\(Spark's setting; in Sluice: \{ concurrentJobs: 2 \}\)/],
    // Spark's receivers keep to initialRate with backpressure off (RateLimiter.getInitialRateLimit): both forms named
    [{ 'spark.streaming.backpressure.initialRate': 300 }, /\(Spark's setting; in Sluice: \{ backpressure: \{ initialRate: 300 \} \}; without backpressure Spark's receivers keep to it for good, which is \{ receiverMaxRate: 300 \}\)/],
    [{ backpressure: { initalRate: 100 } }, /StreamingContext backpressure: unknown option 'initalRate'; the options are initialRate, proportional, integral, derived, minRate/],
    [{ writeAheadLog: { closeFileAfterWrite: true } }, /StreamingContext writeAheadLog: unknown option 'closeFileAfterWrite' \(Spark's setting; in Sluice: nothing to set/],
    [{ blockInterval: '100ms', receiverMaxRate: 10, backpressure: { initialRate: 5, minRate: 5 }, concurrentJobs: 2, writeAheadLog: { rollingInterval: '10s' } }, 'ok'],
  ];
  const r = await runJob(['options', JSON.stringify(given.map(([o]) => o))]);
  const out = linesOf<{ ok?: true; code?: string; message?: string }>(r.stdout, 'OPTION');
  assert.equal(out.length, given.length, show(r));
  given.forEach(([o, expected], i) => {
    if (expected === 'ok') assert.deepEqual(out[i], { ok: true }, JSON.stringify(o));
    else {
      assert.equal(out[i].code, 'SLUICE_BAD_ARGUMENT', `${JSON.stringify(o)}: ${JSON.stringify(out[i])}`);
      assert.match(out[i].message!, expected, JSON.stringify(o));
    }
  });
});

test("a task past Spark's 1000 KiB is warned about once a stage, with Spark's message and the fix; the same value through sc.broadcast is not", async () => {
  const r = await runJob(['big-task']);
  // The captured string is 2,000,000 one-byte characters: each task is at least that (1953 KiB).
  const sums = linesOf<number[]>(r.stdout, 'DONE')[0];
  assert.equal(sums[0], sums[1], show(r));
  const warnings = r.stderr.split('\n').filter((l) => l.includes('contains a task of very large size'));
  assert.equal(warnings.length, 1, `one warning for the stage of 4 large tasks, none for the broadcast one\n${show(r)}`);
  const m = /Stage (\d+) contains a task of very large size \((\d+) KiB\)\. The maximum recommended task size is 1000 KiB\. .*sc\.broadcast\(value\)/.exec(warnings[0]);
  assert.ok(m, warnings[0]);
  assert.equal(Number(m[1]), 0, 'the first action is stage 0');
  assert.ok(Number(m[2]) >= Math.floor(2_000_000 / 1024) && Number(m[2]) < 4000, warnings[0]);
});

test("sc.defaultParallelism (Spark's spark.default.parallelism) is the cluster's cores; reduceByKey's numPartitions sets the partitions", async () => {
  // 3 workers x 2 cores: 6 (Spark's standalone default: the cores of all executors, at least 2).
  const r = await runJob(['parallelism'], ['--workers', '3', '--cores', '2']);
  const [p] = linesOf<Record<string, number>>(r.stdout, 'PARALLELISM');
  // Spark: parallelize defaults to defaultParallelism; an RDD's reduceByKey without numPartitions
  // keeps its parent's partitions (7) when spark.default.parallelism is not set; a DStream's uses
  // defaultParallelism (PairDStreamFunctions.defaultPartitioner).
  assert.deepEqual(p, { defaultParallelism: 6, parallelize: 6, reduceByKey: 7, reduceByKeyN: 3, streamReduceByKey: 6 }, show(r));
});

test("blockInterval (spark.streaming.blockInterval) sets a receiver's blocks a batch, the partitions of its RDD; receiverMaxRate (spark.streaming.receiver.maxRate) bounds its records", async () => {
  // A receiver offering 20,000 records/s; 1 s batches. A batch holds about batch / blockInterval blocks.
  const batches = async (blockInterval: string, maxRate: string): Promise<{ records: number; partitions: number }[]> => {
    const r = await runJob(['stream', blockInterval, maxRate, '4']);
    const b = linesOf<{ records: number; partitions: number }>(r.stdout, 'BATCH');
    assert.equal(b.length, 4, show(r));
    return b;
  };
  // Each block goes to one batch, so over the batches a batch holds batch / blockInterval blocks on
  // average; a timer firing late under load merges blocks (fewer), a batch generated late holds
  // more: the bounds are twice as loose as that either way.
  const mean = (b: readonly { partitions: number }[]): number => b.reduce((n, x) => n + x.partitions, 0) / b.length;
  const coarse = await batches('500ms', '-');
  // 1000 / 500 = 2 blocks a batch.
  assert.ok(mean(coarse) >= 1 && mean(coarse) <= 4, JSON.stringify(coarse));
  const fine = await batches('100ms', '-');
  // 1000 / 100 = 10 a batch.
  assert.ok(mean(fine) >= 4 && mean(fine) <= 20, JSON.stringify(fine));
  assert.ok(mean(fine) > mean(coarse), `${JSON.stringify(fine)} ${JSON.stringify(coarse)}`);
  // Unbounded, the receiver takes in far more than 300 records a second.
  const sum = (b: readonly { records: number }[]): number => b.reduce((n, x) => n + x.records, 0);
  assert.ok(sum(fine) > 2 * 300 * fine.length, JSON.stringify(fine));
  const limited = await batches('200ms', '300');
  // 300 records/s x 1 s batches: at most twice that a batch over the four.
  assert.ok(sum(limited) <= 2 * 300 * limited.length, JSON.stringify(limited));
});

test("--task-max-failures (Spark's spark.task.maxFailures) sets the attempts of a task before its job fails; 0 is refused", async () => {
  for (const [opts, n] of [[[], 4], [['--task-max-failures', '2'], 2], [['--task-max-failures', '1'], 1]] as const) {
    const r = await runCli(['run', ...opts, JOB, 'fail'], { timeoutMs: 180_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, show(r));
    // Spark's message: the count of attempts made, the last one's number (from 0) in "Lost task 1.N-1".
    assert.match(r.stderr, new RegExp(`Job aborted due to stage failure: Task 1 in stage 0\\.0 failed ${n} times, most recent failure: Lost task 1\\.${n - 1} in stage 0\\.0 .*partition 1 always fails`), show(r));
  }
  const zero = await runCli(['run', '--task-max-failures', '0', JOB, 'fail'], { timeoutMs: 60_000 });
  assert.equal(zero.code, 1, show(zero));
  assert.equal(zero.stdout, '', show(zero));
  assert.match(zero.stderr, /--task-max-failures/, show(zero));
});

test("spark.stage.maxConsecutiveAttempts in sluice run's properties file is --stage-max-consecutive-attempts, spark.shuffle.reduceLocality.enabled false turns reduce-side locality off, spark.excludeOnFailure.enabled true turns exclusion on with Spark's limits but those given: the driver runs with them (REST environment); a value that is not an int, and exclusion with spark.task.maxFailures not above maxTaskAttemptsPerNode, are refused with Spark's words, nothing run", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tuning-stage-'));
  const stop = path.join(dir, 'stop');
  const props = path.join(dir, 'spark.conf');
  fs.writeFileSync(props, 'spark.stage.maxConsecutiveAttempts 7\nspark.shuffle.reduceLocality.enabled false\nspark.excludeOnFailure.enabled true\nspark.excludeOnFailure.stage.maxFailedTasksPerExecutor 3\nspark.excludeOnFailure.killExcludedExecutors true\n');
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_BIN, 'run', '--web-port', String(port), '--properties-file', props, JOB, 'ui', stop], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const url = await pollUntil(() => /web UI at (http:\/\/\S+)/.exec(stderr)?.[1] ?? (child.exitCode === null ? undefined : 'exited'), 60_000, 'the web UI URL');
    const m = /^http:\/\/127\.0\.0\.1:\d+\/jobs\/([^/]+)\/$/.exec(url);
    assert.ok(m, `${url}\n${stderr}`);
    const env = (await (await fetch(`http://127.0.0.1:${port}/api/v1/applications/${m[1]}/environment`)).json()) as { sparkProperties: [string, string][] };
    assert.deepEqual(env.sparkProperties.filter(([k]) => k === 'spark.stage.maxConsecutiveAttempts' || k === 'spark.shuffle.reduceLocality.enabled'), [['spark.shuffle.reduceLocality.enabled', 'false'], ['spark.stage.maxConsecutiveAttempts', '7']]);
    // Spark's defaults (its configuration guide) but the one given.
    assert.deepEqual(
      env.sparkProperties.filter(([k]) => k.startsWith('spark.excludeOnFailure.')),
      [
        ['spark.excludeOnFailure.application.fetchFailure.enabled', 'false'],
        ['spark.excludeOnFailure.application.maxFailedExecutorsPerNode', '2'],
        ['spark.excludeOnFailure.application.maxFailedTasksPerExecutor', '2'],
        ['spark.excludeOnFailure.enabled', 'true'],
        ['spark.excludeOnFailure.killExcludedExecutors', 'true'],
        ['spark.excludeOnFailure.stage.maxFailedExecutorsPerNode', '2'],
        ['spark.excludeOnFailure.stage.maxFailedTasksPerExecutor', '3'],
        ['spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor', '1'],
        ['spark.excludeOnFailure.task.maxTaskAttemptsPerNode', '2'],
        ['spark.excludeOnFailure.timeout', '3600000ms'],
      ],
    );
    fs.writeFileSync(stop, '');
    assert.equal(await within(exited, 90_000, 'sluice run to exit'), 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const bad of ['2.5', 'four', '2147483648']) {
    const r = await runCli(['run', '--stage-max-consecutive-attempts', bad, JOB, 'fail'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stdout, '', show(r));
    assert.ok(r.stderr.includes(`--stage-max-consecutive-attempts must be a whole number (Spark's spark.stage.maxConsecutiveAttempts should be int, but was '${bad}')`), show(r));
  }
  const refusals: [string[], string][] = [
    [['--conf', 'spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor=1.5'], "spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor should be int, but was '1.5'"],
    [['--conf', 'spark.excludeOnFailure.enabled=true', '--task-max-failures', '2'], 'spark.excludeOnFailure.task.maxTaskAttemptsPerNode ( = 2) was >= spark.task.maxFailures ( = 2 )'],
  ];
  for (const [opts, says] of refusals) {
    const r = await runCli(['run', ...opts, JOB, 'fail'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stdout, '', show(r));
    assert.ok(r.stderr.includes(says), show(r));
  }
});

test("sluice run --retained-batches (Spark's spark.streaming.ui.retainedBatches) bounds the completed batches the REST API keeps", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tuning-ui-'));
  const stop = path.join(dir, 'stop');
  const port = await freePort();
  const child = spawn(process.execPath, [CLI_BIN, 'run', '--web-port', String(port), '--retained-batches', '3', JOB, 'ui', stop], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const url = await pollUntil(() => /web UI at (http:\/\/\S+)/.exec(stderr)?.[1] ?? (child.exitCode === null ? undefined : 'exited'), 60_000, 'the web UI URL');
    const m = /^http:\/\/127\.0\.0\.1:\d+\/jobs\/([^/]+)\/$/.exec(url);
    assert.ok(m, `${url}\n${stderr}`);
    const api = `http://127.0.0.1:${port}/api/v1/applications/${m[1]}/streaming`;
    const get = async <T>(p: string): Promise<T | undefined> => {
      const r = await fetch(`${api}/${p}`).catch(() => undefined);
      return r?.ok ? ((await r.json()) as T) : undefined;
    };
    // Eight batches completed: five more than the three kept.
    const stats = await pollUntil(async () => {
      const s = await get<{ numTotalCompletedBatches: number }>('statistics');
      return s !== undefined && s.numTotalCompletedBatches >= 8 ? s : undefined;
    }, 120_000, 'eight completed batches');
    const completed = (await get<{ batchId: number }[]>('batches?status=COMPLETED'))!;
    assert.equal(completed.length, 3, `${JSON.stringify(stats)} ${JSON.stringify(completed)}`);
    fs.writeFileSync(stop, '');
    assert.equal(await within(exited, 90_000, 'sluice run to exit'), 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
