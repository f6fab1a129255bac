// Spark's "Submitting Applications" and "Spark Standalone Mode" guides, ported: what a
// Spark user types, on a standing driver and workers (real processes on loopback) and on
// `sluice run`. Each command either works as its Sluice form, or is refused naming that
// form (README: "A standing cluster, with the CLI", "From spark-submit and standalone mode").
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { fixture, freePort, pollUntil, runCli, type CliResult } from './harness.js';
import { randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

function show(r: CliResult): string {
  return `exit ${r.code}, timedOut ${r.timedOut}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

const SUM = fixture('submit-sum.ts');
const secret = randomSecret();
const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '', SLUICE_LOG_LEVEL: 'warn' };
let webPort: number;
let driver: SluiceProcess & { address: string };
const workers: (SluiceProcess & { address: string })[] = [];

before(async () => {
  // start-master.sh --webui-port P: sluice driver --web-port P
  webPort = await freePort();
  driver = await startDriverProcess(secret, ['--web-port', String(webPort)]);
  // start-worker.sh spark://HOST:PORT --cores 2 --memory 2g (and a second, --memory 300m)
  workers.push(await startWorkerProcess(driver.address, secret, ['--cores', '2', '--memory', '2g']));
  workers.push(await startWorkerProcess(driver.address, secret, ['--cores', '1', '--memory', '300M']));
});
after(async () => {
  for (const w of workers) await w.stop();
  await driver?.stop();
});

/** The submit-sum fixture's [sc.appName, sc.master]. */
function contextOf(r: CliResult): [string, string] {
  const m = /^CONTEXT (.*)$/m.exec(r.stdout);
  assert.ok(m, show(r));
  return JSON.parse(m[1]) as [string, string];
}

/** 1 + 2 + ... + n, added up here. */
function sumTo(n: number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) s += i;
  return s;
}

/** The `sluice workers` table's rows, by worker address: their cells. */
async function workerRows(): Promise<Map<string, Record<string, string>>> {
  const r = await runCli(['workers', '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(r.code, 0, show(r));
  const [head, ...rows] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
  const at = head.indexOf('ADDRESS');
  return new Map(rows.map((cells) => [cells[at], Object.fromEntries(head.map((h, i) => [h, cells[i]]))]));
}

test("start-worker.sh's --cores and --memory (Spark's MEM format, '2g', '300M') as sluice worker's: the driver's workers table shows them", async () => {
  // MEMORY is '-' until a worker's first heartbeat tells its storage.
  const rows = await pollUntil(async () => {
    const r = await workerRows();
    return workers.every((w) => r.get(w.address)?.MEMORY?.includes(' of ')) ? r : undefined;
  }, 60_000, "both workers' memory in sluice workers", 200);
  const byAddress = (a: string): Record<string, string> => rows.get(a)!;
  assert.equal(byAddress(workers[0].address).CORES, '2');
  assert.equal(byAddress(workers[1].address).CORES, '1');
  assert.match(byAddress(workers[0].address).MEMORY, new RegExp(` of ${2 * 1024} MiB$`));
  assert.match(byAddress(workers[1].address).MEMORY, / of 300 MiB$/);
  // The master's web UI (8080) is the driver's (--web-port): its REST API answers there.
  const res = await fetch(`http://127.0.0.1:${webPort}/api/v1/applications`);
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(await res.json()));
});

test('spark-submit --name N --master spark://H:P app.jar ARGS as sluice submit --name N --driver H:P job.ts ARGS: the arguments reach the job, the result is right, the name is listed', async () => {
  const name = `guide pi ${process.pid}`;
  const n = 1000;
  const r = await runCli(['submit', '--name', name, '--driver', driver.address, SUM, String(n), '--verbose', 'x y'], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`^SUM ${sumTo(n)} ARGS ${JSON.stringify([String(n), '--verbose', 'x y']).replace(/[[\]]/g, '\\$&')}$`, 'm'), show(r));
  // The program's SparkContext: appName is --name, master the driver's address (spark://H:P without the scheme).
  assert.deepEqual(contextOf(r), [name, driver.address]);
  const id = new RegExp(`submitted ${name} as (\\S+)`).exec(r.stderr)?.[1];
  assert.ok(id, show(r));
  // `spark-submit --status`: sluice jobs lists it by that name, succeeded; REST too.
  const jobs = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 });
  const row = jobs.stdout.split('\n').find((l) => l.startsWith(id!));
  assert.ok(row, show(jobs));
  assert.deepEqual(row!.split(/\s{2,}/).slice(1, 3), [name, 'succeeded']);
  const apps = (await (await fetch(`http://127.0.0.1:${webPort}/api/v1/applications`)).json()) as { id: string; name: string }[];
  assert.equal(apps.find((a) => a.id === id)?.name, name);
  // Without --name the job is named by its file, as before.
  const plain = await runCli(['submit', '--driver', driver.address, SUM, '10'], { env, timeoutMs: 120_000 });
  assert.equal(plain.code, 0, show(plain));
  assert.match(plain.stderr, /submitted submit-sum\.ts as /);
  assert.match(plain.stdout, new RegExp(`^SUM ${sumTo(10)} `, 'm'));
});

test("spark-submit --master local[K] app ARGS as sluice run --workers K job.ts ARGS (with --name)", async () => {
  const r = await runCli(['run', '--name', 'local pi', '--workers', '3', '--log-level', 'info', SUM, '100', 'b'], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, new RegExp(`^SUM ${sumTo(100)} ARGS \\["100","b"\\]$`, 'm'), show(r));
  // The embedded driver's log names the job by --name, and so does the program's sc.appName; sc.master is local[3].
  const started = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; name?: string }).filter((l) => l.msg === 'job started');
  assert.deepEqual(started.map((l) => l.name), ['local pi'], show(r));
  assert.deepEqual(contextOf(r), ['local pi', 'local[3]']);
});

test("a detached submission's status and kill (spark-submit --status / Client kill) as sluice jobs and sluice stop", { timeout: 180_000 }, async () => {
  const sub = await runCli(['submit', '--driver', driver.address, '--detach', fixture('stream-ticks.ts')], { env, timeoutMs: 60_000 });
  assert.equal(sub.code, 0, show(sub));
  const id = sub.stdout.trim();
  assert.match(sub.stderr, new RegExp(`submitted stream-ticks\\.ts as ${id}`));
  const state = async (): Promise<string | undefined> => {
    const row = (await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 })).stdout.split('\n').find((l) => l.startsWith(id));
    return row?.split(/\s{2,}/)[2];
  };
  await pollUntil(async () => ((await state()) === 'running' ? true : undefined), 60_000, `${id} running`, 200);
  const stop = await runCli(['stop', id, '--driver', driver.address], { env, timeoutMs: 30_000 });
  assert.equal(stop.code, 0, show(stop));
  await pollUntil(async () => ((await state()) === 'stopped' ? true : undefined), 60_000, `${id} stopped`, 200);
});

/** Each command line fails at once (exit 1) with each of its patterns on stderr, and runs nothing. */
async function assertRefused(cases: readonly (readonly [string[], RegExp])[]): Promise<void> {
  for (const [args, pattern] of cases) {
    const r = await runCli(args, { env, timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, show(r));
    assert.equal(r.code, 1, `sluice ${args.join(' ')}: ${show(r)}`);
    assert.match(r.stderr, pattern, `sluice ${args.join(' ')}: ${show(r)}`);
    assert.doesNotMatch(r.stdout, /SUM/, 'nothing ran');
  }
}

test("spark-submit's master URLs are refused naming the sluice command for that URL", async () => {
  const cores = os.availableParallelism();
  await assertRefused([
    [['run', '--master', 'local', SUM, '5'], /; for --master local, 'sluice run --workers 1 job\.ts'\. See 'sluice run --help'/],
    [['run', '--master', 'local[4]', SUM, '5'], /; for --master local\[4\], 'sluice run --workers 4 job\.ts'\./],
    [['run', '--master=local[*]', SUM, '5'], new RegExp(`; for --master local\\[\\*\\], 'sluice run --workers ${cores} job\\.ts' \\(${cores}: this machine's logical cores\\)\\.`)],
    [['submit', '--master', `spark://${driver.address}`, SUM, '5'], new RegExp(`; for --master spark://${driver.address}, 'sluice submit --driver ${driver.address} job\\.ts'\\. See 'sluice submit --help'`)],
    [['submit', '--master', 'spark://h1:7077,h2:7077', SUM], /'sluice submit --driver HOST:PORT job\.ts' \(a driver has no standby masters/],
    [['run', '--master', 'yarn', SUM], /; for --master yarn, no cluster manager: .*'sluice worker --driver HOST:PORT'/],
    [['driver', '--conf', 'spark.master=local[2]'], /--conf spark\.master=local\[2\]: a setting of sluice run.*; 'sluice run --workers 2 job\.ts'/],
  ]);
});

test("spark-submit's other options and the guides' settings are refused naming Sluice's equivalent", async () => {
  await assertRefused([
    // A properties file is read since 2026-12-05 (configuration-guide.test.ts); one that is not there is named.
    [['run', '--properties-file', 'conf/spark-defaults.conf', SUM], /cannot read the properties file .*conf\/spark-defaults\.conf \(--properties-file\)/],
    [['run', '--driver-memory', '2g', SUM], /unknown option '--driver-memory' \(spark-submit's\): .*NODE_OPTIONS=--max-old-space-size=/],
    [['run', '--conf', 'spark.driver.memory=2g', SUM], /--conf spark\.driver\.memory=[^:]*: NODE_OPTIONS=--max-old-space-size=2048 sluice driver/],
    [['run', '--executor-memory', '20G', SUM], /'sluice worker --memory MEM'.*; for --executor-memory 20G, 'sluice worker --memory 20G'\./],
    [['run', '--num-executors', '3', SUM], /; for --num-executors 3, 'sluice run --workers 3 job\.ts', or 3 'sluice worker' processes/],
    [['run', '--executor-cores', '4', SUM], /; for --executor-cores 4, 'sluice worker --cores 4'/],
    [['run', '--conf', 'spark.executor.memory=20G', SUM], /--conf spark\.executor\.memory=[^:]*: 'sluice worker --memory 20G'/],
    [['run', '--files', 'a.txt', SUM], /unknown option '--files' \(spark-submit's\): nothing is copied to the workers/],
    [['run', '--py-files', 'a.zip', SUM], /unknown option '--py-files' \(spark-submit's\)/],
    [['run', '--verbose', SUM], /unknown option '--verbose' \(spark-submit's\): '--log-level debug'/],
    [['submit', '--kill', 'driver-1', '--driver', driver.address], /unknown option '--kill' \(spark-submit's\): 'sluice stop JOB --driver HOST:PORT'.*; for --kill driver-1, 'sluice stop driver-1 --driver HOST:PORT'\./],
    [['submit', '--status', 'driver-1', '--driver', driver.address], /unknown option '--status' \(spark-submit's\): 'sluice jobs --driver HOST:PORT'/],
    [['run', '--supervise', SUM], /sluice run does not take --supervise \(an option of sluice submit\)/],
    [['driver', '--conf', 'spark.app.name=pi'], /--conf spark\.app\.name=pi: a setting of sluice run and sluice submit .*; '--name pi' on 'sluice submit' and 'sluice run'/],
    [['run', '--conf', 'nokey', SUM], /--conf nokey: has no '=': spark-submit's takes KEY=VALUE/],
    [['driver', '--conf', 'spark.deploy.recoveryMode=FILESYSTEM'], /--conf spark\.deploy\.recoveryMode=[^:]*: 'sluice driver --state-dir DIR'/],
    [['driver', '--conf', 'spark.deploy.recoveryMode=ZOOKEEPER'], /--conf spark\.deploy\.recoveryMode=[^:]*: no standby drivers: run one driver on a '--state-dir DIR'/],
    [['run', '--conf', 'spark.deploy.recoveryDirectory=/var/spark', SUM], /--conf spark\.deploy\.recoveryDirectory=\/var\/spark: a setting of sluice driver .*; 'sluice driver --state-dir \/var\/spark'/],
    [['run', '--conf', 'spark.worker.timeout=30', SUM], /--conf spark\.worker\.timeout=30: a setting of sluice driver .*; 'sluice driver --worker-timeout-ms 30000'/],
    [['driver', '--conf', 'spark.master.rest.enabled=true'], /--conf spark\.master\.rest\.enabled=[^:]*: no REST submission server: 'sluice submit --driver HOST:PORT'/],
    [['run', '--conf', 'spark.master.ui.port=8080', SUM], /--conf spark\.master\.ui\.port=8080: a setting of sluice driver .*; 'sluice driver --web-port 8080'/],
  ]);
});

test("start-master.sh's and start-worker.sh's options are refused naming sluice driver's and worker's", async () => {
  await assertRefused([
    [['driver', '--host', '127.0.0.1'], /unknown option '--host' \(Spark standalone's\): '--bind HOST' on 'sluice driver' and 'sluice worker'/],
    [['driver', '-p', '7077'], /unknown option '-p' \(Spark standalone's\): '--port PORT'/],
    [['driver', '--webui-port', '8080'], /unknown option '--webui-port' \(Spark standalone's\): 'sluice driver --web-port PORT' \(4040 by default, not the master's 8080/],
    [['worker', '--driver', driver.address, '-c', '2'], /unknown option '-c' \(Spark standalone's\): '--cores N'.*; for -c 2, '--cores 2'\./],
    [['worker', '-m', '2g'], /unknown option '-m' \(Spark standalone's\): '--memory MEM'/],
    [['worker', '--driver', driver.address, '--work-dir', '/tmp'], /unknown option '--work-dir' \(Spark standalone's\): 'sluice worker --local-dir DIR'/],
    [['worker', `spark://${driver.address}`], new RegExp(`sluice worker takes the driver's address as an option, not an argument \\('spark://${driver.address}', as start-worker\\.sh takes the master's URL\\): sluice worker --driver ${driver.address}\\.`)],
    [['worker', '--driver', driver.address, '--memory', '2x'], /SLUICE_BAD_ARGUMENT\]: --memory must be MiB \('1024'\) or a size with k, m, g or t \('2g', '1000m'\), got '2x'/],
    [['submit', '--name', ' ', '--driver', driver.address, SUM], /SLUICE_BAD_ARGUMENT\]: --name must not be empty/],
  ]);
  // Nothing of these reached the cluster: the two workers of before() are all it has.
  assert.equal((await workerRows()).size, 2);
});

test("the standalone master's REST submission (POST /v1/submissions/create, kill, status) is answered on the driver's web port with Spark's ErrorResponse naming sluice submit, stop and jobs; nothing is submitted", async () => {
  const before = ((await (await fetch(`http://127.0.0.1:${webPort}/api/v1/applications`)).json()) as unknown[]).length;
  // The guide's curl example, as sent.
  const create = await fetch(`http://127.0.0.1:${webPort}/v1/submissions/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body: JSON.stringify({ appResource: '', sparkProperties: { 'spark.master': `spark://${driver.address}`, 'spark.app.name': 'Spark Pi' }, clientSparkVersion: '', mainClass: 'org.apache.spark.deploy.SparkSubmit', environmentVariables: {}, action: 'CreateSubmissionRequest', appArgs: [SUM, '10'] }),
  });
  const kill = await fetch(`http://127.0.0.1:${webPort}/v1/submissions/kill/driver-20231124153531-0000`, { method: 'POST' });
  const status = await fetch(`http://127.0.0.1:${webPort}/v1/submissions/status/driver-20231124153531-0000`);
  for (const res of [create, kill, status]) {
    assert.equal(res.status, 404);
    const body = (await res.json()) as { action: string; success: boolean; message: string };
    assert.equal(body.action, 'ErrorResponse');
    assert.equal(body.success, false);
    assert.match(body.message, /^Sluice has no REST submission server .*'sluice submit --driver HOST:PORT job\.ts'.*'sluice stop ID --driver HOST:PORT'.*'sluice jobs --driver HOST:PORT'/);
  }
  const after = ((await (await fetch(`http://127.0.0.1:${webPort}/api/v1/applications`)).json()) as unknown[]).length;
  assert.equal(after, before, 'no job was submitted');
});
